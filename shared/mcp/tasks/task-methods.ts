/**
 * The `tasks/*` methods, answered from the workflow engine on every call (no task is held in memory):
 * - both revisions: `tasks/get`, `tasks/cancel`;
 * - 2025-11-25 only: `tasks/result` (blocks until the operation ends) and `tasks/list` (pages);
 * - 2026-07-28 only: `tasks/update` (acknowledged: an operation never asks for input).
 * The SDK's era gate answers the other era's methods with -32601, except `tasks/update`, checked here.
 *
 * Access is the operation tools' own: reading needs the `read` scope, cancelling `write`, and a key
 * limited to namespaces cannot tell another namespace's task from one that does not exist. Every call
 * writes an audit record, as a tool call does.
 */
import {
  CLIENT_CAPABILITIES_META_KEY,
  MissingRequiredClientCapabilityError,
  ProtocolError,
  ProtocolErrorCode,
  RELATED_TASK_META_KEY,
  type McpServer,
  type Result,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { Scope } from '../../auth/scopes.ts';
import type { ExecutionRecord } from '../../workflows/engine.ts';
import { audited, requireScope, type CallContext } from '../invoke.ts';
import { protocolError } from '../result.ts';
import type { ToolDeps } from '../tool.ts';
import { findOperation, listVisibleOperations } from '../operations/access.ts';
import { decodeCursor, detailedTaskV2, finalToolResult, isTerminal, taskPage, taskV1 } from './task-state.ts';

export const tasksExtensionId = 'io.modelcontextprotocol/tasks';

export interface TaskMethodOptions {
  /**
   * The longest `tasks/result` blocks on a running operation. Note: API Gateway ends a request after
   * 29 s, so the default answers before it with an error that says to keep polling `tasks/get`.
   */
  readonly resultWaitMs?: number;
  /** The pause between two looks at a running operation while `tasks/result` blocks. */
  readonly resultPollMs?: number;
  readonly listPageSize?: number;
}

const taskIdParams = z.object({ taskId: z.string().min(1).max(80) });

export function registerTaskMethods(server: McpServer, deps: ToolDeps, context: CallContext, options: TaskMethodOptions = {}): void {
  const { resultWaitMs = 25_000, resultPollMs = 2_000, listPageSize = 50 } = options;
  const engine = deps.workflows!;
  // `modern`: the request came in the 2026-07-28 era (it carries the per-request envelope).
  const handle = <P extends object>(method: string, params: z.ZodType<P>, answer: (params: P, modern: boolean, ctx: ServerContext) => Promise<Result>) =>
    server.server.setRequestHandler(method, { params }, async (args, ctx) => {
      const taskId = (args as { taskId?: unknown }).taskId;
      try {
        return await audited(deps, context, { name: method, arguments: typeof taskId === 'string' ? { taskId } : {} }, () => {
          const modern = ctx.mcpReq.envelope !== undefined;
          if (modern) requireTasksExtension(ctx);
          return answer(args, modern, ctx);
        });
      } catch (error) {
        throw protocolError(method, error);
      }
    });

  handle('tasks/get', taskIdParams, async ({ taskId }, modern) => {
    const record = await visibleTask(deps, taskId, 'read');
    return modern ? detailedTaskV2(record, deps.now()) : taskV1(record, deps.now());
  });

  handle('tasks/cancel', taskIdParams, async ({ taskId }, modern) => {
    const record = await visibleTask(deps, taskId, 'write');
    if (isTerminal(record)) {
      // 2026-07-28 cancellation is an eventually consistent request: a task that already ended stays as it ended.
      if (modern) return {};
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `task ${taskId} already ended ${record.status}; it cannot be cancelled`);
    }
    const stopped = await engine.stop(taskId, 'cancelled through tasks/cancel');
    return modern ? {} : taskV1(stopped, deps.now());
  });

  handle('tasks/result', taskIdParams, async ({ taskId }, _modern, ctx) => {
    let record = await visibleTask(deps, taskId, 'read');
    const deadline = Date.now() + resultWaitMs;
    while (!isTerminal(record)) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new ProtocolError(-32001, `task ${taskId} is still working after ${Math.round(resultWaitMs / 1000)}s; poll tasks/get and call tasks/result once it is no longer working`);
      }
      await sleep(Math.min(resultPollMs, left), undefined, { signal: ctx.mcpReq.signal });
      record = (await engine.describe(taskId)) ?? record;
    }
    return { ...finalToolResult(record, deps.now()), _meta: { [RELATED_TASK_META_KEY]: { taskId } } };
  });

  handle('tasks/list', z.object({ cursor: z.string().max(1000).optional() }), async ({ cursor }) => {
    requireScope(deps, 'read', 'tasks/list');
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    if (cursor !== undefined && !after) throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'invalid cursor: pass nextCursor exactly as tasks/list returned it');
    const { page, nextCursor } = taskPage(await listVisibleOperations(deps), after, listPageSize);
    return { tasks: page.map((r) => taskV1(r, deps.now())), ...(nextCursor ? { nextCursor } : {}) };
  });

  // Note: the SDK lifts `inputResponses` out of the params (ctx.mcpReq.inputResponses), as on any request.
  handle('tasks/update', taskIdParams, async ({ taskId }, modern) => {
    if (!modern) throw new ProtocolError(ProtocolErrorCode.MethodNotFound, 'Method not found');
    // No operation ever asks for input, so every response answers a request that is not outstanding: ignored.
    await visibleTask(deps, taskId, 'read');
    return {};
  });
}

/** 2026-07-28: a client that did not declare the extension on this request may not use tasks/* (-32021). */
function requireTasksExtension(ctx: ServerContext): void {
  if (declaresTasksExtension(ctx)) return;
  throw new MissingRequiredClientCapabilityError({ requiredCapabilities: { extensions: { [tasksExtensionId]: {} } } });
}

/** Whether this request's per-request client capabilities (2026-07-28 envelope) carry the tasks extension. */
export function declaresTasksExtension(ctx: Pick<ServerContext, 'mcpReq'>): boolean {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const capabilities = envelope?.[CLIENT_CAPABILITIES_META_KEY] as { extensions?: Record<string, unknown> } | undefined;
  const extension = capabilities?.extensions?.[tasksExtensionId];
  return typeof extension === 'object' && extension !== null && !Array.isArray(extension);
}

/** The task's execution, if the caller may see it (and, for `write`, act on it). */
async function visibleTask(deps: ToolDeps, taskId: string, scope: Scope): Promise<ExecutionRecord> {
  requireScope(deps, scope, scope === 'write' ? 'cancelling a task' : 'reading a task');
  return findOperation(deps, taskId, 'pass the taskId exactly as the tool call returned it');
}
