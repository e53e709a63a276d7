/**
 * The local engine's Step Functions semantics and durability, with the real engine running a minimal
 * state machine whose one task waits for the test to release it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CapiMcpError, ErrorCode } from '../../shared/errors.ts';
import {
  ExecutionAlreadyExists,
  executionBaseName,
  findRunningOperation,
  legacyExecutionBaseName,
  maxGenerations,
  startOperation,
} from '../../shared/workflows/engine.ts';
import { LocalWorkflowEngine } from '../../shared/workflows/local-engine.ts';
import type { Operation, WorkflowInput } from '../../shared/workflows/operation.ts';

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

/** Waits (10 s at most) for execution `name` to reach `status`. Note: each step's record is written and synced to disk, which a disk shared with a sandbox's etcd can make slow. */
async function until(engine: LocalWorkflowEngine, name: string, status: string) {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline && (await engine.describe(name))?.status !== status; ) await sleep(10);
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

  /** The deployed shape (Apply, then Wait and Poll until the verdict), its steps recorded. */
  function pollingWorkflow() {
    const steps: string[] = [];
    const workflow = {
      definition: {
        StartAt: 'Apply',
        States: {
          Apply: { Type: 'Task', Resource: arn, Parameters: { step: 'apply', 'operation.$': '$.operation' }, ResultPath: '$.applied', Next: 'Wait' },
          Wait: { Type: 'Wait', SecondsPath: '$.pollSeconds', Next: 'Poll' },
          Poll: { Type: 'Task', Resource: arn, Parameters: { step: 'poll', 'operation.$': '$.operation' }, ResultPath: '$.status', Next: 'Done' },
          Done: { Type: 'Succeed' },
        },
      },
      stepFunctionArn: arn,
      timeScale: 0.01,
      step: async (event: { step: string; operation: Operation }) => {
        steps.push(`${event.step} ${event.operation.name}`);
        return event.step === 'apply' ? { applied: 'ok' } : { state: 'converged' };
      },
    };
    return { workflow, steps };
  }

  it('resumes an execution whose Apply had ended at its Wait, never applying again; one stopped inside Apply applies again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-'));
    const startedAt = '2026-01-01T00:00:00.000Z';
    for (const [name, currentStep] of [['polling', 'Poll'], ['waiting', 'Wait'], ['applying', 'Apply']] as const) {
      writeFileSync(join(dir, `${name}.json`), JSON.stringify({ name, input: input(name), status: 'RUNNING', startedAt, currentStep }));
    }
    const { workflow, steps } = pollingWorkflow();
    const { engine } = await LocalWorkflowEngine.open(dir, workflow);
    for (const name of ['polling', 'waiting', 'applying']) await until(engine, name, 'SUCCEEDED');
    assert.deepEqual(steps.sort(), ['apply applying', 'poll applying', 'poll polling', 'poll waiting']);
  });

  it('opens a store with a damaged record: sets it aside as unreadable, resumes the others, and drops half-written files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-'));
    writeFileSync(join(dir, 'empty.json'), '');
    writeFileSync(join(dir, 'cut.json'), '{"name": "cut", "inp');
    writeFileSync(join(dir, 'elsewhere.json'), JSON.stringify({ name: 'other', input: input('o'), status: 'RUNNING', startedAt: '2026-01-01T00:00:00.000Z' }));
    writeFileSync(join(dir, 'fine.json'), JSON.stringify({ name: 'fine', input: input('f'), status: 'RUNNING', startedAt: '2026-01-01T00:00:00.000Z' }));
    writeFileSync(join(dir, 'fine.json.123.4.partial'), '{"name": "fi');
    const h = harness();
    h.release();
    const { engine, resumed, unreadable } = await LocalWorkflowEngine.open(dir, h.workflow);
    assert.deepEqual(resumed, ['fine']);
    assert.deepEqual(unreadable.sort(), ['cut.json', 'elsewhere.json', 'empty.json']);
    await until(engine, 'fine', 'SUCCEEDED');
    // Note: the record reads SUCCEEDED before its file is written: wait for the writes too.
    await engine.idle();
    assert.deepEqual(readdirSync(dir).sort(), ['cut.json.unreadable', 'elsewhere.json.unreadable', 'empty.json.unreadable', 'fine.json']);
  });

  it('keeps the store owner-only: records hold operation inputs', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'wf-')), 'executions');
    const h = harness();
    h.release();
    const { engine } = await LocalWorkflowEngine.open(dir, h.workflow);
    await engine.start('x', input('a'));
    await until(engine, 'x', 'SUCCEEDED');
    await engine.idle();
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, 'x.json')).mode & 0o777, 0o600);
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

  // Seen in CI: a record saved while an earlier save of it was still syncing could land first, and the
  // earlier one then overwrote it: the store said RUNNING of an execution the engine had stopped, and
  // the next start resumed it (a cancelled create would have applied again).
  it('keeps on disk the record it holds, however many of its updates race', async () => {
    const h = harness();
    const dir = mkdtempSync(join(tmpdir(), 'wf-'));
    const { engine } = await LocalWorkflowEngine.open(dir, h.workflow);
    await engine.start('x', input('a'));
    await engine.stop('x', 'first');
    await Promise.all(Array.from({ length: 40 }, (_, i) => engine.stop('x', `cancelled, try ${i}`)));
    const held = await engine.describe('x');
    assert.equal(held?.cause, 'cancelled, try 39');
    assert.deepEqual(await (await LocalWorkflowEngine.open(dir, h.workflow)).engine.describe('x'), held, 'a new engine on the store reads what this one holds');
    h.release();
  });
});

describe('executionBaseName', () => {
  const op = (fields: Partial<Operation> = {}): Operation => ({ action: 'delete', namespace: 'team-a', name: 'x-y', ...fields });
  const id = (fields: Partial<Operation> = {}, target: unknown = 'delete') => executionBaseName(op(fields), target);

  it('gives the delete of team-a/x-y and the delete of team/a-x-y distinct ids', () => {
    assert.notEqual(id(), id({ namespace: 'team', name: 'a-x-y' }));
  });

  it('gives the same id whatever the key order of the target, at every depth', () => {
    const target = { topology: { version: 'v1.35.0', workers: [{ class: 'w', name: 'md-0', replicas: 1 }] }, paused: false };
    const reordered = { paused: false, topology: { workers: [{ replicas: 1, name: 'md-0', class: 'w' }], version: 'v1.35.0' } };
    assert.equal(id({ action: 'create' }, reordered), id({ action: 'create' }, target));
  });

  const changes: [string, Partial<Operation>, unknown][] = [
    ['the management cluster', { managementCluster: 'eu' }, 'delete'],
    ['the action', { action: 'create' }, 'delete'],
    ['the namespace', { namespace: 'team-b' }, 'delete'],
    ['the name', { name: 'x-z' }, 'delete'],
    ['the target', {}, 'delete-again'],
  ];
  for (const [what, fields, target] of changes) {
    it(`changes the id when only ${what} changes`, () => {
      assert.notEqual(id(fields, target), id());
    });
  }

  it('keeps every generation a valid Step Functions execution name, for the longest namespace and name', () => {
    const base = id({ namespace: 'n'.repeat(63), name: `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}` });
    for (const name of [base, `${base}-g${maxGenerations}`]) {
      assert.ok(name.length <= 80, `${name} is ${name.length} characters`);
      assert.match(name, /^[A-Za-z0-9_-]+$/);
    }
  });

  it('keeps the id readable: action, namespace and name lead it', () => {
    assert.match(id(), /^delete_team-a_x-y_[0-9a-f]+$/);
  });
});

describe('operation generations', () => {
  const neighbour: WorkflowInput = { operation: { action: 'delete', namespace: 'team', name: 'a-x-y' }, timeoutSeconds: 60, pollSeconds: 1 };
  const ours: WorkflowInput = { operation: { action: 'delete', namespace: 'team-a', name: 'x-y' }, timeoutSeconds: 60, pollSeconds: 1 };

  it("a neighbour's closed operations take no generation of ours", async () => {
    const h = harness();
    h.release();
    const { engine } = await LocalWorkflowEngine.open(mkdtempSync(join(tmpdir(), 'wf-')), h.workflow);
    for (let i = 0; i < 3; i++) {
      const record = await startOperation(engine, executionBaseName(neighbour.operation, 'delete'), neighbour);
      await until(engine, record.name, 'SUCCEEDED');
    }
    const base = executionBaseName(ours.operation, 'delete');
    assert.equal((await startOperation(engine, base, ours)).name, base);
    await engine.idle();
  });

  it(`refuses run number ${maxGenerations + 1} of one operation as a Conflict that says when it may run again`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-'));
    const base = executionBaseName(ours.operation, 'delete');
    const startedAt = '2026-01-01T00:00:00.000Z';
    for (let g = 1; g <= maxGenerations; g++) {
      const name = g === 1 ? base : `${base}-g${g}`;
      writeFileSync(join(dir, `${name}.json`), JSON.stringify({ name, input: ours, status: 'SUCCEEDED', startedAt, stoppedAt: startedAt }));
    }
    const { engine } = await LocalWorkflowEngine.open(dir, harness().workflow);
    await assert.rejects(startOperation(engine, base, ours), (error: unknown) => {
      assert.ok(error instanceof CapiMcpError, String(error));
      assert.equal(error.code, ErrorCode.Conflict);
      assert.match(error.message, new RegExp(`the delete of team-a/x-y has run ${maxGenerations} times`));
      assert.match(error.hint ?? '', /90 days/);
      return true;
    });
  });

  it('joins an operation still running under its id from before ids covered namespace and name', async () => {
    const h = harness();
    const { engine } = await LocalWorkflowEngine.open(mkdtempSync(join(tmpdir(), 'wf-')), h.workflow);
    const legacy = await engine.start(legacyExecutionBaseName(ours.operation, 'delete'), ours);
    assert.equal((await findRunningOperation(engine, ours, 'delete'))?.name, legacy.name);
    assert.equal(await findRunningOperation(engine, neighbour, 'delete'), undefined, "the neighbour's operation is not ours");
    h.release();
    await engine.idle();
  });
});
