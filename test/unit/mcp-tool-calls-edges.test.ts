/**
 * tools/call at its edges (shared/mcp/tool-calls.ts, invoke.ts, tasks/task-calls.ts), from an adversarial
 * review of the one call path: every limit refuses before the cluster is asked, on every path (plain,
 * 2025-11-25 task, 2026-07-28 task); prototype keys, duplicates and malformed params change nothing that is
 * checked; an audit record stays within CloudWatch's event limit whatever was sent; a task whose read-back
 * fails is answered like any other failure; a client giving up is not a bug; refusals before a tool runs
 * are audited.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CapiMcpError, ErrorCode } from '../../shared/errors.ts';
import { execution } from '../support/fake-kube.ts';
import { answerText, serve, tasksExtension } from '../support/in-process-mcp.ts';

const tmp = mkdtempSync(join(tmpdir(), 'capi-mcp-tool-calls-'));
const cloudWatchEventLimit = 256 * 1024;
const deleteArgs = { namespace: 'team-a', name: 'demo', confirm: 'demo' };

describe('audit record of a refused call', () => {
  it('stays under the CloudWatch event limit whatever namespace/name strings the caller sends', async () => {
    const file = `${tmp}/f1.log`;
    rmSync(file, { force: true });
    const s = serve({ logFile: file });
    // Each string is 65,536 bytes of UTF-8 (exactly maxArgumentBytes, so argument bounds pass) but
    // 6 bytes per character once JSON-escaped (\u0001) in the log line.
    const junk = '\u0001'.repeat(65536);
    const { json } = await s.legacy('tools/call', { name: 'get_cluster', arguments: { namespace: junk, name: junk } });
    assert.match(answerText(json), /invalid arguments for tool get_cluster|invalid arguments for get_cluster/i);
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('"audit":true'));
    rmSync(file, { force: true });
    for (const line of lines) {
      assert.ok(Buffer.byteLength(line) <= cloudWatchEventLimit, `audit line is ${Buffer.byteLength(line)} bytes; its cluster field alone ${String(JSON.stringify(JSON.parse(line).cluster)).length}`);
    }
  });
});

describe('audit record of a DENIED call', () => {
  it('a key without write keeps its refused create_cluster attempts queryable (record under the limit)', async () => {
    const file = `${tmp}/f1b.log`;
    rmSync(file, { force: true });
    const s = serve({ caller: { scopes: ['read'] }, logFile: file });
    const junk = '\u0001'.repeat(65536);
    const { json } = await s.legacy('tools/call', { name: 'create_cluster', arguments: { namespace: junk, name: junk, cluster_class: 'c', kubernetes_version: 'v1.35.0' } });
    assert.match(answerText(json), /Forbidden: create_cluster needs the "write" scope|needs the "write" scope/);
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('"audit":true'));
    rmSync(file, { force: true });
    assert.equal(lines.length, 1);
    assert.ok(Buffer.byteLength(lines[0]!) <= cloudWatchEventLimit, `the denied record is ${Buffer.byteLength(lines[0]!)} bytes`);
  });
});

describe('task answer after the tool ran', () => {
  /** A delete whose operation starts, but whose read-back (workflows.describe) then fails with `error`. */
  function failingReadBack(error: Error) {
    const s = serve();
    const describe = s.workflows.describe.bind(s.workflows);
    s.workflows.describe = async (name: string, visible?: any) => {
      if (s.workflows.starts.length > 0) throw error;
      return describe(name, visible);
    };
    return s;
  }

  it('2025-11-25: a failed read-back is a JSON-RPC error mapped and redacted like any other (protocolError)', async () => {
    const s = failingReadBack(
      new CapiMcpError(ErrorCode.Upstream, 'failed to describe execution x: upstream said Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.abcdefghij'),
    );
    const { json } = await s.legacy('tools/call', { name: 'delete_cluster', arguments: deleteArgs, task: {} });
    assert.equal(s.workflows.starts.length, 1, 'the operation started');
    assert.equal(json.error?.code, -32603);
    assert.doesNotMatch(json.error.message, /eyJhbGciOiJIUzI1NiJ9\.eyJzdWIiOiJ4In0/, 'a bearer JWT reaches the caller unredacted');
    assert.match(json.error.message, /Upstream: /, 'the error code is not rendered as protocolError renders it');
  });

  it('2026-07-28: a bug in the read-back is logged for the operator and answered as Internal, redacted', async () => {
    const s = failingReadBack(new TypeError("Cannot read properties of undefined (reading 'executionArn') password=hunter2"));
    const { json } = await s.modern('tools/call', { name: 'delete_cluster', arguments: deleteArgs }, 'delete_cluster', tasksExtension);
    assert.equal(s.workflows.starts.length, 1, 'the operation started');
    assert.doesNotMatch(answerText(json), /hunter2/, 'the bug\'s message reaches the caller unredacted');
    assert.ok(s.errorsLogged.length > 0, 'the bug is not in the operator log');
  });
});

describe('tasks/result cancelled by its client', () => {
  it('is not logged as a bug with a stack trace (a caller cannot write error-level lines at will)', async () => {
    const s = serve();
    const running = execution('delete', 'team-a', 'demo');
    s.workflows.seed(running);
    const abort = new AbortController();
    const answered = s.post(s.legacyHeaders, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tasks/result', params: { taskId: running.name } }), abort.signal).catch(() => undefined);
    // Cancel once the handler has read the task and sleeps before its next look (the client gives up).
    while (s.workflows.describes.length === 0) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    abort.abort();
    await answered;
    // The handler sees the abort on its sleep; give the audit its turn.
    for (let i = 0; i < 50 && s.audits.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(s.audits.length, 1);
    assert.deepEqual(
      s.errorsLogged.map((e) => e.message),
      [],
      `logged: ${JSON.stringify(s.errorsLogged.map((e) => String(e.fields?.error).split('\n')[0]))}; audit reason ${s.audits[0]!.reason}`,
    );
  });
});

describe('invalid-arguments text', () => {
  it('is bounded whatever keys the caller sends', async () => {
    const s = serve();
    const labels = Object.fromEntries(['a', 'b', 'c', 'd', 'e'].map((c) => [c.repeat(60_000), 1]));
    const { json } = await s.legacy('tools/call', {
      name: 'create_cluster',
      arguments: { namespace: 'team-a', name: 'web', cluster_class: 'c', kubernetes_version: 'v1.35.0', labels },
    });
    const text = answerText(json);
    assert.match(text, /invalid arguments for (tool )?create_cluster/i);
    assert.ok(text.length <= 4096, `the answer echoes ${text.length} characters of the caller's keys`);
  });
});

describe('calls that never reach invoke', () => {
  it('a read-only key calling a tool its server does not list (delete_cluster) leaves an audit record', async () => {
    const s = serve({ caller: { scopes: ['read'] } });
    // Gating as web-handler.ts builds it for a read-only key hides destructive tools from its server.
    const { json } = await s.legacy('tools/call', { name: 'delete_cluster', arguments: deleteArgs });
    assert.equal(json.error?.message, 'Tool delete_cluster not found');
    assert.equal(json.error?.code, -32602);
    assert.equal(s.audits.length, 1, 'the attempt left no audit record');
  });
});

const toolArgs: Record<string, Record<string, unknown>> = {
  get_cluster: { name: 'demo' },
  get_cluster_nodes: { name: 'demo' },
  get_cluster_kubeconfig: { name: 'demo' },
  list_clusters: {},
  create_cluster: { name: 'web', cluster_class: 'c', kubernetes_version: 'v1.35.0' },
  delete_cluster: { name: 'demo', confirm: 'demo' },
  scale_cluster: { name: 'demo', control_plane_replicas: 3 },
  upgrade_cluster: { name: 'demo', kubernetes_version: 'v1.35.0' },
  list_operations: {},
};
const modes = ['plain', 'legacy-task', 'modern-task'] as const;

async function call(s: ReturnType<typeof serve>, mode: (typeof modes)[number], name: string, args: unknown) {
  const params: Record<string, unknown> = { name, arguments: args, ...(mode === 'legacy-task' ? { task: {} } : {}) };
  const { json } = mode === 'modern-task' ? await s.modern('tools/call', params, name, tasksExtension) : await s.legacy('tools/call', params);
  return answerText(json);
}

describe('limits hold on every path', () => {
  for (const [tool, base] of Object.entries(toolArgs)) {
    for (const mode of modes) {
      it(`${tool} (${mode}): scope, namespace and management-cluster limits refuse before the cluster is asked`, async () => {
        const cases = [
          { caller: { scopes: ['read'] }, args: { ...base, namespace: 'team-a' }, refused: /Forbidden: .* needs the "(write|kubeconfig)" scope|does not run as a task|^Tool \w+ not found$/, notFor: ['get_cluster', 'get_cluster_nodes', 'list_clusters', 'list_operations'] },
          { caller: { namespaces: ['team-a'] }, args: { ...base, namespace: 'team-b' }, refused: /Forbidden: API key \w+ may not use namespace team-b|does not run as a task/ },
          { caller: { managementClusters: ['sandbox'] }, args: { ...base, namespace: 'team-a', management_cluster: 'other' }, refused: /unknown management cluster "other"|does not run as a task|Unrecognized|invalid arguments/, notFor: ['list_operations'] },
          { caller: { managementClusters: ['other'] }, args: { ...base, namespace: 'team-a' }, refused: /may not use the default management cluster|does not run as a task/, notFor: ['list_operations'] },
        ];
        for (const c of cases) {
          if (c.notFor?.includes(tool)) continue;
          const s = serve({ caller: c.caller });
          const text = await call(s, mode, tool, c.args);
          assert.match(text, c.refused, JSON.stringify(c));
          assert.deepEqual(s.kube.calls, [], `${JSON.stringify(c)}: the cluster was asked`);
          assert.deepEqual(s.workflows.starts, []);
        }
      });
    }
  }
});

describe('argument shapes', () => {
  it('a prototype key in arguments or params neither supplies nor hides a checked argument', async () => {
    const s = serve({ caller: { namespaces: ['team-a'] } });
    const raw = (params: string) => s.post(s.legacyHeaders, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":${params}}`);
    let r = await raw('{"name":"get_cluster","arguments":{"__proto__":{"namespace":"team-b","name":"demo"}}}');
    assert.match(answerText(r.json), /^InvalidInput: invalid arguments for get_cluster: namespace: /);
    r = await raw('{"name":"get_cluster","arguments":{"namespace":"team-b","name":"demo","__proto__":{"namespace":"team-a"}}}');
    assert.match(answerText(r.json), /^Forbidden: .* may not use namespace team-b/);
    r = await raw('{"__proto__":{"name":"get_cluster"},"arguments":{"namespace":"team-a","name":"demo"}}');
    assert.equal(r.json.error?.code, -32602);
    r = await raw('{"name":"get_cluster","arguments":{"namespace":"team-a","name":"demo","namespace":"team-b"}}');
    assert.match(answerText(r.json), /may not use namespace team-b/, 'a duplicate key: the value checked is the value run (JSON.parse keeps the last)');
    assert.deepEqual(s.kube.calls, []);
  });

  it('params and arguments of the wrong shape are refused before any tool runs', async () => {
    const s = serve();
    const raw = (body: string) => s.post(s.legacyHeaders, body);
    for (const params of ['"get_cluster"', '5', 'null', '["get_cluster"]']) {
      const { status, json } = await raw(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":${params}}`);
      assert.equal(status, 400, params);
      assert.equal(json.error.code, -32600);
    }
    for (const params of [{}, { name: 5 }, { name: 'get_cluster', arguments: null }, { name: 'get_cluster', arguments: ['x'] }, { name: 'get_cluster', arguments: 'x' }]) {
      const { json } = await s.legacy('tools/call', params);
      assert.equal(json.error?.code, -32602, JSON.stringify(params));
      assert.match(json.error.message, /^Invalid tools\/call request: /);
    }
    for (const name of ['__proto__', 'constructor', 'toString', '', 'x'.repeat(900_000)]) {
      const { json } = await s.legacy('tools/call', { name });
      assert.equal(json.error?.code, -32602);
      assert.ok(json.error.message.length < 130, 'the unknown name is cut');
    }
    // Each refusal is audited, under the name asked for (cut), as a protocol refusal.
    assert.equal(s.audits.length, 10);
    assert.ok(s.audits.every((a) => a.outcome === 'error' && a.reason === '-32602' && a.tool.length <= 100), JSON.stringify(s.audits.map((a) => a.tool.slice(0, 20))));
    assert.deepEqual(s.kube.calls, []);
  });
});

describe('2026-07-28 standard headers', () => {
  it('the SDK refuses an Mcp-Name that disagrees with params.name (or is missing) before our fallback runs', async () => {
    const s = serve({ caller: { scopes: ['read'] } });
    const args = { namespace: 'team-a', name: 'demo', confirm: 'demo' };
    for (const header of ['get_cluster', undefined]) {
      const { status, json } = await s.modern('tools/call', { name: 'delete_cluster', arguments: args }, header);
      assert.equal(status, 400);
      assert.equal(json.error.code, -32020);
    }
    // A body without a string name skips the SDK's cross-check, and our params check refuses it.
    const { json } = await s.modern('tools/call', { name: 7, arguments: args }, 'get_cluster');
    assert.equal(json.error.code, -32602);
    assert.deepEqual(s.audits.map((a) => [a.tool, a.reason]), [['tools/call', '-32602']], 'only the call that reached capi-mcp is audited');
  });

  it('a base64-sentinel Mcp-Name equal to the body passes and runs the tool the body names', async () => {
    const s = serve();
    const { json } = await s.modern('tools/call', { name: 'get_cluster', arguments: { namespace: 'team-a', name: 'demo' } }, `=?base64?${Buffer.from('get_cluster').toString('base64')}?=`);
    assert.equal(json.result?.resultType, 'complete');
    assert.equal(s.audits[0]!.tool, 'get_cluster');
  });

  it('params.task in a 2026 request is ignored (the server decides); extension undeclared gives the plain result', async () => {
    const s = serve();
    const { json } = await s.modern('tools/call', { name: 'delete_cluster', arguments: { namespace: 'team-a', name: 'demo', confirm: 'demo' }, task: 'garbage' }, 'delete_cluster');
    assert.match(answerText(json), /^operation delete_team-a_demo_/);
    assert.equal(s.audits.length, 1);
  });
});

describe('audit of refusals', () => {
  it('arguments refused by the input schema are audited, redacted and bounded by log.ts (secrets in unknown keys too)', async () => {
    const file = `${tmp}/held.log`;
    rmSync(file, { force: true });
    const s = serve({ logFile: file });
    await s.legacy('tools/call', { name: 'get_cluster', arguments: { namespace: 'team-a', name: 'NOT_VALID', token: 'capi_abcdefghijkl_secret', note: 'x'.repeat(60_000), more: 'Bearer abc.def' } });
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('"audit":true'));
    rmSync(file, { force: true });
    assert.equal(lines.length, 1);
    assert.equal(JSON.parse(lines[0]!).reason, 'InvalidInput');
    assert.doesNotMatch(lines[0]!, /_secret|abc\.def/);
    assert.ok(Buffer.byteLength(lines[0]!) < 8192, 'a long string is cut to its preview and digest');
  });
});
