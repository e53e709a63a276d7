/**
 * A real MCP endpoint for tests: the local adapter (the same handler as the Lambda) on an ephemeral
 * loopback port, or the Lambda handler itself invoked in-process, pointed at the test sandbox; real SDK
 * clients of both protocol eras, and JSON-RPC sent by hand. Every server, handler and client a test
 * uses comes from here, so the run's capture (test/support/capture.ts) sees all of them: their logs,
 * their execution stores, what the process prints while they run, and every answer a test receives.
 */
import { after } from 'node:test';
import assert from 'node:assert/strict';
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
import type { ApiGatewayEvent, ApiGatewayResult } from '../../shared/http/apigateway.ts';
import { mcpPath } from '../../shared/http/web-handler.ts';
import type { WorkflowEngine } from '../../shared/workflows/engine.ts';
import { authHeaders, testAuthPaths } from './auth.ts';
import { noteServing, recordAnswer, recordExecutionDir, teeProcessOutput, type SentRequest } from './capture.ts';
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
 * What the test file opened (servers, handlers, clients), closed newest first when the file ends.
 * Note: registered when this module loads, before the file's own hooks (useNamespace's among them), so
 * servers stop and their running executions end before the file's namespaces are deleted; and a server
 * started inside a `before` lives on for the file (a hook registered there would run when it ends).
 */
const openedByFile: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const close of openedByFile.splice(0).reverse()) await Promise.resolve().then(close).catch(() => undefined);
});

/** Closes `close`'s resource when the test file ends, after everything opened later. */
export function closeWhenFileEnds(close: () => Promise<void> | void): void {
  openedByFile.push(close);
}

/**
 * Starts the local adapter for the calling test file; closed when the file ends, once its executions
 * ended. Returns the /mcp URL. Operations run on, by default, a local workflow engine in a fresh
 * folder (pauses at a fifth); `executionDir` opens one on an existing folder instead (a second server on
 * the same store), `engine` serves with the given engine, `workflows: false` with none. The run's
 * capture (test/support/capture.ts) learns the execution folder, and copies what the process prints
 * while the server runs.
 */
export async function startTestServer({
  workflows = true,
  executionDir,
  engine,
  env = {},
  auth,
  timeScale = 0.2,
}: { workflows?: boolean; executionDir?: string; engine?: WorkflowEngine; env?: NodeJS.ProcessEnv; auth?: AuthenticatorOptions; timeScale?: number } = {}): Promise<URL> {
  const untee = teeProcessOutput();
  noteServing('local adapter');
  const config = loadConfig({ ...testServerEnv(), ...env });
  const executions = workflows && !engine ? (executionDir ?? mkdtempSync(join(tmpdir(), 'capi-mcp-executions-'))) : undefined;
  if (executions) recordExecutionDir(executions);
  const served = engine ?? (executions ? (await openLocalWorkflows(config, executions, timeScale)).engine : undefined);
  const server = await startLocalServer(config, { port: 0, ...(served ? { workflows: served } : {}), ...(auth ? { auth } : {}) });
  closeWhenFileEnds(async () => {
    await server.close();
    // An engine the test passed in is the test's to stop.
    if (served && !engine) await Promise.all((await served.list()).filter((r) => r.status === 'RUNNING').map((r) => served.stop(r.name, 'test file ended')));
    untee();
  });
  return new URL(`${server.url}${mcpPath}`);
}

/** The MCP Lambda's entry point as tests call it. */
export type LambdaHandler = (event: ApiGatewayEvent) => Promise<ApiGatewayResult>;

/**
 * The MCP Lambda's handler, invoked in-process with API Gateway events, in a container of its own
 * (`container` names it: the module is evaluated anew per name, so nothing is remembered across names).
 * It reads the test server environment with `env` over it (the handler reads its configuration once, at
 * load), logs to the run's capture like every test server, and each response it gives is recorded.
 */
export async function lambdaHandler(env: NodeJS.ProcessEnv = {}, container = 'default'): Promise<LambdaHandler> {
  Object.assign(process.env, testServerEnv(), env);
  noteServing('Lambda handler');
  const untee = teeProcessOutput();
  closeWhenFileEnds(untee);
  const { handler } = (await import(`../../functions/mcp/handler.ts?container=${encodeURIComponent(container)}`)) as { handler: LambdaHandler };
  return async (event) => {
    const result = await handler(event);
    recordLambdaAnswer(event, result);
    return result;
  };
}

/** Records a Lambda response under the JSON-RPC request its event carried. */
function recordLambdaAnswer(event: ApiGatewayEvent, result: ApiGatewayResult): void {
  const body = event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : '';
  const sent = rpcMessages(body);
  const http = { statusCode: result.statusCode, headers: result.headers };
  const messages = rpcMessages(result.body ?? '');
  if (messages.length === 0) recordAnswer('Lambda handler', sent[0], { body: result.body }, { http });
  for (const message of messages) recordAnswer('Lambda handler', requestOf(sent, message), message, { http });
}

/**
 * The JSON-RPC messages of an HTTP body: a JSON message or batch, or the `data:` events of an SSE
 * stream. Anything else holds none.
 */
function rpcMessages(text: string): any[] {
  const parse = (json: string) => {
    try {
      return [JSON.parse(json)].flat();
    } catch {
      return [];
    }
  };
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return parse(trimmed);
  return text.split('\n').filter((l) => l.startsWith('data:')).flatMap((l) => parse(l.slice(5)));
}

/** The request of `sent` that `message` answers: by id, else (an error without one) the only request sent. */
function requestOf(sent: SentRequest[], message: any): SentRequest | undefined {
  const byId = sent.find((r: any) => message && typeof message === 'object' && 'id' in message && r.id === message.id);
  return byId ?? (sent.length === 1 ? sent[0] : undefined);
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
  await client.connect(recordingTransport(new TransportV1(url, { requestInit: { headers: authHeaders(token) } })));
  return Object.assign(client as unknown as TestClient, { era: `2025 (${client.getServerVersion()?.name})` });
}

/** A 2026-07-28 client: the v2 SDK (`@modelcontextprotocol/client`) negotiating the newest era. */
export async function connectV2(url: URL, token?: string): Promise<TestClient & { protocol: string | undefined }> {
  const client = new ClientV2({ name: 'capi-mcp-test-v2', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
  await connectClient(client, url, token);
  return Object.assign(client as unknown as TestClient, { era: '2026', protocol: client.getNegotiatedProtocolVersion() });
}

/**
 * Connects a v2 SDK client the test built (its own name and options) to `url` with `token` (default:
 * the canary), every answer it receives recorded. The caller closes it.
 */
export async function connectClient(client: ClientV2, url: URL, token?: string): Promise<void> {
  await client.connect(recordingTransport(new TransportV2(url, { requestInit: { headers: authHeaders(token) } })));
}

interface MessageTransport {
  send(message: any, ...rest: any[]): Promise<void>;
  onmessage?: ((message: any, ...rest: any[]) => void) | undefined;
}

/**
 * Makes a client transport record every message it receives into the run's capture, each under the
 * request it answers: tool results and the errors calls end in, task payloads (tasks/get, tasks/result,
 * tasks/list), lists, notifications. Note: recorded at the transport, not per client method, so a
 * request the test sends by `client.request` or a task session sends for it is recorded too. The SDKs
 * keep a handler already set here when they connect, and call it first.
 */
function recordingTransport<T extends MessageTransport>(transport: T): T {
  const wrapped: MessageTransport = transport;
  const pending = new Map<unknown, SentRequest>();
  const send = transport.send.bind(transport);
  wrapped.send = (message, ...rest) => {
    if (message && 'id' in message && 'method' in message) pending.set(message.id, message);
    return send(message, ...rest);
  };
  wrapped.onmessage = (message) => {
    const answers = message && 'id' in message && !('method' in message);
    const request = answers ? pending.get(message.id) : undefined;
    if (answers) pending.delete(message.id);
    recordAnswer('sdk client', request, message);
  };
  return transport;
}

/** Calls tool `name` with `args` and asserts it answered without an error (the error's text in the failure). */
export async function callOk(client: TestClient, name: string, args: Record<string, unknown>) {
  const result = await client.callTool({ name, arguments: args });
  assert.equal(result.isError, undefined, `${name}: ${textOf(result)}`);
  return result;
}

/** The text of a tool result's first text content block. */
export function textOf(result: { content?: { type: string; text?: string }[] }): string {
  return result.content?.find((c) => c.type === 'text')?.text ?? '';
}

/**
 * `call`, made again 5 s later, up to `attempts` times in all, while its answer is a read's Timeout: the
 * error says the call changed nothing and may be retried, which is what an agent is told to do. `errorText`
 * is the answer's error text ('' when it is no error). Note: on a loaded 2-core machine a LIST of the whole
 * shared sandbox, or a consistent LIST behind a lagging watch cache, can outlast the client's 10-s deadline
 * while the API server still answers; a file testing tools, not the API server's speed, asks again. The
 * last answer is returned whatever it is, so a Timeout on every attempt still reaches the test's oracle.
 */
export async function askingAgainOnReadTimeout<T>(what: string, call: () => Promise<T>, errorText: (answer: T) => string, attempts: number): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const answer = await call();
    if (attempt >= attempts || !/^Timeout: [^]*Next: .*changed nothing, so retry/.test(errorText(answer))) return answer;
    console.log(`${what} timed out (attempt ${attempt}); asking again in 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
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
  closeWhenFileEnds(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  const { port } = server.address() as { port: number };
  return new URL(`http://127.0.0.1:${port}${target.pathname}`);
}

/**
 * One JSON-RPC POST exactly as given (headers and body), for tests that compare or break the wire
 * themselves; answers with the HTTP status, headers and the JSON-RPC messages of the body (JSON, or the
 * events of an SSE stream). Each message is recorded in the run's capture under the request it answers,
 * and a body that holds none is recorded as text.
 */
export async function postRpc(url: URL, headers: Headers | Record<string, string>, body: string, signal?: AbortSignal) {
  const response = await fetch(url, { method: 'POST', headers, body, ...(signal ? { signal } : {}) });
  const text = await response.text();
  const sent = rpcMessages(body);
  const messages = rpcMessages(text);
  const http = { status: response.status };
  if (messages.length === 0 && text) recordAnswer('raw JSON-RPC', sent[0], { body: text }, { http });
  for (const message of messages) recordAnswer('raw JSON-RPC', requestOf(sent, message), message, { http });
  return { status: response.status, headers: response.headers, messages };
}

/**
 * One stateless 2026-07-28 JSON-RPC request by hand (envelope in `_meta`, `Mcp-*` headers), for tests
 * that need the raw HTTP answer: its status and headers as well as the message. `authorization` is sent
 * as given (undefined: no header at all). `_meta` in `params` goes over the default envelope (e.g.
 * client capabilities that declare an extension); `headers` replace the standard ones of the same name.
 * The answer is recorded in the run's capture (postRpc).
 */
export async function modernRpc(
  url: URL,
  authorization: string | undefined,
  method: string,
  params: Record<string, unknown> = {},
  name?: string,
  { headers = {}, signal, id = 1 }: { headers?: Record<string, string>; signal?: AbortSignal; id?: string | number } = {},
) {
  const request = modernRequest(authorization, method, params, name, { headers, id });
  const { status, headers: received, messages } = await postRpc(url, request.headers, request.body, signal);
  return { status, headers: received, body: messages.find((m) => m?.id === id) ?? messages[0] };
}

/**
 * The headers (lower-case names) and body of modernRpc's request, for tests that send it another way:
 * with fetch to read the raw answer, or as an API Gateway event to the Lambda handler.
 */
export function modernRequest(
  authorization: string | undefined,
  method: string,
  params: Record<string, unknown> = {},
  name?: string,
  { headers = {}, id = 1 }: { headers?: Record<string, string>; id?: string | number } = {},
): { headers: Record<string, string>; body: string } {
  const { _meta, ...rest } = params as { _meta?: Record<string, unknown> };
  const request = {
    jsonrpc: '2.0',
    id,
    method,
    params: {
      ...rest,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientInfo': { name: 'capi-mcp-test', version: '1.0.0' },
        'io.modelcontextprotocol/clientCapabilities': {},
        ..._meta,
      },
    },
  };
  const sent: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': method,
    ...(name ? { 'mcp-name': name } : {}),
    ...(authorization !== undefined ? { authorization } : {}),
  };
  for (const [header, value] of Object.entries(headers)) sent[header.toLowerCase()] = value;
  return { headers: sent, body: JSON.stringify(request) };
}
