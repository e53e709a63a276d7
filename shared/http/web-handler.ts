/**
 * The HTTP surface shared by the Lambda and the local adapter, as a Web-standard Request → Response
 * function: `/mcp` is the stateless Streamable HTTP MCP endpoint (both protocol eras), `/healthz` a
 * liveness probe. Host and Origin checks guard against DNS rebinding before any MCP processing.
 */
import {
  createMcpHandler,
  hostHeaderValidationResponse,
  originValidationResponse,
} from '@modelcontextprotocol/server';
import { createMcpServer } from '../mcp/server.ts';
import type { ToolDeps } from '../mcp/tool.ts';

export const mcpPath = '/mcp';

export interface WebHandlerOptions {
  /** Host names accepted in the Host header; empty accepts any (e.g. behind API Gateway). */
  readonly allowedHosts: readonly string[];
  /** Origin host names accepted from browsers; empty accepts any. Requests without Origin always pass. */
  readonly allowedOrigins: readonly string[];
  readonly readOnly: boolean;
}

export type WebHandler = (request: Request) => Promise<Response>;

export function createWebHandler(deps: ToolDeps, options: WebHandlerOptions): WebHandler {
  const gating = { readOnly: options.readOnly, disableDestructive: false };
  const mcp = createMcpHandler(() => createMcpServer(deps, gating));
  return async (request) => {
    const path = new URL(request.url).pathname;
    if (path === '/healthz') return Response.json({ status: 'ok' });
    if (path !== mcpPath) return Response.json({ error: `not found; the MCP endpoint is ${mcpPath}` }, { status: 404 });
    const rejected =
      (options.allowedHosts.length > 0 ? hostHeaderValidationResponse(request, [...options.allowedHosts]) : undefined) ??
      (options.allowedOrigins.length > 0 ? originValidationResponse(request, [...options.allowedOrigins]) : undefined);
    return rejected ?? mcp.fetch(request);
  };
}
