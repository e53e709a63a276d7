/**
 * The real per-request McpServer (shared/mcp/server.ts) behind the SDK's own web handler, in process:
 * raw JSON-RPC in both eras over a fetch that never leaves the process, against the fake management
 * cluster and workflow engine of fake-kube.ts. For the decisions around a tool's handler (the call path,
 * its refusals and audit) without the sandbox. Gating is web-handler.ts's: a key without `write` does
 * not see destructive tools.
 */
import { createMcpHandler } from '@modelcontextprotocol/server';
import { createMcpServer } from '../../shared/mcp/server.ts';
import { createLog, type AuditRecord } from '../../shared/observability/log.ts';
import * as fake from './fake-kube.ts';


export interface ServeOptions {
  caller?: Record<string, unknown>;
  /** Also write every log line through the real Powertools logger into this file. */
  logFile?: string;
  /** The default management cluster; by default it holds team-a/demo, a topology cluster. */
  kube?: fake.FakeKube;
}

export function serve(options: ServeOptions = {}) {
  const world = fake.fakeToolDeps({ kube: options.kube ?? new fake.FakeKube().add(fake.topologyCluster()), caller: options.caller ?? {} });
  const audits: AuditRecord[] = [];
  const errorsLogged: { message: string; fields: any }[] = [];
  const real = options.logFile ? createLog({ file: options.logFile }) : undefined;
  const { caller, cursors, ...rest } = world.deps;
  const deps = {
    ...rest,
    log: {
      info() {},
      warn() {},
      error: (message: string, fields: any) => (errorsLogged.push({ message, fields }), real?.error(message, fields)),
      audit: (record: AuditRecord) => (audits.push(record), real?.audit(record)),
    },
  };
  const mcp = createMcpHandler(() => createMcpServer(deps, { readOnly: false, disableDestructive: !caller.scopes.some((sc: string) => sc === 'write' || sc === 'admin') }, { caller, requestId: 'req-1', cursors }));
  async function post(headers: Record<string, string>, body: string, signal?: AbortSignal) {
    const response: Response = await mcp.fetch(new Request('http://capi-mcp.test/mcp', { method: 'POST', headers, body, ...(signal ? { signal } : {}) }));
    const text = await response.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      const data = text.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5)).join('');
      try { json = JSON.parse(data); } catch { json = { raw: text }; }
    }
    return { status: response.status, json };
  }
  const legacyHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' };
  /** A stateless 2025-11-25 request (no initialize, as the SDK's stateless fallback allows). */
  const legacy = (method: string, params: unknown) => post(legacyHeaders, JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }));
  /** A 2026-07-28 request: the envelope in params._meta, the standard headers (Mcp-Name as given). */
  const modern = (method: string, params: Record<string, unknown>, nameHeader?: string, capabilities: Record<string, unknown> = {}) =>
    post(
      { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': method, ...(nameHeader ? { 'mcp-name': nameHeader } : {}) },
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method,
        params: {
          ...params,
          _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'review', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': capabilities },
        },
      }),
    );
    return { ...world, audits, errorsLogged, post, legacy, legacyHeaders, modern };
}

export const tasksExtension = { extensions: { 'io.modelcontextprotocol/tasks': {} } };

/** The text of a tool result, or the message of a JSON-RPC error. */
export const answerText = (json: any): string => json?.result?.content?.[0]?.text ?? json?.error?.message ?? JSON.stringify(json);
