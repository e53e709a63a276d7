/**
 * The cold-start baseline: the smallest useful MCP server on the SDK alone — one tool, the SDK's
 * stateless web handler — behind the least a Lambda needs to take an API Gateway HTTP API event. Bundled
 * exactly as capi-mcp's function is (bench/cold-start.ts), so the difference is what capi-mcp adds.
 */
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';

const mcp = createMcpHandler(() => {
  const server = new McpServer({ name: 'hello', version: '1.0.0' });
  server.registerTool(
    'hello',
    { description: 'Say hello to someone', inputSchema: z.object({ name: z.string() }) },
    async ({ name }) => ({ content: [{ type: 'text', text: `hello ${name}` }] }),
  );
  return server;
});

interface Event {
  readonly rawPath: string;
  readonly headers: Record<string, string>;
  readonly requestContext: { readonly http: { readonly method: string } };
  readonly body?: string;
}

export async function handler(event: Event) {
  const request = new Request(`https://${event.headers.host ?? 'lambda.local'}${event.rawPath}`, {
    method: event.requestContext.http.method,
    headers: event.headers,
    ...(event.body ? { body: event.body } : {}),
  });
  const response = await mcp.fetch(request);
  return { statusCode: response.status, headers: Object.fromEntries(response.headers), body: await response.text(), isBase64Encoded: false };
}
