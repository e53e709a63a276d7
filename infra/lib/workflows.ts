/**
 * Workflows: the Standard state machine that carries a cluster operation to its end, and the step
 * function its tasks invoke. Apply → Wait → Poll → (converged: Succeed | progressing: Wait | otherwise:
 * Fail with the last observed reason). Transient API failures retry with backoff; any other task failure
 * is caught and ends the execution Failed with its cause. This definition is the only one: the local
 * engine runs the ASL synthesized from it (shared/workflows/local-runner.ts). The state names are
 * shared/workflows/states.ts's, which the engines and tools read too.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  DefinitionBody,
  Fail,
  LogLevel,
  Pass,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { StateNames } from '../../shared/workflows/states.ts';
import { transientErrorName } from '../../shared/workflows/steps.ts';
import { capiMcpFunction, metricsFunctionName, type VpcPlacement } from './node-function.ts';

export interface WorkflowsProps {
  readonly environment: Readonly<Record<string, string>>;
  readonly vpc?: VpcPlacement;
}

export class Workflows extends Construct {
  readonly stepFunction: NodejsFunction;
  /** The `function_name` of the step function's ColdStart metric. */
  readonly stepFunctionMetricsName: string;
  readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: WorkflowsProps) {
    super(scope, id);
    this.stepFunctionMetricsName = metricsFunctionName(this, 'workflow-step');
    this.stepFunction = capiMcpFunction(this, 'StepFunction', {
      name: 'workflow-step',
      memorySize: 512,
      timeout: Duration.seconds(30),
      environment: props.environment,
      ...(props.vpc ? { vpc: props.vpc } : {}),
    });

    this.stateMachine = new StateMachine(this, 'ClusterOperation', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(this.definition(this.stepFunction)),
      tracingEnabled: true,
      logs: {
        destination: new LogGroup(this, 'ExecutionLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY }),
        // Every state transition, so an operation's path can be read after the fact; never its data.
        level: LogLevel.ALL,
        includeExecutionData: false, // inputs carry cluster specs; keep them out of logs
      },
    });
  }

  private definition(step: IFunction) {
    const task = (name: string, payload: Record<string, unknown>, resultPath: string) =>
      new LambdaInvoke(this, name, {
        stateName: name,
        lambdaFunction: step,
        payload: TaskInput.fromObject(payload),
        payloadResponseOnly: true,
        resultPath,
        retryOnServiceExceptions: false,
      }).addRetry({ errors: [transientErrorName], interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 6 });

    const stepFailed = new Pass(this, StateNames.stepFailed, { stateName: StateNames.stepFailed }).next(
      new Fail(this, StateNames.failed, { stateName: StateNames.failed, errorPath: '$.error.Error', causePath: '$.error.Cause' }),
    );
    const apply = task(StateNames.apply, { step: 'apply', 'operation.$': '$.operation' }, '$.applied').addCatch(stepFailed, { resultPath: '$.error' });
    const poll = task(
      StateNames.poll,
      { step: 'poll', 'operation.$': '$.operation', 'startedAt.$': '$$.Execution.StartTime', 'timeoutSeconds.$': '$.timeoutSeconds' },
      '$.status',
    ).addCatch(stepFailed, { resultPath: '$.error' });
    const wait = new Wait(this, StateNames.wait, { stateName: StateNames.wait, time: WaitTime.secondsPath('$.pollSeconds') });
    const decide = new Choice(this, StateNames.decide, { stateName: StateNames.decide })
      .when(Condition.stringEquals('$.status.state', 'converged'), new Succeed(this, StateNames.done, { stateName: StateNames.done }))
      .when(Condition.stringEquals('$.status.state', 'progressing'), wait)
      .otherwise(new Fail(this, StateNames.operationFailed, { stateName: StateNames.operationFailed, errorPath: '$.status.state', causePath: '$.status.reason' }));
    return apply.next(wait).next(poll).next(decide);
  }
}
