/**
 * The MCP server factory. `createMcpHandler` calls it once per HTTP request (stateless: no session
 * survives a request), so it only wires already-built dependencies: registering a handful of tools is
 * microseconds, while clients and config are built once per process.
 */
import { McpServer, type StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import { registerPrompts } from './prompts.ts';
import { registerResources } from './resources.ts';
import { isToolApplicable, tools, type Gating } from './registry.ts';
import { hasScope, requiredScope, type Caller } from '../auth/scopes.ts';
import type { Deps } from '../deps.ts';
import type { Cursors } from './cursor.ts';
import { enableTasks, type ExposedTool } from './tasks/enable-tasks.ts';
import { answerToolCalls } from './tool-calls.ts';
import type { ToolDefinition } from './tool.ts';
import { invoke } from './invoke.ts';
import { toolResult } from './result.ts';

export const serverInfo = { name: 'capi-mcp', version: '0.1.0' } as const;

const instructions =
  'Manage Kubernetes clusters through Cluster API. Start with list_clusters; get_cluster explains why a cluster is not ready. ' +
  'Read capi://clusterclasses to see which classes and variables exist.';

/** Who this request's server answers: the authenticated caller and the id its audit records carry. */
export interface RequestScope {
  readonly caller: Caller;
  readonly requestId: string;
  /** Seals and opens this caller's list cursors. */
  readonly cursors: Cursors;
}

export function createMcpServer(shared: Deps, gating: Gating, request: RequestScope): McpServer {
  const deps = { ...shared, caller: request.caller, cursors: request.cursors };
  const server = new McpServer(serverInfo, {
    capabilities: { tools: { listChanged: false }, resources: { listChanged: false }, prompts: { listChanged: false } },
    instructions,
  });
  const exposed: ExposedTool[] = [];
  const byName = new Map<string, ToolDefinition>();
  for (const tool of tools) {
    if (!isToolApplicable(tool, gating)) continue;
    if (tool.requires?.some((dependency) => deps[dependency] === undefined)) continue;
    const registered = server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: convertedOnce(tool.inputSchema),
        outputSchema: convertedOnce(tool.outputSchema),
        annotations: listedAnnotations(tool.annotations),
      },
      // Note: not called — answerToolCalls takes tools/call over — but the same path if it ever were.
      async (args: unknown) => toolResult(tool.name, await invoke(tool, args, deps, request)),
    );
    exposed.push({ definition: tool, registered });
    byName.set(tool.name, tool);
  }
  registerResources(server, deps);
  // A prompt is handed only to a key that may call every tool it names.
  registerPrompts(server, new Set([...byName.values()].filter((t) => hasScope(deps.caller, requiredScope(t))).map((t) => t.name)), deps, request);
  answerToolCalls(server, byName, deps, request, enableTasks(server, exposed, deps, request));
  return server;
}

/** The stand-ins convertedOnce made, by the schema they stand for. */
const converted = new WeakMap<object, object>();

/**
 * `schema` as the SDK takes it, with its JSON Schema converted once per process. Note: the SDK converts a
 * registered tool's zod schemas on every tools/list (its own memo lives on the server, which is built per
 * request), ~1 ms a tool with zod's toJSONSchema; the stand-in validates with the schema itself and hands
 * each converter call a copy of the first result, so no answer can change another's.
 */
function convertedOnce<S extends StandardSchemaWithJSON>(schema: S): S {
  let standIn = converted.get(schema);
  if (!standIn) {
    const standard = schema['~standard'];
    const results = new Map<string, Record<string, unknown>>();
    type Options = Parameters<typeof standard.jsonSchema.input>[0];
    const once = (io: 'input' | 'output') => (options: Options) => {
      const key = `${io} ${JSON.stringify(options)}`;
      let result = results.get(key);
      if (!result) results.set(key, (result = standard.jsonSchema[io](options)));
      return structuredClone(result);
    };
    standIn = { '~standard': { ...standard, jsonSchema: { input: once('input'), output: once('output') } } };
    converted.set(schema, standIn);
  }
  return standIn as S;
}

/**
 * A tool's annotations as tools/list carries them: what a client cannot infer. Note: no `title` (both
 * protocol eras list the tool's own), and for a read-only tool no destructive or idempotent hint, which
 * the MCP schema defines only for tools that are not read-only; ~190 tokens of issue 14's tools/list budget.
 */
export function listedAnnotations(annotations: ToolDefinition['annotations']): Partial<ToolDefinition['annotations']> {
  const { readOnlyHint, destructiveHint, idempotentHint, openWorldHint } = annotations;
  return readOnlyHint ? { readOnlyHint, openWorldHint } : { readOnlyHint, destructiveHint, idempotentHint, openWorldHint };
}
