/**
 * MCP tasks through the real requester, `@modelcontextprotocol/ext-tasks`, over HTTP against the local
 * adapter, with the synthesized state machine run by the local engine against the test sandbox:
 * - 2025-11-25 (`tasks` capability): a task-augmented create_cluster answers a task at once, tasks/get
 *   follows it, tasks/cancel cancels it, tasks/result blocks until it ends, tasks/list pages;
 * - 2026-07-28 (`io.modelcontextprotocol/tasks`): the server answers a task, followed to completed with
 *   the operation's result inlined and the cluster Available;
 * - clients without tasks still get an operation_id; keys see and cancel only what their scopes and
 *   namespaces allow; a second server on the same execution store answers for every task (no task
 *   lives in a server's memory).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/client';
import { createTaskSessionFromClient, type RawClientDispatch, type TaskEnabledSession } from '@modelcontextprotocol/ext-tasks/client';
import type { TaskId } from '@modelcontextprotocol/ext-tasks/core';
import { z } from 'zod';
import { createKey } from '../../shared/auth/key-admin.ts';
import { FileKeyStore } from '../../shared/auth/key-store.ts';
import type { Scope } from '../../shared/auth/scopes.ts';
import { taskStatusV1, taskStatusV2 } from '../../shared/mcp/tasks/task-state.ts';
import type { ExecutionStatus } from '../../shared/workflows/states.ts';
import { closeWhenFileEnds, connectClient, connectV1, connectV2, modernRpc, startTestServer, textOf } from '../support/mcp.ts';
import { useNamespace } from '../support/sandbox.ts';
import { availableCluster, inMemoryCreateArgs } from '../support/clusters.ts';

// What the file opens (servers, then clients) is closed newest first when it ends, before the namespaces
// are cleaned up (closeWhenFileEnds): no engine acts on a cluster being deleted.
const ns = await useNamespace('mcp-tasks', { withClusterClass: true });
const elsewhere = await useNamespace('mcp-tasks-other');

// The file's own key store, so that keys of every kind exist without touching the run's shared one.
const keyFile = join(mkdtempSync(join(tmpdir(), 'capi-mcp-task-keys-')), 'api-keys.json');
const keyStore = new FileKeyStore(keyFile);
const newKey = async (name: string, scopes: Scope[], namespaces?: string[]) =>
  (await createKey(keyStore, { name, scopes, ...(namespaces ? { namespaces } : {}) })).token;
const keys = {
  admin: await newKey('tasks-admin', ['admin']),
  reader: await newKey('tasks-reader', ['read']),
  elsewhere: await newKey('tasks-elsewhere', ['read', 'write'], [elsewhere.name]),
};

/** A local adapter on this file's keys whose engine keeps its executions in `dir` (pauses at a fifth). */
const startServer = (dir: string) => startTestServer({ executionDir: dir, env: { CAPI_MCP_API_KEYS_FILE: keyFile } });

const executions = mkdtempSync(join(tmpdir(), 'capi-mcp-task-executions-'));
const url = await startServer(executions);

const request = (name: string, overrides: Record<string, any> = {}) => inMemoryCreateArgs(ns.name, name, overrides);

/** A v2 SDK client speaking 2025-11-25 (initialize), as most hosts still do. */
async function client2025(token = keys.admin): Promise<Client> {
  const client = new Client({ name: 'capi-mcp-tasks-2025', version: '1.0.0' });
  await connectClient(client, url, token);
  closeWhenFileEnds(() => client.close());
  return client;
}

async function session2025(token = keys.admin, at = url): Promise<TaskEnabledSession> {
  const client = new Client({ name: 'capi-mcp-tasks-2025', version: '1.0.0' });
  await connectClient(client, at, token);
  const session = createTaskSessionFromClient(client, { endpointId: `capi-mcp-2025-${at.port}` });
  closeWhenFileEnds(async () => {
    await session.close();
    await client.close();
  });
  return session;
}

const framing = { protocolVersion: '2026-07-28', clientInfo: { name: 'capi-mcp-tasks-2026', version: '1.0.0' }, clientCapabilities: {} };

/**
 * The host side of the 2026-07-28 wire the SDK client does not speak for tasks yet (ext-tasks asks the host
 * for it): one JSON-RPC request per POST with the standard headers (modernRpc, which records each answer),
 * Mcp-Name mirroring the tool or task.
 */
function rawDispatch(at: URL, token: string): RawClientDispatch {
  let next = 0;
  return async (request, options) => {
    const { method, params = {} } = request as { method: string; params?: Record<string, unknown> };
    const name = method === 'tools/call' ? params.name : method.startsWith('tasks/') ? params.taskId : undefined;
    const { body } = await modernRpc(at, `Bearer ${token}`, method, params, typeof name === 'string' ? name : undefined, {
      id: `raw-${++next}`,
      headers: { ...options?.context?.headers },
      ...(options?.signal ? { signal: options.signal } : {}),
    });
    return 'error' in body ? { kind: 'error', error: body.error } : { kind: 'result', result: body.result };
  };
}

async function session2026(token = keys.admin, at = url): Promise<TaskEnabledSession> {
  const client = new Client({ name: framing.clientInfo.name, version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
  await connectClient(client, at, token);
  assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
  const session = createTaskSessionFromClient(client, { endpointId: `capi-mcp-2026-${at.port}`, rawDispatch: rawDispatch(at, token), v2RequestFraming: framing });
  closeWhenFileEnds(async () => {
    await session.close();
    await client.close();
  });
  return session;
}

const anyResult = z.record(z.string(), z.unknown());

/** The JSON-RPC error a promise rejects with: its code and message. */
async function rpcError(promise: Promise<unknown>): Promise<{ code: number; message: string }> {
  const error = await promise.then(
    (value) => assert.fail(`expected a JSON-RPC error, got ${JSON.stringify(value)}`),
    (e: { code?: number; message: string }) => e,
  );
  return { code: error.code ?? NaN, message: error.message };
}

describe('task state from execution status', () => {
  const cases: [ExecutionStatus, string, string][] = [
    ['RUNNING', 'working', 'working'],
    ['SUCCEEDED', 'completed', 'completed'],
    ['FAILED', 'failed', 'completed'],
    ['TIMED_OUT', 'failed', 'completed'],
    ['ABORTED', 'cancelled', 'cancelled'],
  ];
  for (const [status, v1, v2] of cases) {
    it(`maps ${status} to ${v1} for 2025-11-25 and ${v2} for 2026-07-28 (where a tool error is a completed task)`, () => {
      assert.equal(taskStatusV1({ status }), v1);
      assert.equal(taskStatusV2({ status }), v2);
    });
  }
});

describe('2025-11-25 tasks (the tasks capability)', () => {
  let session: TaskEnabledSession;
  let cancelledId: TaskId;
  before(async () => {
    session = await session2025();
  });

  it('declares tasks with list, cancel and tools/call, and optional task support on exactly the tools that start operations', async () => {
    const client = await client2025();
    assert.deepEqual(client.getServerCapabilities()?.tasks, { list: {}, cancel: {}, requests: { tools: { call: {} } } });
    const { tools } = await client.listTools();
    const taskTools = tools.filter((t) => t.execution?.taskSupport === 'optional').map((t) => t.name).sort();
    assert.deepEqual(taskTools, ['create_cluster', 'delete_cluster', 'pause_cluster', 'remediate_machine', 'resume_cluster', 'rollout_cluster', 'scale_cluster', 'upgrade_cluster']);
    assert.deepEqual(session.capabilities, { inventory: 'server-list', execution: true, cancellation: true, inputResponses: false, requestedRetention: true });
  });

  it('answers a task-augmented create_cluster with a working task at once, whose id is the operation id', async () => {
    const execution = await session.callTool('create_cluster', request('v1-cancel'), { task: { preference: 'require' } });
    assert.equal(execution.kind, 'task');
    cancelledId = execution.handle!.taskId;
    assert.match(cancelledId, new RegExp(`^create_${ns.name}_v1-cancel_`));
    const task = await session.task(cancelledId).snapshot();
    assert.equal(task.status, 'working');
    assert.match(task.statusMessage ?? '', new RegExp(`^operation ${cancelledId}: create ${ns.name}/v1-cancel RUNNING`));
    assert.equal(task.pollInterval, 10_000);
    // README: "ttl 90 days" (Step Functions keeps a closed standard execution that long).
    assert.equal(task.ttl, 90 * 24 * 60 * 60 * 1000);
    const operation = await (await client2025()).callTool({ name: 'get_operation', arguments: { operation_id: cancelledId } });
    assert.equal((operation.structuredContent as any).status, 'RUNNING');

    await execution.cancel();
    const { outcome } = await execution.settle();
    assert.equal(outcome.status, 'cancelled');
    assert.equal((await session.task(cancelledId).snapshot()).status, 'cancelled');
    const after = await (await client2025()).callTool({ name: 'get_operation', arguments: { operation_id: cancelledId } });
    assert.equal((after.structuredContent as any).status, 'ABORTED');
  });

  it('refuses to cancel a task that already ended (-32602)', async () => {
    const { code, message } = await rpcError(session.task(cancelledId).cancel());
    assert.equal(code, -32602);
    assert.match(message, /already ended ABORTED/);
  });

  it('blocks tasks/result until the operation ends, then answers its final result for the task', async () => {
    const execution = await session.callTool('create_cluster', request('v1-block'), { task: { preference: 'require' } });
    const taskId = execution.handle!.taskId;
    const client = await client2025();
    let answered = false;
    const pending = client.request({ method: 'tasks/result', params: { taskId } } as never, anyResult).finally(() => {
      answered = true;
    });
    await sleep(3000);
    assert.equal(answered, false, 'tasks/result answered while the operation was still running');
    await session.cancelTask(taskId);
    const result: any = await pending;
    assert.equal(result.isError, true);
    assert.equal(result.structuredContent.status, 'ABORTED');
    assert.deepEqual(result._meta['io.modelcontextprotocol/related-task'], { taskId });
    await execution.close();
  });

  it('answers a task-augmented call that starts nothing with a JSON-RPC error that names the reason', async () => {
    const { code, message } = await rpcError(session.callTool('create_cluster', request('v1-bad', { cluster_class: 'no-such-class' }), { task: { preference: 'require' } }));
    assert.equal(code, -32602);
    assert.match(message, /create_cluster started no task: InvalidInput: ClusterClass .*no-such-class does not exist/);
  });

  it('answers a task-augmented call of a tool without task support with -32601', async () => {
    const client = await client2025();
    const { code } = await rpcError(client.request({ method: 'tools/call', params: { name: 'list_clusters', arguments: {}, task: {} } } as never, anyResult));
    assert.equal(code, -32601);
  });

  it('lists the tasks a key may see, newest first, in pages', async () => {
    const { tasks } = await session.listTasks();
    const ours = tasks.map((t) => t.taskId).filter((id) => id.includes(`_${ns.name}_`));
    assert.equal(ours.length, 2, ours.join(', '));
    assert.match(ours[0]!, /_v1-block_/);
    const limited = await session2025(keys.elsewhere);
    assert.deepEqual((await limited.listTasks()).tasks.filter((t) => t.taskId.includes(`_${ns.name}_`)), []);
    const { code } = await rpcError((await client2025()).request({ method: 'tasks/list', params: { cursor: 'not-a-cursor' } } as never, anyResult));
    assert.equal(code, -32602);
  });

  it('hides a task from a key limited to other namespaces, as if it did not exist', async () => {
    const limited = await session2025(keys.elsewhere);
    const { code, message } = await rpcError(limited.task(cancelledId).snapshot());
    assert.equal(code, -32602);
    assert.match(message, new RegExp(`operation ${cancelledId} not found`));
  });

  it('offers no cancellation to a key without the write scope, and refuses it', async () => {
    const client = await client2025(keys.reader);
    assert.equal(client.getServerCapabilities()?.tasks?.cancel, undefined);
    const { code, message } = await rpcError(client.request({ method: 'tasks/cancel', params: { taskId: cancelledId } } as never, anyResult));
    assert.equal(code, -32600);
    assert.match(message, /cancelling a task needs the "write" scope/);
    const task: any = await client.request({ method: 'tasks/get', params: { taskId: cancelledId } } as never, anyResult);
    assert.equal(task.status, 'cancelled');
  });
});

describe('2026-07-28 tasks (the io.modelcontextprotocol/tasks extension)', () => {
  let session: TaskEnabledSession;
  before(async () => {
    session = await session2026();
  });

  it('declares the extension, and not the 2025 capability', async () => {
    const client = new Client({ name: 'capi-mcp-tasks-probe', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    await connectClient(client, url, keys.admin);
    const capabilities = client.getServerCapabilities() as any;
    await client.close();
    assert.deepEqual(capabilities.extensions, { 'io.modelcontextprotocol/tasks': {} });
    assert.equal(capabilities.tasks, undefined);
  });

  it('runs create_cluster as a task followed to completed, with the operation result and the cluster Available', { timeout: 300_000 }, async () => {
    const execution = await session.callTool('create_cluster', request('v2-done'));
    assert.equal(execution.kind, 'task');
    const taskId = execution.handle!.taskId;
    const { outcome } = await execution.settle();
    assert.equal(outcome.status, 'completed', JSON.stringify(outcome));
    const result: any = outcome.status === 'completed' ? outcome.result : undefined;
    assert.equal(result.isError, undefined, textOf(result));
    assert.equal(result.structuredContent.operation_id, taskId);
    assert.equal(result.structuredContent.status, 'SUCCEEDED');
    assert.match(result.structuredContent.last_observed, /Available with control plane 1\/1 and workers 1\/1/);
    await availableCluster(ns, 'v2-done');

    // The task is the operation, whoever asks: a 2025-11-25 client reads it and gets the same result.
    const outcome2025 = await (await session2025()).task(taskId).result();
    assert.equal(outcome2025.status, 'completed');
    assert.equal((outcome2025 as any).result.structuredContent.status, 'SUCCEEDED');
  });

  it('ends a task whose operation failed as completed with the tool error, and as failed for 2025-11-25', { timeout: 180_000 }, async () => {
    const execution = await session.callTool('scale_cluster', { namespace: ns.name, name: 'v2-done', worker_pools: [{ name: 'md-0', replicas: 5 }] });
    assert.equal(execution.kind, 'task');
    // The cluster goes away under the scale: its apply step finds it being deleted (if the delete came
    // first), or its next polls find it Deleting, then gone. Either is the operation's honest end.
    await ns.objects.delete({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name: 'v2-done', namespace: ns.name } });
    const { outcome } = await execution.settle();
    assert.equal(outcome.status, 'completed', JSON.stringify(outcome));
    const result: any = outcome.status === 'completed' ? outcome.result : undefined;
    assert.equal(result.isError, true);
    assert.equal(result.structuredContent.status, 'FAILED');
    assert.match(textOf(result), /v2-done (no longer exists|is being deleted; nothing was applied)/);
    const task = await (await session2025()).task(execution.handle!.taskId).snapshot();
    assert.equal(task.status, 'failed');
    assert.match(task.statusMessage ?? '', /FAILED .*(no longer exists|is being deleted)/);
  });

  it('cancels a task through tasks/cancel', async () => {
    const execution = await session.callTool('create_cluster', request('v2-cancel'));
    assert.equal(execution.kind, 'task');
    await execution.cancel();
    const { outcome } = await execution.settle();
    assert.equal(outcome.status, 'cancelled');
    assert.equal((await session.task(execution.handle!.taskId).snapshot()).status, 'cancelled');
  });

  it('answers a call that starts nothing with its tool error, directly', async () => {
    const execution = await session.callTool('create_cluster', request('v2-bad', { cluster_class: 'no-such-class' }));
    assert.equal(execution.kind, 'immediate');
    const { outcome } = await execution.settle();
    const result: any = outcome.status === 'completed' ? outcome.result : undefined;
    assert.equal(result?.isError, true);
    assert.match(textOf(result), /ClusterClass .*no-such-class does not exist/);
  });

  /** One 2026-07-28 request sent by hand, with the tasks extension in its capabilities or without. */
  async function send(method: string, params: Record<string, unknown>, { declareTasks = true } = {}) {
    const clientCapabilities = declareTasks ? { extensions: { 'io.modelcontextprotocol/tasks': {} } } : {};
    const _meta = { 'io.modelcontextprotocol/protocolVersion': framing.protocolVersion, 'io.modelcontextprotocol/clientInfo': framing.clientInfo, 'io.modelcontextprotocol/clientCapabilities': clientCapabilities };
    return (await rawDispatch(url, keys.admin)({ method, params: { ...params, _meta } } as never)) as { kind: string; error?: any; result?: any };
  }

  it('refuses tasks/get on a request that does not declare the extension (-32021)', async () => {
    const { tasks } = await (await session2025()).listTasks();
    const response = await send('tasks/get', { taskId: tasks[0]!.taskId }, { declareTasks: false });
    assert.equal(response.error?.code, -32021, JSON.stringify(response));
    assert.deepEqual(response.error.data, { requiredCapabilities: { extensions: { 'io.modelcontextprotocol/tasks': {} } } });
  });

  it('leaves tasks/result and tasks/list to 2025-11-25 (-32601), and acknowledges tasks/update', async () => {
    const { tasks } = await (await session2025()).listTasks();
    const taskId = tasks[0]!.taskId;
    assert.equal((await send('tasks/result', { taskId })).error?.code, -32601);
    assert.equal((await send('tasks/list', {})).error?.code, -32601);
    const update = await send('tasks/update', { taskId, inputResponses: {} });
    assert.equal(update.result?.resultType, 'complete', JSON.stringify(update));
  });

  it('hides a task from a key limited to other namespaces', async () => {
    const { tasks } = await (await session2025()).listTasks();
    const limited = await session2026(keys.elsewhere);
    const { code } = await rpcError(limited.task(tasks[0]!.taskId).snapshot());
    assert.equal(code, -32602);
  });
});

describe('clients without tasks', () => {
  for (const [era, connect] of [['2025-11-25 (SDK v1)', connectV1], ['2026-07-28 (SDK v2)', connectV2]] as const) {
    it(`a ${era} client gets the operation_id at once and follows it with get_operation`, async () => {
      const client = await connect(url, keys.admin);
      try {
        const name = `plain-${era.slice(0, 4)}`;
        const started = await client.callTool({ name: 'create_cluster', arguments: request(name) });
        assert.equal(started.isError, undefined, textOf(started));
        assert.equal(started.structuredContent.status, 'RUNNING');
        assert.match(textOf(started), /Next: call get_operation/);
        const cancelled = await client.callTool({ name: 'cancel_operation', arguments: { operation_id: started.structuredContent.operation_id } });
        assert.equal(cancelled.structuredContent.status, 'ABORTED');
      } finally {
        await client.close();
      }
    });
  }
});

describe('a second server on the same execution store', () => {
  it('answers tasks/get and tasks/list for every task the first one created', async () => {
    const first = await session2025();
    const created = (await first.listTasks()).tasks.filter((t) => t.taskId.includes(`_${ns.name}_`));
    assert.ok(created.every((t) => t.status !== 'working'), 'every task ended before the second server opens the store');
    // Note: a fresh engine and server on the same folder: what it knows, it read from the store.
    const second = await startServer(executions);
    const session = await session2025(keys.admin, second);
    const listed = (await session.listTasks()).tasks.filter((t) => t.taskId.includes(`_${ns.name}_`));
    assert.deepEqual(listed.map((t) => `${t.taskId}:${t.status}`), created.map((t) => `${t.taskId}:${t.status}`));
    for (const task of created) assert.equal((await session.task(task.taskId).snapshot()).status, task.status);
    const done = created.find((t) => t.taskId.includes('_v2-done_'))!;
    const outcome = await (await session2026(keys.admin, second)).task(done.taskId).result();
    assert.equal(outcome.status, 'completed');
  });
});
