/**
 * The local engine's Step Functions semantics and durability, with the real engine running a minimal
 * state machine whose one task waits for the test to release it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExecutionAlreadyExists, startOperation } from '../../shared/workflows/engine.ts';
import { LocalWorkflowEngine } from '../../shared/workflows/local-store-engine.ts';
import type { WorkflowInput } from '../../shared/workflows/operation.ts';

const arn = 'arn:aws:lambda:local:000000000000:function:Step';
const definition = {
  StartAt: 'Apply',
  States: { Apply: { Type: 'Task', Resource: arn, Parameters: { step: 'apply', 'operation.$': '$.operation' }, Next: 'Done' }, Done: { Type: 'Succeed' } },
};

function harness() {
  let release: () => void = () => undefined;
  let gate = new Promise<void>((r) => (release = r));
  const workflow = {
    definition,
    stepFunctionArn: arn,
    timeScale: 1,
    step: async () => {
      await gate;
      return { applied: 'ok' };
    },
  };
  return {
    workflow,
    release: () => {
      release();
      gate = Promise.resolve();
    },
  };
}

const input = (name: string, timeoutSeconds = 60): WorkflowInput => ({
  operation: { action: 'create', namespace: 'default', name },
  timeoutSeconds,
  pollSeconds: 1,
});

async function until(engine: LocalWorkflowEngine, name: string, status: string) {
  for (let i = 0; i < 200 && (await engine.describe(name))?.status !== status; i++) await sleep(10);
  assert.equal((await engine.describe(name))?.status, status);
}

describe('LocalWorkflowEngine', () => {
  it('returns the running execution for the same name and input', async () => {
    const h = harness();
    const { engine } = await LocalWorkflowEngine.open(mkdtempSync(join(tmpdir(), 'wf-')), h.workflow);
    const a = await engine.start('x', input('a'));
    const b = await engine.start('x', input('a'));
    assert.equal(b.name, a.name);
    assert.equal(b.startedAt, a.startedAt);
    assert.equal((await engine.list()).length, 1);
    h.release();
    await engine.idle();
  });

  it('refuses the same name with other input, and a closed name', async () => {
    const h = harness();
    const { engine } = await LocalWorkflowEngine.open(mkdtempSync(join(tmpdir(), 'wf-')), h.workflow);
    await engine.start('x', input('a'));
    await assert.rejects(engine.start('x', input('a', 99)), ExecutionAlreadyExists);
    h.release();
    await until(engine, 'x', 'SUCCEEDED');
    await assert.rejects(engine.start('x', input('a')), ExecutionAlreadyExists);
  });

  it('startOperation joins a running execution and takes the next generation after a closed one', async () => {
    const h = harness();
    const { engine } = await LocalWorkflowEngine.open(mkdtempSync(join(tmpdir(), 'wf-')), h.workflow);
    const first = await startOperation(engine, 'create-a', input('a'));
    const joined = await startOperation(engine, 'create-a', input('a'));
    assert.equal(joined.name, first.name);
    h.release();
    await until(engine, 'create-a', 'SUCCEEDED');
    const again = await startOperation(engine, 'create-a', input('a'));
    assert.equal(again.name, 'create-a-g2');
    await engine.idle();
  });

  it('keeps records across a restart and resumes what was running, from its original start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-'));
    const startedAt = '2026-01-01T00:00:00.000Z';
    writeFileSync(join(dir, 'resumed.json'), JSON.stringify({ name: 'resumed', input: input('r'), status: 'RUNNING', startedAt }));
    writeFileSync(join(dir, 'old.json'), JSON.stringify({ name: 'old', input: input('o'), status: 'SUCCEEDED', startedAt, stoppedAt: startedAt }));
    const h = harness();
    h.release();
    const { engine, resumed } = await LocalWorkflowEngine.open(dir, h.workflow);
    assert.deepEqual(resumed, ['resumed']);
    await until(engine, 'resumed', 'SUCCEEDED');
    assert.equal((await engine.describe('resumed'))?.startedAt, startedAt);
    assert.equal((await engine.describe('old'))?.status, 'SUCCEEDED');
    const reopened = (await LocalWorkflowEngine.open(dir, h.workflow)).engine;
    assert.equal((await reopened.describe('resumed'))?.status, 'SUCCEEDED', 'the outcome was persisted');
  });

  it('stops a running execution as ABORTED with the cause', async () => {
    const h = harness();
    const { engine } = await LocalWorkflowEngine.open(mkdtempSync(join(tmpdir(), 'wf-')), h.workflow);
    await engine.start('x', input('a'));
    const stopped = await engine.stop('x', 'cancelled by the test');
    assert.equal(stopped.status, 'ABORTED');
    assert.equal(stopped.cause, 'cancelled by the test');
    h.release();
  });
});
