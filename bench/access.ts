/**
 * How every bench client reaches an MCP endpoint: the SDK client, autocannon and the API Gateway events
 * of the cold-start runs all take their headers from `requestHeaders`, so a header the server comes to
 * require is one line here. The key is an admin key in a store of the bench's own, made anew each run.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createKey } from '../shared/auth/key-admin.ts';
import { FileKeyStore } from '../shared/auth/key-store.ts';

export interface BenchKey {
  /** CAPI_MCP_API_KEYS_FILE for the servers under test. */
  readonly storeFile: string;
  readonly token: string;
}

export async function createBenchKey(dir: string): Promise<BenchKey> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const storeFile = join(dir, 'api-keys.json');
  const { token } = await createKey(new FileKeyStore(storeFile), { name: 'bench', scopes: ['admin'] });
  return { storeFile, token };
}

/** Headers every bench request carries, whatever the client. */
export function requestHeaders(key: BenchKey): Record<string, string> {
  return { authorization: `Bearer ${key.token}` };
}

/** The envelope a 2026-07-28 request carries in `params._meta` (stateless: no initialize). */
const envelope = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'capi-mcp-bench', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

/** A complete stateless 2026-07-28 JSON-RPC request over HTTP: headers and body. */
export function modernRequest(key: BenchKey | undefined, method: string, params: Record<string, unknown> = {}, id = 1) {
  const name = method === 'tools/call' ? String(params.name) : undefined;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': method,
    ...(name ? { 'mcp-name': name } : {}),
    ...(key ? requestHeaders(key) : {}),
  };
  return { headers, body: JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: envelope } }) };
}

/** The JSON-RPC message of a response body: plain JSON, or the single event of an SSE stream. */
export function rpcMessage(body: string): any {
  const data = body.split('\n').find((l) => l.startsWith('data: '));
  return JSON.parse(data ? data.slice(6) : body);
}

/** Why an answer is not a successful result, or undefined when it is one. */
export function failureOf(status: number, body: string): string | undefined {
  if (status !== 200) return `HTTP ${status}: ${body.slice(0, 300)}`;
  let message: any;
  try {
    message = rpcMessage(body);
  } catch {
    return `not JSON-RPC: ${body.slice(0, 300)}`;
  }
  if (message.error) return `JSON-RPC error ${JSON.stringify(message.error).slice(0, 300)}`;
  if (message.result?.isError) return `tool error: ${JSON.stringify(message.result.content).slice(0, 300)}`;
  return undefined;
}
