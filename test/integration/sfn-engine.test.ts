/**
 * SfnWorkflowEngine against moto's Step Functions, the local stand-in for the AWS boundary, running the
 * cluster-operation state machine exactly as CDK synthesizes it. moto executes it (its interpreter is
 * derived from LocalStack's) when `stepfunctions.execute_state_machine` is on, and its Docker-free Lambda
 * answers the Apply and Poll tasks with the payloads a test queues, in order, so every execution here
 * walks the real definition and leaves a real-shaped history.
 *
 * Where moto differs from AWS (found in moto 5.2.5's source and checked here):
 * - StopExecution drops `error` and `cause` (the ExecutionAborted event carries empty strings), so the
 *   abort cause is not asserted here; test/unit/sfn-history.test.ts reads it from an AWS-shaped event.
 * - GetExecutionHistory ignores reverseOrder and maxResults and returns the whole history oldest first;
 *   the engine orders events by id itself, so the same code reads both, but the 40-event window is not
 *   exercised here (the unit test is).
 * - Without execute_state_machine, executions never leave RUNNING and the history is a fixed sample.
 * - The interpreter invokes Lambda in the region of the Task's ARN, so the synthesized definition's
 *   local step-function ARN is replaced by one of moto's region and account.
 * StartExecution's name semantics (join the running execution with the same input, refuse a closed name
 * or other input) are as AWS documents them.
 *
 * Only one execution at a time may call the Lambda: the queue is shared. Tests that leave an execution
 * running give it a long pollSeconds and wait until it has reached Wait, past its Apply.
 *
 * Last, the local adapter serves MCP with this engine to a key limited to one namespace: every lookup
 * of an operation in another namespace sends Step Functions exactly the calls a lookup of a missing one
 * does, and answers the same text.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { synthesizeWorkflow } from '../../infra/lib/definition.ts';
import { createKey } from '../../shared/auth/key-admin.ts';
import { FileKeyStore } from '../../shared/auth/key-store.ts';
import { ExecutionAlreadyExists, startOperation, type ExecutionRecord } from '../../shared/workflows/engine.ts';
import type { Verdict, WorkflowInput } from '../../shared/workflows/operation.ts';
import { SfnWorkflowEngine } from '../../shared/workflows/sfn-engine.ts';
import { configureMoto, motoAccountId, motoClient, motoRegion, queueLambdaResults, startMoto, type Moto } from '../support/moto.ts';
import { eventually } from '../support/wait.ts';
import { connectV1, modernRpc, startTestServer } from '../support/mcp.ts';

let moto: Moto;
let engine: SfnWorkflowEngine;
let stateMachineArn: string;

before(async () => {
  moto = await startMoto();
  await configureMoto(moto, { stepfunctions: { execute_state_machine: true }, lambda: { use_docker: false } });
  const { definition, stepFunctionArn } = synthesizeWorkflow();
  const stepArn = `arn:aws:lambda:${motoRegion}:${motoAccountId}:function:capi-mcp-step`;
  const client = motoClient(SFNClient, moto);
  const machine = await client.send(
    new CreateStateMachineCommand({
      name: 'ClusterOperation',
      definition: JSON.stringify(definition).replaceAll(stepFunctionArn, stepArn),
      roleArn: `arn:aws:iam::${motoAccountId}:role/capi-mcp-workflows`,
    }),
  );
  stateMachineArn = machine.stateMachineArn!;
  engine = new SfnWorkflowEngine({ client, stateMachineArn });
});

after(async () => {
  await moto?.stop();
});

const input = (name: string, { pollSeconds = 600, timeoutSeconds = 900 } = {}): WorkflowInput => ({
  operation: { action: 'create', namespace: 'default', name },
  timeoutSeconds,
  pollSeconds,
});

const applied = (name: string) => ({ applied: `create of default/${name} applied` });

/** Waits until `name` satisfies `done`, failing with what was last seen. */
function observe(name: string, what: string, done: (r: ExecutionRecord) => boolean): Promise<ExecutionRecord> {
  return eventually(
    `${name} ${what}`,
    async () => {
      const record = await engine.describe(name);
      return { done: !!record && done(record), value: record!, seen: JSON.stringify(record) };
    },
    { timeoutMs: 20_000, intervalMs: 100 },
  );
}

const waiting = (name: string) => observe(name, 'waiting after Apply', (r) => r.status === 'RUNNING' && r.currentStep === 'Wait');

describe('SfnWorkflowEngine on moto Step Functions', () => {
  it('starts an execution that is RUNNING with its input, and waits after Apply', async () => {
    await queueLambdaResults(moto, [applied('a')]);
    const started = await engine.start('create-a', input('a'));
    assert.equal(started.name, 'create-a');
    assert.equal(started.status, 'RUNNING');
    assert.deepEqual(started.input, input('a'));
    assert.ok(Math.abs(Date.parse(started.startedAt) - Date.now()) < 60_000, started.startedAt);
    assert.equal(started.stoppedAt, undefined);
    const later = await waiting('create-a');
    assert.equal(later.startedAt, started.startedAt);
    assert.equal(later.lastVerdict, undefined, 'no Poll has run yet');
  });

  it('joins the running execution for the same name and input, and refuses other input', async () => {
    const joined = await engine.start('create-a', input('a'));
    assert.equal(joined.name, 'create-a');
    assert.equal(joined.startedAt, (await engine.describe('create-a'))!.startedAt);
    assert.equal((await engine.list()).filter((r) => r.name === 'create-a').length, 1);
    await assert.rejects(engine.start('create-a', input('a', { timeoutSeconds: 60 })), ExecutionAlreadyExists);
  });

  it('describes a name never started as undefined', async () => {
    assert.equal(await engine.describe('create-never'), undefined);
  });

  it('lists executions newest first, with their inputs', async () => {
    await queueLambdaResults(moto, [applied('b')]);
    await engine.start('create-b', input('b'));
    await waiting('create-b');
    const listed = await engine.list();
    assert.deepEqual(
      listed.map((r) => r.name).filter((n) => n === 'create-a' || n === 'create-b'),
      ['create-b', 'create-a'],
    );
    assert.deepEqual(listed.find((r) => r.name === 'create-b')?.input, input('b'));
    const starts = listed.map((r) => r.startedAt);
    assert.deepEqual(starts, [...starts].sort().reverse());
  });

  it("shows a Poll's verdict as the last verdict while the execution waits for the next Poll", async () => {
    const progressing: Verdict = { state: 'progressing', reason: 'control plane 0/1, workers 0/1' };
    await queueLambdaResults(moto, [applied('c'), progressing]);
    // Apply, Wait 3 s, Poll, then Wait 3 s: the window in which the verdict is there and no other Poll ran.
    await engine.start('create-c', input('c', { pollSeconds: 3 }));
    const seen = await observe('create-c', 'waiting with a verdict', (r) => r.lastVerdict !== undefined && r.currentStep === 'Wait');
    assert.equal(seen.status, 'RUNNING');
    assert.deepEqual(seen.lastVerdict, progressing);
    await engine.stop('create-c', 'the test has seen the verdict');
  });

  it('ends SUCCEEDED in Done once a Poll reports converged', async () => {
    const converged: Verdict = { state: 'converged', reason: 'Available with control plane 1/1 and workers 1/1' };
    await queueLambdaResults(moto, [applied('d'), converged]);
    await engine.start('create-d', input('d', { pollSeconds: 1 }));
    const done = await observe('create-d', 'closed', (r) => r.status !== 'RUNNING');
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    assert.equal(done.currentStep, 'Done');
    assert.deepEqual(done.lastVerdict, converged);
    assert.ok(done.stoppedAt && done.stoppedAt >= done.startedAt, JSON.stringify(done));
    assert.equal(done.error, undefined);
  });

  it("ends FAILED with the verdict's state and reason, in the step that decided it", async () => {
    const failed: Verdict = { state: 'failed', reason: 'cluster default/e no longer exists' };
    await queueLambdaResults(moto, [applied('e'), failed]);
    await engine.start('create-e', input('e', { pollSeconds: 1 }));
    const done = await observe('create-e', 'closed', (r) => r.status !== 'RUNNING');
    assert.equal(done.status, 'FAILED', JSON.stringify(done));
    assert.equal(done.error, 'failed');
    assert.equal(done.cause, failed.reason);
    // As the local engine reports it: the Choice that routed to OperationFailed, not the Fail state.
    assert.equal(done.currentStep, 'Converged?');
    assert.deepEqual(done.lastVerdict, failed);
  });

  it('stops a running execution: ABORTED, stopped, where it was', async () => {
    await queueLambdaResults(moto, [applied('f')]);
    await engine.start('create-f', input('f'));
    await waiting('create-f');
    const stopped = await engine.stop('create-f', 'cancelled by the test');
    assert.equal(stopped.status, 'ABORTED');
    assert.ok(stopped.stoppedAt, 'a stop date');
    assert.equal(stopped.currentStep, 'Wait');
    assert.equal((await engine.describe('create-f'))?.status, 'ABORTED');
  });

  it('refuses to start a stopped execution again, so startOperation takes the next generation', async () => {
    await assert.rejects(engine.start('create-f', input('f')), ExecutionAlreadyExists);
    await queueLambdaResults(moto, [applied('f')]);
    const again = await startOperation(engine, 'create-f', input('f'));
    assert.equal(again.name, 'create-f-g2');
    assert.equal(again.status, 'RUNNING');
    await waiting('create-f-g2');
  });

  it('startOperation joins the running execution of the same operation, even with other timeouts', async () => {
    await queueLambdaResults(moto, [applied('g')]);
    const first = await startOperation(engine, 'create-g', input('g'));
    await waiting('create-g');
    const same = await startOperation(engine, 'create-g', input('g'));
    const otherTimeouts = await startOperation(engine, 'create-g', input('g', { timeoutSeconds: 60 }));
    assert.deepEqual([first.name, same.name, otherTimeouts.name], ['create-g', 'create-g', 'create-g']);
    assert.equal(otherTimeouts.input.timeoutSeconds, 900, 'the running execution, with its own input');
    assert.equal(await engine.describe('create-g-g2'), undefined);
  });
});

describe('operation lookups by a key limited to one namespace, over MCP with this engine', () => {
  const commands: string[] = [];
  let url: URL;
  let token: string;
  let hidden: string;
  let visible: string;

  before(async () => {
    // The engine the server uses sends through a client that records each Step Functions command.
    const client = motoClient(SFNClient, moto);
    client.middlewareStack.add((next, context) => (args) => (commands.push(String(context.commandName)), next(args)), { step: 'initialize', name: 'recordCommands' });
    const counted = new SfnWorkflowEngine({ client, stateMachineArn });
    const keys = join(mkdtempSync(join(tmpdir(), 'capi-mcp-keys-')), 'api-keys.json');
    token = (await createKey(new FileKeyStore(keys), { name: 'team-a', scopes: ['read', 'write'], namespaces: ['team-a'] })).token;
    url = await startTestServer({ engine: counted, env: { CAPI_MCP_API_KEYS_FILE: keys } });
    for (const [name, namespace] of [['create-hidden', 'team-b'], ['create-visible', 'team-a']] as const) {
      await queueLambdaResults(moto, [applied(name)]);
      await engine.start(name, { ...input(name), operation: { action: 'create', namespace, name } });
      await waiting(name);
    }
    [hidden, visible] = ['create-hidden', 'create-visible'];
  });

  /** The Step Functions commands one lookup sent, and its answer with the id taken out. */
  async function traced(id: string, lookup: (id: string) => Promise<string>) {
    commands.length = 0;
    const answer = (await lookup(id)).replaceAll(id, '<id>');
    return { commands: [...commands], answer };
  }

  const tool = (name: string) => async (id: string) => {
    const { body } = await modernRpc(url, `Bearer ${token}`, 'tools/call', { name, arguments: { operation_id: id } }, name);
    return `${body.result?.isError ? 'error' : 'ok'}: ${body.result?.content?.[0]?.text ?? JSON.stringify(body)}`;
  };
  const tasksGet = async (id: string) => {
    const client = (await connectV1(url, token)) as unknown as { request(request: unknown, schema: unknown): Promise<unknown>; close(): Promise<void> };
    try {
      return `ok: ${JSON.stringify(await client.request({ method: 'tasks/get', params: { taskId: id } } as never, z.record(z.string(), z.unknown())))}`;
    } catch (error) {
      return `error: ${(error as Error).message}`;
    } finally {
      await client.close();
    }
  };
  const lookups: [string, (id: string) => Promise<string>][] = [
    ['get_operation', tool('get_operation')],
    ['cancel_operation', tool('cancel_operation')],
    ['tasks/get', tasksGet],
  ];

  for (const [what, lookup] of lookups) {
    it(`${what} on another namespace's operation sends the calls and answers the text of a missing one`, async () => {
      const elsewhere = await traced(hidden, lookup);
      const missing = await traced('create-missing', lookup);
      assert.match(missing.answer, /operation <id> not found|task <id>|not found/);
      assert.deepEqual(elsewhere.commands, missing.commands);
      assert.equal(elsewhere.answer, missing.answer);
    });
  }

  it("get_operation still reads an operation in the key's namespace, history included", async () => {
    const seen = await traced(visible, tool('get_operation'));
    assert.match(seen.answer, /^ok: operation <id>: create team-a\/<id> RUNNING/);
    assert.deepEqual(seen.commands, ['DescribeExecutionCommand', 'GetExecutionHistoryCommand']);
  });
});
