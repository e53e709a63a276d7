/**
 * The MCP server factory. `createMcpHandler` calls it once per HTTP request (stateless: no session
 * survives a request), so it only wires already-built dependencies: registering a handful of tools is
 * microseconds, while clients and config are built once per process.
 */
import { McpServer } from '@modelcontextprotocol/server';
import { registerResources } from './resources.ts';
import { isToolApplicable, tools, type Gating } from './registry.ts';
import { runTool } from './result.ts';
import type { ToolDeps } from './tool.ts';

export const serverInfo = { name: 'capi-mcp', version: '0.1.0' } as const;

const instructions =
  'Manage Kubernetes clusters through Cluster API. Start with list_clusters; get_cluster explains why a cluster is not ready. ' +
  'Read capi://clusterclasses to see which classes and variables exist.';

export function createMcpServer(deps: ToolDeps, gating: Gating): McpServer {
  const server = new McpServer(serverInfo, {
    capabilities: { tools: { listChanged: false }, resources: { listChanged: false } },
    instructions,
  });
  for (const tool of tools) {
    if (!isToolApplicable(tool, gating)) continue;
    if (tool.requires?.some((dependency) => deps[dependency] === undefined)) continue;
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.inputSchema,
        outputSchema: tool.outputSchema,
        annotations: { title: tool.title, ...tool.annotations },
      },
      (args: unknown) => runTool(tool, args, deps),
    );
  }
  registerResources(server, deps);
  return server;
}
