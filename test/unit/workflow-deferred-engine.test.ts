/**
 * deferredWorkflowEngine: the MCP function's Step Functions engine is built on its first call, not at
 * init, so nothing is built until a call needs it, one build serves every call, a failed build is retried,
 * and each method reaches the built engine with its arguments and result unchanged. The state machine
 * ARN is still checked at init (assertStateMachineArn), without loading the Step Functions client.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ExecutionRecord, WorkflowEngine } from '../../shared/workflows/engine.ts';
import { deferredWorkflowEngine } from '../../shared/workflows/deferred-engine.ts';
import { assertStateMachineArn } from '../../shared/workflows/state-machine-arn.ts';

const record = { name: 'create_team-a_web_0123456789abcdef0123', status: 'RUNNING' } as unknown as ExecutionRecord;

/** An engine that records each call and answers with `record`. */
function recordingEngine(calls: unknown[][]): WorkflowEngine {
  return {
    start: async (...args) => (calls.push(['start', ...args]), record),
    describe: async (...args) => (calls.push(['describe', ...args]), record),
    list: async (...args) => (calls.push(['list', ...args]), [record]),
    stop: async (...args) => (calls.push(['stop', ...args]), record),
  };
}

describe('deferredWorkflowEngine', () => {
  it('builds nothing until the first call', () => {
    let builds = 0;
    deferredWorkflowEngine(async () => (builds++, recordingEngine([])));
    assert.equal(builds, 0);
  });

  it('builds once for every call, concurrent ones included', async () => {
    let builds = 0;
    const engine = deferredWorkflowEngine(async () => (builds++, recordingEngine([])));
    await Promise.all([engine.list(), engine.describe('a'), engine.list({ limit: 5 })]);
    await engine.stop('a', 'cancelled');
    assert.equal(builds, 1);
  });

  it('hands each method its arguments and returns its result', async () => {
    const calls: unknown[][] = [];
    const engine = deferredWorkflowEngine(async () => recordingEngine(calls));
    const visible = () => true;
    const input = { operation: { action: 'create', namespace: 'team-a', name: 'web' } } as never;
    assert.equal(await engine.start('op-1', input), record);
    assert.equal(await engine.describe('op-1', visible), record);
    assert.deepEqual(await engine.list({ limit: 5 }), [record]);
    assert.equal(await engine.stop('op-1', 'cancelled by the caller'), record);
    assert.deepEqual(calls, [
      ['start', 'op-1', input],
      ['describe', 'op-1', visible],
      ['list', { limit: 5 }],
      ['stop', 'op-1', 'cancelled by the caller'],
    ]);
  });

  it('retries a build that failed on the next call', async () => {
    let builds = 0;
    const engine = deferredWorkflowEngine(async () => {
      if (++builds === 1) throw new Error('credentials not ready');
      return recordingEngine([]);
    });
    await assert.rejects(engine.list(), /credentials not ready/);
    assert.deepEqual(await engine.list(), [record]);
    assert.equal(builds, 2);
  });
});

describe('assertStateMachineArn', () => {
  const cases: [string, string, boolean][] = [
    ['accepts a state machine ARN', 'arn:aws:states:eu-west-1:111122223333:stateMachine:ClusterOperation', true],
    ['accepts one in another partition', 'arn:aws-cn:states:cn-north-1:111122223333:stateMachine:Ops', true],
    ['refuses an execution ARN', 'arn:aws:states:eu-west-1:111122223333:execution:ClusterOperation:x', false],
    ['refuses an account id of the wrong length', 'arn:aws:states:eu-west-1:1111:stateMachine:ClusterOperation', false],
    ['refuses a bare name', 'ClusterOperation', false],
  ];
  for (const [title, arn, valid] of cases) {
    it(title, () => {
      if (valid) assertStateMachineArn(arn);
      else assert.throws(() => assertStateMachineArn(arn), /not a state machine ARN/);
    });
  }
});
