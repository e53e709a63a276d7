/**
 * A real MCP endpoint for tests: the local adapter (the same handler as the Lambda) on an ephemeral
 * loopback port, pointed at the test sandbox, and real SDK clients of both protocol eras.
 */
import { after } from 'node:test';
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalServer } from '../../local/server.ts';
import { openLocalWorkflows } from '../../local/workflows.ts';
import type { AuthenticatorOptions } from '../../shared/auth/authenticator.ts';
import { loadConfig } from '../../shared/config/config.ts';
import { mcpPath } from '../../shared/http/web-handler.ts';
import { authHeaders, testAuthPaths } from './auth.ts';
import { recordExecutionDir, recordToolResult, teeProcessOutput } from './capture.ts';
import { testSandbox } from './sandbox.ts';

/**
 * Environment that points capi-mcp at the test sandbox, read-write, with the run's key store and its
 * logs and audit records going to the capture file the canary test scans.
 */
export function testServerEnv(): NodeJS.ProcessEnv {
  return {
    CAPI_MCP_MANAGEMENT_CLUSTERS: JSON.stringify([{ name: 'sandbox', kubeconfig: testSandbox().paths.kubeconfig }]),
    CAPI_MCP_READ_ONLY: 'false',
    CAPI_MCP_API_KEYS_FILE: testAuthPaths.keyStore,
    CAPI_MCP_LOG_FILE: testAuthPaths.captureLog,
    // The Lambda under test would print an EMF document per call; test/unit/metrics.test.ts checks those.
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
}

/**
 * Starts the local adapter for the calling test file, with a local workflow engine (executions in a
 * fresh folder, pauses at a fifth); closed after the file, once its executions ended. Returns the /mcp URL.
 * The run's capture (test/support/capture.ts) learns the execution folder, and copies what the process
 * prints while the server runs.
 */
export async function startTestServer({
  workflows = true,
  env = {},
  auth,
  timeScale = 0.2,
}: { workflows?: boolean; env?: NodeJS.ProcessEnv; auth?: AuthenticatorOptions; timeScale?: number } = {}): Promise<URL> {
  const untee = teeProcessOutput();
  const config = loadConfig({ ...testServerEnv(), ...env });
  const executions = workflows ? mkdtempSync(join(tmpdir(), 'capi-mcp-executions-')) : undefined;
  if (executions) recordExecutionDir(executions);
  const engine = executions ? (await openLocalWorkflows(config, executions, timeScale)).engine : undefined;
  const server = await startLocalServer(config, { port: 0, ...(engine ? { workflows: engine } : {}), ...(auth ? { auth } : {}) });
  after(async () => {
    await server.close();
    if (engine) await Promise.all((await engine.list()).filter((r) => r.status === 'RUNNING').map((r) => engine.stop(r.name, 'test file ended')));
    untee();
  });
  return new URL(`${server.url}${mcpPath}`);
}

/** The subset of client calls the tests use, identical across SDK generations. */
export interface TestClient {
  readonly era: string;
  listTools(): Promise<{ tools: any[] }>;
  callTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<any>;
  readResource(params: { uri: string }): Promise<any>;
  listResourceTemplates(): Promise<any>;
  close(): Promise<void>;
}

/**
 * A 2025-11-25 client: the v1 SDK (`@modelcontextprotocol/sdk`), initialize + stateless fallback.
 * The caller closes it (a hook registered here would run when the registering hook ends).
 */
export async function connectV1(url: URL, token?: string): Promise<TestClient> {
  const client = new ClientV1({ name: 'capi-mcp-test-v1', version: '1.0.0' });
  await client.connect(new TransportV1(url, { requestInit: { headers: authHeaders(token) } }));
  recordingToolResults(client as unknown as TestClient);
  return Object.assign(client as unknown as TestClient, { era: `2025 (${client.getServerVersion()?.name})` });
}

/** A 2026-07-28 client: the v2 SDK (`@modelcontextprotocol/client`) negotiating the newest era. */
export async function connectV2(url: URL, token?: string): Promise<TestClient & { protocol: string | undefined }> {
  const client = new ClientV2({ name: 'capi-mcp-test-v2', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
  await client.connect(new TransportV2(url, { requestInit: { headers: authHeaders(token) } }));
  recordingToolResults(client as unknown as TestClient);
  return Object.assign(client as unknown as TestClient, { era: '2026', protocol: client.getNegotiatedProtocolVersion() });
}

/** Makes the client's callTool record every result (or the error it throws) into the run's capture. */
function recordingToolResults(client: TestClient): void {
  const callTool = client.callTool.bind(client);
  client.callTool = async (params, ...rest: unknown[]) => {
    try {
      const result = await (callTool as (...args: unknown[]) => Promise<any>)(params, ...rest);
      recordToolResult(params.name, { result });
      return result;
    } catch (error) {
      recordToolResult(params.name, { thrown: String((error as Error)?.message ?? error) });
      throw error;
    }
  };
}

/** The text of a tool result's first content block. */
export function textOf(result: { content?: { type: string; text?: string }[] }): string {
  return result.content?.find((c) => c.type === 'text')?.text ?? '';
}

/**
 * A loopback proxy that adds the canary's Authorization header, for third-party clients that cannot
 * send headers (the conformance suite): the client side of the credential, not a hole in the server.
 */
export async function authenticatingProxy(target: URL, token?: string): Promise<URL> {
  const { createServer } = await import('node:http');
  const headers = authHeaders(token);
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const forwarded = new Headers();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') forwarded.set(name, value);
    for (const [name, value] of Object.entries(headers)) forwarded.set(name, value);
    // The original Host and Origin go through untouched, so DNS-rebinding checks still see them.
    const response = await fetch(new URL(req.url ?? '/', target), {
      method: req.method ?? 'GET',
      headers: forwarded,
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
    });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (response.body) for await (const chunk of response.body) res.write(chunk);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  const { port } = server.address() as { port: number };
  return new URL(`http://127.0.0.1:${port}${target.pathname}`);
}

/**
 * One stateless 2026-07-28 JSON-RPC request by hand (envelope in `_meta`, `Mcp-*` headers), for tests
 * that need the raw HTTP answer: its status and headers as well as the message. `authorization` is sent
 * as given (undefined: no header at all).
 */
export async function modernRpc(url: URL, authorization: string | undefined, method: string, params: Record<string, unknown> = {}, name?: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': method,
      ...(name ? { 'mcp-name': name } : {}),
      ...(authorization !== undefined ? { authorization } : {}),
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method,
      params: {
        ...params,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientInfo': { name: 'capi-mcp-test', version: '1.0.0' },
          'io.modelcontextprotocol/clientCapabilities': {},
        },
      },
    }),
  });
  const text = await response.text();
  const body = text ? JSON.parse(text) : undefined;
  if (method === 'tools/call') recordToolResult(String(params.name), body?.error ? { thrown: JSON.stringify(body.error) } : { result: body?.result });
  return { status: response.status, headers: response.headers, body };
}
