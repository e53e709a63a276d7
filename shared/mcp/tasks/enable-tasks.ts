/**
 * MCP tasks for the tools that start operations, on the per-request server. A task is a workflow
 * execution (task-state.ts), so a task created through one process or Lambda is read, waited for and
 * cancelled through any other. Declared only when the server has a workflow engine and lists at least
 * one tool that starts an operation:
 * - 2025-11-25: `capabilities.tasks` (list, cancel for keys with `write`, task-augmented tools/call) and
 *   `execution.taskSupport: "optional"` on those tools;
 * - 2026-07-28: `capabilities.extensions["io.modelcontextprotocol/tasks"]`. The SDK drops `tasks` from
 *   the 2026 answer and `execution` from its tools/list; 2025 clients ignore the extension entry.
 */
import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { hasScope } from '../../auth/scopes.ts';
import type { CallContext } from '../invoke.ts';
import type { ToolDefinition, ToolDeps } from '../tool.ts';
import type { TaskCalls } from '../tool-calls.ts';
import { taskCalls } from './task-calls.ts';
import { registerTaskMethods, tasksExtensionId, type TaskMethodOptions } from './task-methods.ts';

/** A tool as the server registered it. */
export interface ExposedTool {
  readonly definition: Pick<ToolDefinition, 'name' | 'startsOperation'>;
  readonly registered: RegisteredTool;
}

/** Declares tasks and serves tasks/*; the answer to task-augmented calls, or undefined when there are none. */
export function enableTasks(server: McpServer, exposed: readonly ExposedTool[], deps: ToolDeps, context: CallContext, options?: TaskMethodOptions): TaskCalls | undefined {
  const taskTools = exposed.filter((t) => t.definition.startsOperation);
  if (!deps.workflows || taskTools.length === 0) return undefined;
  for (const { registered } of taskTools) registered.execution = { taskSupport: 'optional' };
  server.server.registerCapabilities({
    tasks: { list: {}, ...(hasScope(deps.caller, 'write') ? { cancel: {} } : {}), requests: { tools: { call: {} } } },
    extensions: { [tasksExtensionId]: {} },
  });
  registerTaskMethods(server, deps, context, options);
  return taskCalls(deps, context);
}
