/**
 * The Step Functions record mapping (recordOf) on histories shaped as AWS returns them: a page of the
 * newest events, newest first, with the event types and details the deployed definition produces. These
 * cover what moto cannot show (test/integration/sfn-engine.test.ts): an abort's cause, a caught step
 * error, retries, and a page that is only the newest 40 events.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DescribeExecutionOutput, HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { synthesizeWorkflow } from '../../infra/lib/definition.ts';
import type { ExecutionRecord } from '../../shared/workflows/engine.ts';
import type { Verdict, WorkflowInput } from '../../shared/workflows/operation.ts';
import { historyWindow, NotAnOperation, recordOf, SfnWorkflowEngine } from '../../shared/workflows/sfn-engine.ts';
import { failurePath, StateNames } from '../../shared/workflows/states.ts';

const definition = synthesizeWorkflow().definition as { States: Record<string, { Type: string; Next?: string; ResultPath?: string; Retry?: { MaxAttempts: number }[] }> };
const pollRetries = definition.States.Poll!.Retry![0]!.MaxAttempts;
const machineArn = 'arn:aws:states:eu-west-1:111122223333:stateMachine:ClusterOperation';
const input: WorkflowInput = { operation: { action: 'create', namespace: 'team-a', name: 'web' }, timeoutSeconds: 1800, pollSeconds: 30 };
const startDate = new Date('2026-03-01T10:00:00.000Z');
const progressing: Verdict = { state: 'progressing', reason: 'control plane 0/1, workers 0/2' };
const converged: Verdict = { state: 'converged', reason: 'Available with control plane 1/1 and workers 2/2' };
const failed: Verdict = { state: 'failed', reason: 'cluster team-a/web no longer exists' };
const stepArn = 'arn:aws:lambda:eu-west-1:111122223333:function:CapiMcp-WorkflowsStepFunction';

/** Builds an execution's history event by event, as Step Functions records it for the deployed definition. */
class HistoryBuilder {
  private readonly events: HistoryEvent[] = [];
  private state: Record<string, unknown> = { ...input };
  private clock = startDate.getTime();

  private add(type: string, details: Partial<HistoryEvent> = {}): this {
    const id = this.events.length + 1;
    this.clock += 10;
    this.events.push({ id, previousEventId: id - 1, timestamp: new Date(this.clock), type: type as HistoryEvent['type'], ...details });
    return this;
  }

  private enter(kind: string, name: string): this {
    return this.add(`${kind}StateEntered`, { stateEnteredEventDetails: { name, input: JSON.stringify(this.state), inputDetails: { truncated: false } } });
  }

  private exit(kind: string, name: string): this {
    return this.add(`${kind}StateExited`, { stateExitedEventDetails: { name, output: JSON.stringify(this.state), outputDetails: { truncated: false } } });
  }

  private invoke(payload: unknown): this {
    return this.add('LambdaFunctionScheduled', { lambdaFunctionScheduledEventDetails: { resource: stepArn, input: JSON.stringify(payload) } }).add('LambdaFunctionStarted');
  }

  started(): this {
    return this.add('ExecutionStarted', { executionStartedEventDetails: { input: JSON.stringify(input), roleArn: 'arn:aws:iam::111122223333:role/Workflows' } });
  }

  /** Apply entered and its Lambda invoked. */
  applying(): this {
    return this.enter('Task', 'Apply').invoke({ step: 'apply', operation: input.operation });
  }

  /** Apply through to its exit, and into the first Wait. */
  applied(): this {
    this.applying();
    const result = { applied: 'create of team-a/web applied' };
    this.add('LambdaFunctionSucceeded', { lambdaFunctionSucceededEventDetails: { output: JSON.stringify(result) } });
    this.state = { ...this.state, applied: result };
    return this.exit('Task', 'Apply').enter('Wait', 'Wait');
  }

  /** Leaves the Wait and enters Poll. */
  polling(): this {
    return this.exit('Wait', 'Wait').enter('Task', 'Poll').invoke({ step: 'poll', operation: input.operation });
  }

  /** A Poll invocation failing with `error` (TransientError is retried: another invoke follows). */
  pollFails(error: string, cause: string, retried: boolean): this {
    this.add('LambdaFunctionFailed', { lambdaFunctionFailedEventDetails: { error, cause } });
    return retried ? this.invoke({ step: 'poll', operation: input.operation }) : this;
  }

  /** The Poll returns `verdict`; the Choice routes on it (back to Wait, or to Done / OperationFailed). */
  polled(verdict: Verdict, { truncated = false } = {}): this {
    this.add('LambdaFunctionSucceeded', { lambdaFunctionSucceededEventDetails: { output: JSON.stringify(verdict) } });
    this.state = { ...this.state, status: verdict };
    const output = truncated ? JSON.stringify(this.state).slice(0, 100) : JSON.stringify(this.state);
    this.add('TaskStateExited', { stateExitedEventDetails: { name: 'Poll', output, outputDetails: { truncated } } });
    this.enter('Choice', 'Converged?').exit('Choice', 'Converged?');
    if (verdict.state === 'progressing') return this.enter('Wait', 'Wait');
    if (verdict.state === 'converged') return this.enter('Succeed', 'Done').exit('Succeed', 'Done');
    return this.enter('Fail', 'OperationFailed');
  }

  /** Apply fails with a non-transient error, which its Catch routes to the end. */
  applyCaught(error: string, cause: string): this {
    return this.applying().caught('Apply', error, cause).executionFailed(error, cause);
  }

  /** A task's failure caught by its Catch: StepFailed → Failed. */
  caught(task: string, error: string, cause: string): this {
    this.add('LambdaFunctionFailed', { lambdaFunctionFailedEventDetails: { error, cause } });
    this.state = { ...this.state, error: { Error: error, Cause: cause } };
    return this.exit('Task', task).enter('Pass', 'StepFailed').exit('Pass', 'StepFailed').enter('Fail', 'Failed');
  }

  executionFailed(error: string, cause: string): this {
    return this.add('ExecutionFailed', { executionFailedEventDetails: { error, cause } });
  }

  succeeded(): this {
    return this.add('ExecutionSucceeded', { executionSucceededEventDetails: { output: JSON.stringify(this.state) } });
  }

  /** StopExecution with only a cause, as SfnWorkflowEngine.stop sends it. */
  aborted(cause: string): this {
    return this.add('ExecutionAborted', { executionAbortedEventDetails: { cause } });
  }

  timedOut(error: string, cause: string): this {
    return this.add('ExecutionTimedOut', { executionTimedOutEventDetails: { error, cause } });
  }

  /** What GetExecutionHistory(reverseOrder, maxResults) returns: the newest `size` events, newest first. */
  page(size = historyWindow): HistoryEvent[] {
    return [...this.events].reverse().slice(0, size);
  }

  get length(): number {
    return this.events.length;
  }
}

const history = () => new HistoryBuilder().started();

function description(fields: Partial<DescribeExecutionOutput> = {}): DescribeExecutionOutput {
  return {
    executionArn: `${machineArn.replace(':stateMachine:', ':execution:')}:create-team-a-web-0123456789`,
    stateMachineArn: machineArn,
    name: 'create-team-a-web-0123456789',
    status: 'RUNNING',
    startDate,
    input: JSON.stringify(input),
    ...fields,
  };
}

const stopDate = new Date('2026-03-01T10:20:00.000Z');

describe('recordOf', () => {
  const cases: { name: string; description: DescribeExecutionOutput; events: HistoryEvent[]; expect: Partial<ExecutionRecord> }[] = [
    {
      name: 'an execution still in Apply is at Apply',
      description: description(),
      events: history().applying().page(),
      expect: { status: 'RUNNING', currentStep: 'Apply', lastVerdict: undefined },
    },
    {
      name: 'an execution that has entered no state yet has no step',
      description: description(),
      events: history().page(),
      expect: { status: 'RUNNING', currentStep: undefined },
    },
    {
      name: 'an execution waiting after Apply is at Wait, with no verdict yet',
      description: description(),
      events: history().applied().page(),
      expect: { status: 'RUNNING', currentStep: 'Wait', lastVerdict: undefined },
    },
    {
      name: 'an execution waiting after a progressing Poll has that verdict',
      description: description(),
      events: history().applied().polling().polled(progressing).page(),
      expect: { status: 'RUNNING', currentStep: 'Wait', lastVerdict: progressing },
    },
    {
      name: 'a Poll retried to its limit still shows the verdict before it, within the window',
      description: description(),
      events: (() => {
        const h = history().applied().polling().polled(progressing).polling();
        for (let retry = 1; retry <= pollRetries; retry++) h.pollFails('TransientError', 'connect ETIMEDOUT', true);
        return h.page();
      })(),
      expect: { status: 'RUNNING', currentStep: 'Poll', lastVerdict: progressing },
    },
    {
      name: 'a succeeded execution ends in Done with the converged verdict',
      description: description({ status: 'SUCCEEDED', stopDate }),
      events: history().applied().polling().polled(progressing).polling().polled(converged).succeeded().page(),
      expect: { status: 'SUCCEEDED', currentStep: 'Done', lastVerdict: converged, stoppedAt: stopDate.toISOString(), error: undefined, cause: undefined },
    },
    {
      name: 'a failed verdict ends FAILED at the Choice that decided it, with the verdict as error and cause',
      description: description({ status: 'FAILED', stopDate, error: 'failed', cause: failed.reason }),
      events: history().applied().polling().polled(failed).executionFailed('failed', failed.reason).page(),
      expect: { status: 'FAILED', currentStep: 'Converged?', lastVerdict: failed, error: 'failed', cause: failed.reason },
    },
    {
      name: 'a step error caught in Apply ends FAILED at Apply, with the step error and cause',
      description: description({ status: 'FAILED', stopDate, error: 'InvalidInput', cause: 'version must be a valid semantic version' }),
      events: history().applyCaught('InvalidInput', 'version must be a valid semantic version').page(),
      expect: { status: 'FAILED', currentStep: 'Apply', lastVerdict: undefined, error: 'InvalidInput', cause: 'version must be a valid semantic version' },
    },
    {
      name: 'a step error caught in a later Poll keeps the verdict of the Poll before it',
      description: description({ status: 'FAILED', stopDate, error: 'Forbidden', cause: 'clusters is forbidden' }),
      events: history().applied().polling().polled(progressing).polling().caught('Poll', 'Forbidden', 'clusters is forbidden').executionFailed('Forbidden', 'clusters is forbidden').page(),
      expect: { status: 'FAILED', currentStep: 'Poll', lastVerdict: progressing, error: 'Forbidden', cause: 'clusters is forbidden' },
    },
    {
      name: 'an aborted execution takes its cause from the ExecutionAborted event, which DescribeExecution leaves out',
      description: description({ status: 'ABORTED', stopDate }),
      events: history().applied().polling().polled(progressing).aborted('cancelled through cancel_operation').page(),
      expect: { status: 'ABORTED', currentStep: 'Wait', lastVerdict: progressing, error: undefined, cause: 'cancelled through cancel_operation' },
    },
    {
      name: 'a timed-out execution takes its error and cause from the ExecutionTimedOut event',
      description: description({ status: 'TIMED_OUT', stopDate }),
      events: history().applied().timedOut('States.Timeout', 'the execution ran longer than its TimeoutSeconds').page(),
      expect: { status: 'TIMED_OUT', currentStep: 'Wait', error: 'States.Timeout', cause: 'the execution ran longer than its TimeoutSeconds' },
    },
    {
      name: 'a truncated Poll output is no verdict',
      description: description(),
      events: history().applied().polling().polled(progressing, { truncated: true }).page(),
      expect: { status: 'RUNNING', currentStep: 'Wait', lastVerdict: undefined },
    },
    {
      name: 'a verdict older than the newest 40 events is not reported',
      description: description(),
      events: (() => {
        const h = history().applied().polling().polled(progressing).polling();
        // Twice the failed attempts the deployed Retry allows: only a longer history pushes it out.
        for (let attempt = 1; attempt <= 2 * pollRetries; attempt++) h.pollFails('TransientError', 'connect ETIMEDOUT', true);
        return h.page();
      })(),
      expect: { status: 'RUNNING', currentStep: 'Poll', lastVerdict: undefined },
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      // Act
      const record = recordOf(c.description, c.events);
      // Assess
      assert.equal(record.name, 'create-team-a-web-0123456789');
      assert.deepEqual(record.input, input);
      assert.equal(record.startedAt, startDate.toISOString());
      for (const [field, value] of Object.entries(c.expect)) assert.deepEqual(record[field as keyof ExecutionRecord], value, field);
    });
  }

  it('gives the same record for the events in either order (moto returns them oldest first)', () => {
    const events = history().applied().polling().polled(progressing).aborted('cancelled').page();
    assert.deepEqual(recordOf(description({ status: 'ABORTED', stopDate }), [...events].reverse()), recordOf(description({ status: 'ABORTED', stopDate }), events));
  });

  it('prefers the error and cause DescribeExecution gives over the events', () => {
    const events = history().applied().executionFailed('FromEvent', 'event cause').page();
    const record = recordOf(description({ status: 'FAILED', stopDate, error: 'FromDescribe', cause: 'describe cause' }), events);
    assert.deepEqual([record.error, record.cause], ['FromDescribe', 'describe cause']);
  });

  it('refuses an execution whose input is not a workflow input', () => {
    assert.throws(() => recordOf(description({ input: '{"hello":"world"}' }), []), NotAnOperation);
    assert.throws(() => recordOf(description({ input: 'not json' }), []), NotAnOperation);
  });

  it("fits a Poll retried to the deployed Retry's limit, then caught, inside the history window", () => {
    const h = history().applied().polling().polled(progressing);
    const lastExit = h.length - 3; // the Poll's exit, then the Choice's entry and exit, then Wait entered
    h.polling();
    for (let retry = 1; retry <= pollRetries; retry++) h.pollFails('TransientError', 'x', true);
    h.caught('Poll', 'TransientError', 'x').executionFailed('TransientError', 'x');
    assert.ok(pollRetries >= 1, 'the deployed Poll retries');
    assert.ok(h.length - lastExit + 1 <= historyWindow, `${h.length - lastExit + 1} events back to the Poll exit before the retries`);
  });
});

describe('SfnWorkflowEngine addressing', () => {
  const noClient = {} as SFNClient;

  const arns = [
    { machine: machineArn, name: 'create-x', execution: 'arn:aws:states:eu-west-1:111122223333:execution:ClusterOperation:create-x' },
    { machine: 'arn:aws-cn:states:cn-north-1:111122223333:stateMachine:Ops', name: 'a-g2', execution: 'arn:aws-cn:states:cn-north-1:111122223333:execution:Ops:a-g2' },
  ];
  for (const { machine, name, execution } of arns) {
    it(`names execution ${name} of ${machine} by its execution ARN`, () => {
      assert.equal(new SfnWorkflowEngine({ client: noClient, stateMachineArn: machine }).executionArn(name), execution);
    });
  }

  it('refuses an ARN that is not a state machine', () => {
    for (const arn of ['', 'ClusterOperation', 'arn:aws:states:eu-west-1:111122223333:execution:ClusterOperation:x', 'arn:aws:lambda:eu-west-1:111122223333:function:f']) {
      assert.throws(() => new SfnWorkflowEngine({ client: noClient, stateMachineArn: arn }), /not a state machine ARN/, arn);
    }
  });

  it('asks for the newest events only (moto ignores these parameters, so only this test sees them)', async () => {
    const sent: { name: string; input: any }[] = [];
    const client = {
      send: async (command: { constructor: { name: string }; input: unknown }) => {
        sent.push({ name: command.constructor.name, input: command.input });
        return command.constructor.name === 'DescribeExecutionCommand' ? description() : { events: history().applied().page() };
      },
    } as unknown as SFNClient;
    await new SfnWorkflowEngine({ client, stateMachineArn: machineArn }).describe('create-x');
    assert.deepEqual(sent.map((s) => s.name), ['DescribeExecutionCommand', 'GetExecutionHistoryCommand']);
    assert.deepEqual(sent[1]!.input, { executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:ClusterOperation:create-x', reverseOrder: true, maxResults: historyWindow });
  });
});

describe('the state names (shared/workflows/states.ts)', () => {
  it('are exactly the states of the synthesized definition', () => {
    assert.deepEqual(Object.keys(definition.States).sort(), Object.values(StateNames).sort());
  });

  it('name the Poll task and the failure path of the synthesized definition', () => {
    const states = definition.States;
    const polls = Object.entries(states).filter(([, s]) => s.Type === 'Task' && s.ResultPath === '$.status').map(([name]) => name);
    assert.deepEqual(polls, [StateNames.poll]);
    const fails = Object.entries(states).filter(([, s]) => s.Type === 'Fail').map(([name]) => name);
    const toFail = Object.entries(states).filter(([, s]) => s.Type === 'Pass' && fails.includes(s.Next ?? '')).map(([name]) => name);
    assert.deepEqual([...fails, ...toFail].sort(), [...failurePath].sort());
  });
});
