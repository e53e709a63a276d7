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
        inputSchema: convertedOnce(tool.inputSchema, `${tool.name} input schema`),
        outputSchema: convertedOnce(tool.outputSchema, `${tool.name} output schema`),
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

/**
 * The JSON Schemas listedJsonSchemas returned when this code was bundled (infra/lib/function-bundle.ts
 * defines the constant), so a Lambda's first tools/list converts nothing; undefined when run from source.
 */
declare const CAPI_MCP_LISTED_JSON_SCHEMAS: string | undefined;
let bundledJsonSchemas: Record<string, Record<string, unknown>> | undefined;
const bundled = (): Record<string, Record<string, unknown>> =>
  (bundledJsonSchemas ??= typeof CAPI_MCP_LISTED_JSON_SCHEMAS === 'string' ? JSON.parse(CAPI_MCP_LISTED_JSON_SCHEMAS) : {});

/** The target the SDK converts to for tools/list (its JSON_SCHEMA_CONVERSION_TARGET); another is converted when asked. */
const listedTarget = { target: 'draft-2020-12' } as const;

/** The stand-ins convertedOnce made, by the schema they stand for. */
const converted = new WeakMap<object, object>();

/**
 * `schema` as the SDK takes it, with its JSON Schema converted once per process, or not at all when the
 * bundle carries it under `name`. Note: the SDK converts a registered tool's zod schemas on every
 * tools/list (its own memo lives on the server, which is built per request), ~1 ms a tool with zod's
 * toJSONSchema; the stand-in validates with the schema itself and hands each converter call a copy of
 * the first result, so no answer can change another's.
 */
function convertedOnce<S extends StandardSchemaWithJSON>(schema: S, name: string): S {
  let standIn = converted.get(schema);
  if (!standIn) {
    const standard = schema['~standard'];
    const results = new Map<string, Record<string, unknown>>();
    type Options = Parameters<typeof standard.jsonSchema.input>[0];
    const once = (io: 'input' | 'output') => (options: Options) => {
      const key = `${name} ${io} ${JSON.stringify(options)}`;
      let result = results.get(key) ?? bundled()[key];
      if (!result) result = standard.jsonSchema[io](options);
      results.set(key, result);
      return structuredClone(result);
    };
    standIn = { '~standard': { ...standard, jsonSchema: { input: once('input'), output: once('output') } } };
    converted.set(schema, standIn);
  }
  return standIn as S;
}

/**
 * Every tool's schemas as tools/list converts them, keyed as convertedOnce looks them up: what the
 * bundler embeds. Only the SDK's own target; the schemas are module constants, the same in every process
 * (a test compares the bundle's tools/list with the source's).
 */
export function listedJsonSchemas(): Record<string, Record<string, unknown>> {
  const schemas: Record<string, Record<string, unknown>> = {};
  for (const tool of tools) {
    // The SDK converts an input schema as input and an output schema as output.
    for (const [io, schema] of [['input', tool.inputSchema], ['output', tool.outputSchema]] as const) {
      schemas[`${tool.name} ${io} schema ${io} ${JSON.stringify(listedTarget)}`] = schema['~standard'].jsonSchema[io](listedTarget);
    }
  }
  return schemas;
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
