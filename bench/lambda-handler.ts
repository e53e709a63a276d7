/**
 * The MCP Lambda entry point (functions/mcp/handler.ts) loaded into the bench's own process and invoked
 * with API Gateway REST API (payload 1.0) events shaped as AWS delivers them — the shape
 * test/integration/lambda-handler.test.ts builds — so the scale benches measure the handler a
 * deployment runs, without a network hop or a child process in between.
 *
 * Note: the function reads its configuration from the environment once, at import. `loadLambdaHandler`
 * sets the variables for that import and puts the previous values back, so the rest of `npm run bench`
 * (which passes its servers their settings explicitly) sees the environment it started with.
 */
import { performance } from 'node:perf_hooks';
import type { ApiGatewayEvent, ApiGatewayResult, RestApiEvent } from '../shared/http/apigateway.ts';
import { failureOf, modernRequest, rpcMessage, type BenchKey } from './access.ts';

export type LambdaHandler = (event: ApiGatewayEvent) => Promise<ApiGatewayResult>;

/** Imports functions/mcp/handler.ts as a fresh module instance (a fresh "container") configured by `env`. */
export async function loadLambdaHandler(env: Readonly<Record<string, string>>, container: string): Promise<LambdaHandler> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const module = (await import(`../functions/mcp/handler.ts?container=${encodeURIComponent(container)}`)) as { handler: LambdaHandler };
    return module.handler;
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const host = 'abc123.execute-api.eu-west-1.amazonaws.com';

/** A REST API proxy event (payload 1.0) for POST /mcp, as API Gateway's `{proxy+}` resource delivers it. */
export function restEvent(headers: Record<string, string>, body: string, requestId: string): RestApiEvent {
  const all = { Host: host, 'X-Forwarded-Proto': 'https', ...headers };
  // Every field AWS sends, including those the handler does not read.
  const event = {
    resource: '/{proxy+}',
    path: '/mcp',
    httpMethod: 'POST',
    headers: all,
    multiValueHeaders: Object.fromEntries(Object.entries(all).map(([k, v]) => [k, [v]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { proxy: 'mcp' },
    stageVariables: null,
    requestContext: {
      resourcePath: '/{proxy+}',
      httpMethod: 'POST',
      path: '/v1/mcp',
      stage: 'v1',
      requestId,
      identity: { sourceIp: '203.0.113.7', userAgent: 'capi-mcp-bench' },
    },
    body,
    isBase64Encoded: false,
  };
  return event;
}

export interface Invocation {
  readonly ms: number;
  /** Why the answer is not a successful result; undefined when it is one. */
  readonly failure?: string;
  /** The JSON-RPC message answered (undefined when the body was not one). */
  readonly message?: any;
  /** Bytes of the response body API Gateway would return. */
  readonly bodyBytes: number;
}

let sequence = 0;

/** One stateless 2026-07-28 request through the handler, timed from event to result. */
export async function invoke(handler: LambdaHandler, key: BenchKey, method: string, params: Record<string, unknown> = {}): Promise<Invocation> {
  const id = ++sequence;
  const { headers, body } = modernRequest(key, method, params, id);
  const event = restEvent(headers, body, `bench-${id}`);
  const t0 = performance.now();
  let result: ApiGatewayResult;
  try {
    result = await handler(event);
  } catch (error) {
    return { ms: performance.now() - t0, failure: `handler threw: ${(error as Error).message}`, bodyBytes: 0 };
  }
  const ms = performance.now() - t0;
  const text = result.body ?? '';
  const failure = failureOf(result.statusCode, text);
  let message: any;
  try {
    message = rpcMessage(text);
  } catch {
    message = undefined;
  }
  return { ms, ...(failure ? { failure } : {}), message, bodyBytes: Buffer.byteLength(text) };
}

/**
 * Powertools Metrics writes one EMF document per tool call to stdout (CloudWatch reads them from the
 * function's log in production). While `fn` runs they are counted and kept off the bench's output.
 */
export async function withEmfCounted<T>(fn: () => Promise<T>): Promise<{ result: T; emfDocuments: number }> {
  const write = process.stdout.write.bind(process.stdout);
  let emfDocuments = 0;
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString() : '';
    if (text.startsWith('{"_aws"')) {
      emfDocuments++;
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  try {
    return { result: await fn(), emfDocuments };
  } finally {
    process.stdout.write = write;
  }
}
