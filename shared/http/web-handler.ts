/**
 * The HTTP surface shared by the Lambda and the local adapter, as a Web-standard Request → Response
 * function: `/mcp` is the stateless Streamable HTTP MCP endpoint (both protocol eras), `/healthz` a
 * liveness probe and `/readyz` (a Node server's) a readiness probe: the only routes that answer without an
 * API key, and with nothing but a status. Order of checks on `/mcp`: Host and
 * Origin (DNS rebinding), a declared body size (413), then the API key (401 / 429 / 503), then the body,
 * read up to its cap (413), then MCP — a server built for this caller, listing only what its scopes allow.
 */
import { randomUUID } from 'node:crypto';
import {
  createMcpHandler,
  hostHeaderValidationResponse,
  originValidationResponse,
  type AuthInfo,
} from '@modelcontextprotocol/server';
import type { Authenticator } from '../auth/authenticator.ts';
import { hasScope, type Caller } from '../auth/scopes.ts';
import type { Deps } from '../deps.ts';
import { declaresTooLarge, payloadTooLarge, withBodyWithinLimit } from './body-limit.ts';
import { cursorsFor, type Cursors } from '../mcp/cursor.ts';
import { createMcpServer } from '../mcp/server.ts';

export const mcpPath = '/mcp';

export interface WebHandlerOptions {
  /** Host names accepted in the Host header; empty accepts any (e.g. behind API Gateway). */
  readonly allowedHosts: readonly string[];
  /** Origin host names accepted from browsers; empty accepts any. Requests without Origin always pass. */
  readonly allowedOrigins: readonly string[];
  readonly readOnly: boolean;
  /** Namespaces every caller is limited to, on top of its key's own limits. */
  readonly allowedNamespaces?: readonly string[];
  readonly authenticator: Authenticator;
  /** Serves `GET /metrics` (Prometheus text) to any valid key; absent in Lambda, where metrics go to CloudWatch. */
  readonly metricsText?: () => Promise<{ readonly contentType: string; readonly body: string }>;
  /** Serves `GET /readyz`: whether this server can do its work now (shared/http/readiness.ts); absent in Lambda. */
  readonly ready?: () => Promise<boolean>;
}

/** What the front door knows about the connection: used for throttling and audit, never trusted for auth. */
export interface RequestMeta {
  readonly sourceIp?: string;
  readonly requestId?: string;
}

export type WebHandler = (request: Request, meta?: RequestMeta) => Promise<Response>;

interface RequestAuth extends AuthInfo {
  readonly extra: { readonly caller: Caller; readonly requestId: string; readonly cursors: Cursors };
}

export function createWebHandler(deps: Deps, options: WebHandlerOptions): WebHandler {
  const mcp = createMcpHandler(({ authInfo }) => {
    const { caller, requestId, cursors } = (authInfo as RequestAuth).extra;
    const gating = { readOnly: options.readOnly, disableDestructive: !hasScope(caller, 'write') };
    return createMcpServer(deps, gating, { caller, requestId, cursors });
  });
  return async (request, meta = {}) => {
    const path = new URL(request.url).pathname;
    if (path === '/healthz') return Response.json({ status: 'ok' });
    if (path === '/readyz' && options.ready) {
      return (await options.ready()) ? Response.json({ status: 'ready' }) : Response.json({ status: 'not ready' }, { status: 503 });
    }
    if (path !== mcpPath && !(path === '/metrics' && options.metricsText)) return Response.json({ error: `not found; the MCP endpoint is ${mcpPath}` }, { status: 404 });
    const rejected =
      (options.allowedHosts.length > 0 ? hostHeaderValidationResponse(request, [...options.allowedHosts]) : undefined) ??
      (options.allowedOrigins.length > 0 ? originValidationResponse(request, [...options.allowedOrigins]) : undefined);
    if (rejected) return rejected;

    const requestId = meta.requestId ?? randomUUID();
    const source = meta.sourceIp ?? 'unknown';
    if (declaresTooLarge(request)) return tooLarge(deps, requestId, source);
    const result = await options.authenticator.authenticate(request.headers.get('authorization'), source);
    if (!result.ok) {
      const { status, reason } = result;
      deps.log.warn('request refused', { requestId, status, reason, source, ...('keyId' in result && result.keyId ? { keyId: result.keyId } : {}) });
      deps.metrics.authFailure(reason);
      return refusal(result);
    }
    if (path === '/metrics') {
      const { contentType, body } = await options.metricsText!();
      return new Response(body, { headers: { 'content-type': contentType } });
    }
    const caller = limitNamespaces(result.caller, options.allowedNamespaces);
    const authInfo: RequestAuth = {
      // Note: the SDK carries authInfo to handlers; it gets the key id, never the token itself.
      token: caller.keyId,
      clientId: caller.keyId,
      scopes: [...caller.scopes],
      // Note: the cursor secret stays inside the Cursors closure; nothing here can print it.
      extra: { caller, requestId, cursors: cursorsFor(options.authenticator.cursorKey(), caller.keyId) },
    };
    const bounded = await withBodyWithinLimit(request);
    return bounded ? mcp.fetch(bounded, { authInfo }) : tooLarge(deps, requestId, source);
  };
}

function tooLarge(deps: Deps, requestId: string, source: string): Response {
  deps.log.warn('request refused', { requestId, status: 413, reason: 'body-too-large', source });
  return payloadTooLarge();
}

type Refusal = Exclude<Awaited<ReturnType<Authenticator['authenticate']>>, { ok: true }>;

/** RFC 6750 answers. Every invalid key gets the same words, whatever was wrong with it. */
function refusal(result: Refusal): Response {
  if (result.status === 429) {
    return Response.json(
      { error: 'too_many_requests', error_description: 'too many failed authentication attempts; retry later' },
      { status: 429, headers: { 'retry-after': String(result.retryAfterSeconds) } },
    );
  }
  if (result.status === 503) {
    return Response.json({ error: 'temporarily_unavailable', error_description: 'the API key store cannot be read; retry shortly' }, { status: 503, headers: { 'retry-after': '5' } });
  }
  if (result.reason === 'missing') {
    return Response.json(
      { error: 'unauthorized', error_description: 'an API key is required: send "Authorization: Bearer capi_…"' },
      { status: 401, headers: { 'www-authenticate': 'Bearer realm="capi-mcp"' } },
    );
  }
  return Response.json(
    { error: 'invalid_token', error_description: 'the API key is invalid, expired or revoked' },
    { status: 401, headers: { 'www-authenticate': 'Bearer realm="capi-mcp", error="invalid_token", error_description="the API key is invalid, expired or revoked"' } },
  );
}

function limitNamespaces(caller: Caller, allowed: readonly string[] | undefined): Caller {
  if (!allowed) return caller;
  return { ...caller, namespaces: caller.namespaces ? caller.namespaces.filter((n) => allowed.includes(n)) : [...allowed] };
}
