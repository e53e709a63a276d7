/**
 * Observability: one CloudWatch dashboard and the alarms worth waking someone for, notifying a
 * KMS-encrypted SNS topic (optionally mailed to an address).
 *
 * Metrics the server emits (Powertools EMF, namespace `CapiMcp`, dimension `service=capi-mcp` on each):
 * - `ToolCalls`, `ToolErrors` (Count) and `ToolLatency` (Milliseconds), each also by `tool=<tool name>`;
 * - `AuthFailures` (Count), by service only;
 * - `OperationsStarted` (Count), also by `action` = create | delete | scale | upgrade;
 * - `ColdStart` (Count), Powertools' own, also by `function_name`: POWERTOOLS_METRICS_FUNCTION_NAME, which
 *   infra/lib/node-function.ts sets to `<stack>-<function folder>`.
 * Everything else is AWS's own: AWS/ApiGateway, AWS/Lambda and AWS/States (outcome and duration of
 * every operation).
 *
 * Note: the per-tool graphs come from the tool registry (`tools` names, gated like the server gates
 * them) rather than a CloudWatch SEARCH expression: the same list the server serves, never a second one;
 * a widget per tool even before its first call; and plain metrics, which alarms accept and SEARCH results
 * are not. A new tool appears on the dashboard with the deploy that ships it.
 */
import { ArnFormat, Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { Stage } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
// The `action` dimension values of OperationsStarted: every operation a tool starts.
import { operationActions } from '../../shared/workflows/operation.ts';

/** POWERTOOLS_SERVICE_NAME: the `service` dimension of every custom metric and the logs' service field. */
export const serviceName = 'capi-mcp';
/** POWERTOOLS_METRICS_NAMESPACE. */
export const metricsNamespace = 'CapiMcp';

const fiveMinutes = Duration.minutes(5);

/** A function and the `function_name` its ColdStart metric carries. */
export interface ObservedFunction {
  readonly function: IFunction;
  readonly metricsName: string;
}

export interface ObservabilityProps {
  /** The REST API stage that serves MCP. */
  readonly stage: Stage;
  /** The MCP function (API front door); it emits the custom metrics. */
  readonly mcpFunction: ObservedFunction;
  /** The workflow step function. */
  readonly stepFunction: ObservedFunction;
  readonly stateMachine: IStateMachine;
  /** Names of the tools the server exposes, one graph each. */
  readonly toolNames: readonly string[];
  /** Mail alarms here (the address must confirm the subscription). */
  readonly alarmEmail?: string;
}

export class Observability extends Construct {
  readonly topic: Topic;
  readonly dashboard: Dashboard;
  readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.topic = this.alarmTopic(props.alarmEmail);
    this.alarms = this.createAlarms(props);
    const action = new SnsAction(this.topic);
    for (const alarm of this.alarms) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    this.dashboard = this.createDashboard(props);
  }

  private alarmTopic(email: string | undefined): Topic {
    // Note: a customer-managed key, because CloudWatch may not use the AWS-managed alias/aws/sns to publish.
    const key = new Key(this, 'AlarmTopicKey', {
      description: 'capi-mcp: encrypts the alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'], // in a key policy: this key
      }),
    );
    const topic = new Topic(this, 'AlarmTopic', { displayName: 'capi-mcp alarms', masterKey: key, enforceSSL: true });
    // enforceSSL gives the topic a resource policy, which replaces the default one: let this account's alarms publish.
    topic.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': Stack.of(this).formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
        },
      }),
    );
    if (email) topic.addSubscription(new EmailSubscription(email));
    return topic;
  }

  private createAlarms(props: ObservabilityProps): Alarm[] {
    const { stage, stateMachine } = props;
    const common = { evaluationPeriods: 1, treatMissingData: TreatMissingData.NOT_BREACHING } as const;
    const serverErrorRate = new MathExpression({
      // Below 20 requests in five minutes a single failure is not a rate worth paging on.
      expression: 'IF(requests >= 20, FILL(errors, 0) / requests, 0)',
      usingMetrics: { requests: stage.metricCount({ period: fiveMinutes, statistic: 'Sum' }), errors: stage.metricServerError({ period: fiveMinutes, statistic: 'Sum' }) },
      period: fiveMinutes,
      label: '5XX rate',
    });
    const failedOperations = new MathExpression({
      expression: 'FILL(failed, 0) + FILL(timedOut, 0)',
      usingMetrics: { failed: stateMachine.metricFailed({ period: fiveMinutes, statistic: 'Sum' }), timedOut: stateMachine.metricTimedOut({ period: fiveMinutes, statistic: 'Sum' }) },
      period: fiveMinutes,
      label: 'operations failed or timed out',
    });
    return [
      new Alarm(this, 'ApiServerErrorRate', {
        ...common,
        metric: serverErrorRate,
        threshold: 0.05,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        alarmDescription: 'capi-mcp: more than 5% of MCP requests answered 5XX over 5 minutes (at least 20 requests). See the MCP function logs.',
      }),
      new Alarm(this, 'OperationsFailed', {
        ...common,
        metric: failedOperations,
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        alarmDescription: 'capi-mcp: a cluster operation failed or timed out. get_operation names the cause; the state machine history shows the step.',
      }),
      ...(
        [
          ['McpFunctionThrottles', props.mcpFunction],
          ['StepFunctionThrottles', props.stepFunction],
        ] as const
      ).map(
        ([alarmId, { function: fn }]) =>
          new Alarm(this, alarmId, {
            ...common,
            metric: fn.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }),
            threshold: 1,
            comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            alarmDescription: 'capi-mcp: Lambda throttled invocations (account concurrency exhausted?).',
          }),
      ),
      new Alarm(this, 'AuthFailureSpike', {
        ...common,
        metric: custom('AuthFailures', {}, 'Sum'),
        threshold: 50,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        alarmDescription: 'capi-mcp: more than 50 refused API keys in 5 minutes: a misconfigured agent or someone guessing keys.',
      }),
    ];
  }

  private createDashboard(props: ObservabilityProps): Dashboard {
    const { stage, stateMachine } = props;
    const dashboard = new Dashboard(this, 'Dashboard', { dashboardName: Stack.of(this).stackName, defaultInterval: Duration.hours(3) });
    const graph = (title: string, left: IMetric[], right: IMetric[] = [], width = 8) => new GraphWidget({ title, left, right, width, height: 6 });
    const percentiles = (metric: (p: { statistic: string; label: string }) => IMetric) => [
      metric({ statistic: 'p50', label: 'p50' }),
      metric({ statistic: 'p99', label: 'p99' }),
    ];

    dashboard.addWidgets(
      new TextWidget({ markdown: '# capi-mcp\nMCP requests (API Gateway), the functions, each tool, API keys and cluster operations (Step Functions).', width: 24, height: 2 }),
    );
    dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: [...this.alarms], width: 24, height: 3 }));
    dashboard.addWidgets(
      graph('API requests', [stage.metricCount({ statistic: 'Sum', label: 'requests' })]),
      graph('API errors', [stage.metricClientError({ statistic: 'Sum', label: '4XX' }), stage.metricServerError({ statistic: 'Sum', label: '5XX' })]),
      graph('API latency (ms)', percentiles((p) => stage.metricLatency(p))),
    );
    for (const [name, observed] of [
      ['MCP function', props.mcpFunction],
      ['Workflow step function', props.stepFunction],
    ] as const) {
      const fn = observed.function;
      dashboard.addWidgets(
        graph(`${name}: invocations`, [
          fn.metricInvocations({ statistic: 'Sum', label: 'invocations' }),
          fn.metricErrors({ statistic: 'Sum', label: 'errors' }),
          fn.metricThrottles({ statistic: 'Sum', label: 'throttles' }),
        ]),
        graph(`${name}: duration (ms)`, percentiles((p) => fn.metricDuration(p))),
        graph(`${name}: cold starts`, [custom('ColdStart', { function_name: observed.metricsName }, 'Sum', 'cold starts')]),
      );
    }
    dashboard.addWidgets(
      ...props.toolNames.map((tool) =>
        graph(
          tool,
          [custom('ToolCalls', { tool }, 'Sum', 'calls'), custom('ToolErrors', { tool }, 'Sum', 'errors')],
          [custom('ToolLatency', { tool }, 'p50', 'p50 ms'), custom('ToolLatency', { tool }, 'p99', 'p99 ms')],
          6,
        ),
      ),
    );
    dashboard.addWidgets(
      graph('API key refusals', [custom('AuthFailures', {}, 'Sum', 'refused')]),
      graph('Operations started', operationActions.map((action) => custom('OperationsStarted', { action }, 'Sum', action))),
      graph('Operation outcomes', [
        stateMachine.metricStarted({ statistic: 'Sum', label: 'started' }),
        stateMachine.metricSucceeded({ statistic: 'Sum', label: 'succeeded' }),
        stateMachine.metricFailed({ statistic: 'Sum', label: 'failed' }),
        stateMachine.metricTimedOut({ statistic: 'Sum', label: 'timed out' }),
        stateMachine.metricAborted({ statistic: 'Sum', label: 'aborted' }),
      ]),
    );
    dashboard.addWidgets(graph('Operation duration (ms)', percentiles((p) => stateMachine.metricTime(p)), [], 24));
    return dashboard;
  }

  /** The dashboard in the console. */
  get dashboardUrl(): string {
    return `https://console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${this.dashboard.dashboardName}`;
  }
}

/** A server-emitted metric: namespace CapiMcp, `service` plus the given dimensions, over five minutes. */
function custom(metricName: string, dimensions: Record<string, string>, statistic: string, label?: string): Metric {
  return new Metric({
    namespace: metricsNamespace,
    metricName,
    dimensionsMap: { service: serviceName, ...dimensions },
    statistic,
    period: fiveMinutes,
    ...(label ? { label } : {}),
  });
}
