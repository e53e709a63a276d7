/**
 * Task-augmented `tools/call`. The tool runs exactly as a plain call does (validation, scopes, checks,
 * audit, the workflow start), and its result — the operation it started or joined — is answered as a
 * task whose id is the operation id:
 * - 2025-11-25: the client asks with `params.task`; the answer is `{ task }`. A refused call (invalid
 *   arguments, a cluster that already exists) started nothing, so no task exists: it is a JSON-RPC error;
 * - 2026-07-28: the client declares the extension on the request and the server decides; it answers
 *   `resultType: "task"` for an operation, and a refused call's own tool result otherwise.
 * Clients that ask for neither get the plain result with its `operation_id` and follow get_operation.
 */
import {
  ProtocolError,
  ProtocolErrorCode,
  type CallToolResult,
  type JSONRPCRequest,
  type McpServer,
  type Result,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { ToolDeps } from '../tool.ts';
import { declaresTasksExtension } from './task-methods.ts';
import { taskV1, taskV2 } from './task-state.ts';

type RequestHandler = (request: JSONRPCRequest, ctx: ServerContext) => Promise<Result>;

/** The 2025-11-25 hint a host may hand the model while the task runs. */
const immediateResponseKey = 'io.modelcontextprotocol/model-immediate-response';

/**
 * Answers `tools/call` for `taskTools` as tasks when the client asks, passing every other call to the
 * McpServer's own handler. `tools` are all the tools the server lists.
 */
export function answerToolCallsAsTasks(server: McpServer, tools: ReadonlySet<string>, taskTools: ReadonlySet<string>, deps: ToolDeps): void {
  const low = server.server;
  // Note: SDK 2.4 has no server-side tasks runtime, and a handler registered for tools/call is wrapped in
  // a CallToolResult check that refuses a 2025 `{ task }` answer. So the McpServer's handler is taken out
  // of the table (`_getRequestHandler` is the SDK's protected accessor for it) and tools/call is answered
  // from the fallback handler, which the SDK calls unwrapped; plain calls still go to that same handler.
  const registered = (low as unknown as { _getRequestHandler(method: string): RequestHandler | undefined })._getRequestHandler('tools/call');
  if (!registered) throw new Error('the McpServer registered no tools/call handler to answer tasks for');
  const plain: RequestHandler = registered;
  low.removeRequestHandler('tools/call');
  const previous = low.fallbackRequestHandler;
  low.fallbackRequestHandler = async (request, ctx) => {
    if (request.method === 'tools/call') return callTool(request, ctx);
    if (previous) return previous(request, ctx);
    throw new ProtocolError(ProtocolErrorCode.MethodNotFound, 'Method not found');
  };

  async function callTool(request: JSONRPCRequest, ctx: ServerContext): Promise<Result> {
    const params = (request.params ?? {}) as { name?: unknown; task?: unknown };
    const name = typeof params.name === 'string' ? params.name : '';
    const modern = ctx.mcpReq.envelope !== undefined;
    const asked = modern ? declaresTasksExtension(ctx) : params.task !== undefined;
    if (!asked || !tools.has(name)) return plain(request, ctx);
    if (!taskTools.has(name)) {
      // 2026-07-28: the server decides, and answers this one directly; 2025-11-25: a tool without
      // taskSupport called as a task SHOULD get -32601.
      if (modern) return plain(request, ctx);
      throw new ProtocolError(ProtocolErrorCode.MethodNotFound, `${name} does not run as a task; call it without params.task`);
    }
    if (!modern && !isTaskMetadata(params.task)) {
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'params.task must be an object, with an optional integer ttl');
    }
    const result = (await plain(request, ctx)) as CallToolResult;
    if (result.isError) {
      if (modern) return result;
      throw refusal(name, result);
    }
    const operationId = (result.structuredContent as { operation_id?: unknown } | undefined)?.operation_id;
    const record = typeof operationId === 'string' ? await deps.workflows!.describe(operationId) : undefined;
    if (!record) throw new ProtocolError(ProtocolErrorCode.InternalError, `${name} started operation ${String(operationId)}, but it cannot be read back`);
    const now = deps.now();
    if (modern) return { resultType: 'task', ...taskV2(record, now) };
    return { task: taskV1(record, now), _meta: { [immediateResponseKey]: textOf(result) } };
  }
}

function isTaskMetadata(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { ttl } = value as { ttl?: unknown };
  return ttl === undefined || (typeof ttl === 'number' && Number.isInteger(ttl) && ttl >= 0);
}

function textOf(result: CallToolResult): string {
  return result.content.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join('\n');
}

/**
 * A call refused before anything started, as a JSON-RPC error carrying the tool's own message and next
 * step: an upstream failure or a bug is an internal error, anything else (arguments, conflicts, scopes) invalid params.
 */
function refusal(name: string, result: CallToolResult): ProtocolError {
  const text = textOf(result);
  const code = /^(Upstream|Timeout|Internal):/.test(text) ? ProtocolErrorCode.InternalError : ProtocolErrorCode.InvalidParams;
  return new ProtocolError(code, `${name} started no task: ${text}`);
}
