/**
 * `tools/call`, answered here for every tool: the request's params are checked, the tool is run by
 * `invoke` (shared/mcp/invoke.ts) and its outcome rendered as a tool result — or, when the client asked
 * for a task and the tool starts operations, by the task layer (shared/mcp/tasks/task-calls.ts).
 *
 * Note: the McpServer still lists the tools (tools/list, with its schema conversion and per-era fields),
 * but its own tools/call handler is taken out: SDK 2.4 wraps a registered tools/call handler in a
 * CallToolResult check that refuses a 2025-11-25 `{ task }` answer, and validates arguments before any
 * of our checks (so a malformed call was never audited). The fallback handler is called unwrapped.
 */
import { ProtocolError, ProtocolErrorCode, type JSONRPCRequest, type McpServer, type Result, type ServerContext } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { audited, invoke, type CallContext, type Outcome } from './invoke.ts';
import { protocolError, toolResult } from './result.ts';
import type { ToolDefinition, ToolDeps } from './tool.ts';

/** How a task-augmented call is answered; absent when the server runs no tasks. */
export interface TaskCalls {
  /**
   * Whether this call is answered as a task. Refuses (as a JSON-RPC error) what the task protocol
   * refuses before the tool runs, e.g. a 2025-11-25 task request for a tool that runs no task.
   */
  asTask(tool: ToolDefinition, params: CallParams, ctx: ServerContext): boolean;
  /** The answer to a call `asTask` accepted, from what the tool call came to. */
  answer(tool: ToolDefinition, outcome: Outcome, ctx: ServerContext): Promise<Result>;
}

const callParams = z.object({
  name: z.string(),
  arguments: z.record(z.string(), z.unknown()).optional(),
  task: z.unknown().optional(),
});
export type CallParams = z.output<typeof callParams>;

/** Answers tools/call for `exposed` (the tools this server lists, by name). */
export function answerToolCalls(server: McpServer, exposed: ReadonlyMap<string, ToolDefinition>, deps: ToolDeps, context: CallContext, tasks?: TaskCalls): void {
  const low = server.server;
  low.removeRequestHandler('tools/call');
  const previous = low.fallbackRequestHandler;
  low.fallbackRequestHandler = async (request, ctx) => {
    if (request.method === 'tools/call') return callTool(request, ctx);
    if (previous) return previous(request, ctx);
    throw new ProtocolError(ProtocolErrorCode.MethodNotFound, 'Method not found');
  };

  async function callTool(request: JSONRPCRequest, ctx: ServerContext): Promise<Result> {
    const refused = (error: ProtocolError) => refuse(request, error);
    const checked = callParams.safeParse(request.params ?? {});
    if (!checked.success) return refused(new ProtocolError(ProtocolErrorCode.InvalidParams, `Invalid tools/call request: ${checked.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; ')}`));
    const params = checked.data;
    const tool = exposed.get(params.name);
    if (!tool) return refused(new ProtocolError(ProtocolErrorCode.InvalidParams, `Tool ${params.name.slice(0, 100)} not found`));
    let asTask = false;
    try {
      asTask = tasks?.asTask(tool, params, ctx) ?? false;
    } catch (error) {
      return refused(error as ProtocolError);
    }
    const outcome = await invoke(tool, params.arguments ?? {}, deps, context);
    if (!asTask) return toolResult(tool.name, outcome);
    try {
      return await tasks!.answer(tool, outcome, ctx);
    } catch (error) {
      // What the task layer throws is a ProtocolError; anything else is a bug, rendered like every other.
      if (!(error instanceof ProtocolError)) deps.log.error(`${tool.name} task answer failed unexpectedly`, { requestId: context.requestId, error: error instanceof Error ? error.stack : String(error) });
      throw protocolError(tool.name, error);
    }
  }

  /**
   * A call refused before any tool ran (malformed, a tool this server does not list, a task the tool does
   * not run): audited under the name asked for, so a key probing for tools it may not see leaves a trace.
   */
  async function refuse(request: JSONRPCRequest, error: ProtocolError): Promise<never> {
    const asked = (request.params as { name?: unknown } | undefined)?.name;
    const name = typeof asked === 'string' ? asked.slice(0, 100) : 'tools/call';
    return audited(deps, context, { name, arguments: {} }, () => Promise.reject(error));
  }
}
