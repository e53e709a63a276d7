/**
 * tools/call as the per-request server answers it (shared/mcp/tool-calls.ts, invoke.ts, tasks/task-calls.ts),
 * in process: a real McpServer behind the SDK's own web handler, called by the SDK's own 2025-11-25 client
 * over a fetch that never leaves the process. The management cluster is a KubeClient that fails every
 * call as an unreachable API server would, so nothing here needs the sandbox: these are the decisions
 * made before and around a tool's handler — scope, arguments, audit, the task answer.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { createMcpHandler } from '@modelcontextprotocol/server';
import type { Caller, Scope } from '../../shared/auth/scopes.ts';
import type { Deps } from '../../shared/deps.ts';
import { CapiMcpError, ErrorCode } from '../../shared/errors.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import { cursorsFor } from '../../shared/mcp/cursor.ts';
import { createMcpServer } from '../../shared/mcp/server.ts';
import type { AuditRecord } from '../../shared/observability/log.ts';
import type { WorkflowEngine } from '../../shared/workflows/engine.ts';

const unreachable = () => Promise.reject(new CapiMcpError(ErrorCode.Upstream, 'failed to reach the management cluster: connect ECONNREFUSED 127.0.0.1:6443'));
const unreachableKube = new Proxy({} as KubeClient, { get: () => unreachable });

/** A server for a key with `scopes`, its audit records and tool-call metrics, and a 2025-11-25 client of it. */
async function serve(scopes: Scope[], { readOnly = false } = {}) {
  const audits: AuditRecord[] = [];
  const metered: string[] = [];
  const started: string[] = [];
  const workflows: WorkflowEngine = {
    start: (name) => (started.push(name), unreachable()),
    describe: async () => undefined,
    list: async () => [],
    stop: unreachable,
  };
  const deps: Deps = {
    clusters: { names: ['default'], client: () => unreachableKube },
    now: () => new Date('2026-12-04T00:00:00Z'),
    log: { info() {}, warn() {}, error() {}, audit: (record) => audits.push(record) },
    metrics: { toolCall: (tool, outcome) => metered.push(`${tool} ${outcome}`), authFailure() {}, operationStarted() {} },
    workflows,
  };
  const caller: Caller = { keyId: 'keyaaaaaaaaa', scopes };
  const mcp = createMcpHandler(() =>
    createMcpServer(deps, { readOnly, disableDestructive: !scopes.includes('write') && !scopes.includes('admin') }, { caller, requestId: 'req-1', cursors: cursorsFor('cursor-secret', caller.keyId) }),
  );
  const client = new Client({ name: 'tool-calls-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL('http://capi-mcp.test/mcp'), { fetch: (input, init) => mcp.fetch(new Request(input, init)) }));
  return { client, audits, metered, started };
}

const textOf = (result: object) => ((result as { content?: { text: string }[] }).content?.[0]?.text ?? '');

/** The JSON-RPC error `promise` rejects with. */
async function rpcError(promise: Promise<unknown>): Promise<{ code: number; message: string }> {
  const error = await promise.then(
    () => assert.fail('expected a JSON-RPC error'),
    (e: { code?: number; message: string }) => e,
  );
  return { code: error.code ?? NaN, message: error.message };
}

describe('tools/call', () => {
  it('audits and counts a call its input schema refuses, answered as InvalidInput naming the field', async () => {
    const { client, audits, metered } = await serve(['read']);
    const result = await client.callTool({ name: 'get_cluster', arguments: { namespace: 42, name: 'web' } });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /^InvalidInput: invalid arguments for get_cluster: namespace: /);
    assert.equal(audits.length, 1, JSON.stringify(audits));
    assert.deepEqual({ tool: audits[0]!.tool, outcome: audits[0]!.outcome, reason: audits[0]!.reason }, { tool: 'get_cluster', outcome: 'error', reason: 'InvalidInput' });
    assert.deepEqual(metered, ['get_cluster error']);
  });

  it('checks the key\'s scope before it reads the arguments', async () => {
    const { client, audits } = await serve(['read']);
    const result = await client.callTool({ name: 'create_cluster', arguments: { cluster_class: ['not', 'a', 'string'] } });
    assert.match(textOf(result), /^Forbidden: create_cluster needs the "write" scope, which API key keyaaaaaaaaa does not have/);
    assert.equal(audits[0]!.outcome, 'denied');
  });

  it('answers a tool this server does not list (gated, or unknown) as an unknown tool, audited under the name asked for', async () => {
    const { client, audits } = await serve(['read', 'write'], { readOnly: true });
    for (const name of ['delete_cluster', 'no_such_tool']) {
      const { code, message } = await rpcError(client.callTool({ name, arguments: {} }));
      assert.equal(code, -32602);
      assert.equal(message, `MCP error -32602: Tool ${name} not found`);
    }
    assert.deepEqual(audits.map((a) => [a.tool, a.outcome, a.reason]), [['delete_cluster', 'error', '-32602'], ['no_such_tool', 'error', '-32602']]);
  });

  it('runs the handler once the checks pass: an unreachable cluster is Upstream, with its next step', async () => {
    const { client, audits } = await serve(['read']);
    const result = await client.callTool({ name: 'get_cluster', arguments: { namespace: 'team-a', name: 'web' } });
    assert.match(textOf(result), /^Upstream: .*ECONNREFUSED/);
    assert.deepEqual({ outcome: audits[0]!.outcome, reason: audits[0]!.reason, cluster: audits[0]!.cluster }, { outcome: 'error', reason: 'Upstream', cluster: 'team-a/web' });
  });
});

describe('tools/call as a 2025-11-25 task', () => {
  const createArgs = { namespace: 'team-a', name: 'web', cluster_class: 'in-memory', kubernetes_version: 'v1.35.0' };

  it('is refused as a JSON-RPC error whose code follows the refusal\'s code: Forbidden → -32600, InvalidInput → -32602, Upstream → -32603', async () => {
    const cases = [
      { scopes: ['read'] as Scope[], args: createArgs, code: -32600, text: /create_cluster started no task: Forbidden: create_cluster needs the "write" scope/ },
      { scopes: ['write'] as Scope[], args: { ...createArgs, name: 'Not_A_Name' }, code: -32602, text: /create_cluster started no task: InvalidInput: / },
      { scopes: ['write'] as Scope[], args: createArgs, code: -32603, text: /create_cluster started no task: Upstream: .*ECONNREFUSED/ },
    ];
    for (const { scopes, args, code, text } of cases) {
      const { client, started } = await serve(scopes);
      const error = await rpcError(client.request({ method: 'tools/call', params: { name: 'create_cluster', arguments: args, task: { ttl: 60_000 } } }, CreateTaskResultSchema));
      assert.equal(error.code, code, error.message);
      assert.match(error.message, text);
      assert.deepEqual(started, [], 'no operation started');
    }
  });

  it('is refused for a tool that starts no operation (-32601), before the tool runs', async () => {
    const { client, audits } = await serve(['read']);
    const error = await rpcError(client.request({ method: 'tools/call', params: { name: 'list_clusters', arguments: {}, task: {} } }, CallToolResultSchema));
    assert.equal(error.code, -32601);
    assert.match(error.message, /list_clusters does not run as a task/);
    assert.deepEqual(audits.map((a) => [a.tool, a.reason]), [['list_clusters', '-32601']], 'audited as refused, the tool not run');
  });
});

describe('a dry run asked as a 2025-11-25 task', () => {
  it('is refused with -32602 before the tool runs: a dry run starts no task, and 2025-11-25 answers a task request only with a task', async () => {
    const { client, started } = await serve(['write']);
    const args = { namespace: 'team-a', name: 'web', kubernetes_version: 'v1.35.1', dry_run: true };
    const error = await rpcError(client.request({ method: 'tools/call', params: { name: 'upgrade_cluster', arguments: args, task: {} } }, CreateTaskResultSchema));
    assert.equal(error.code, -32602, error.message);
    assert.match(error.message, /dry_run starts no task: call upgrade_cluster without params\.task for its plan/);
    assert.deepEqual(started, []);
  });
});
