/**
 * MCP tasks as views of workflow executions — pure: an execution record in, a protocol shape out.
 *
 * A task is an operation: its id is the execution name (the operation id), so any process that can
 * describe the execution answers for the task, and nothing about a task lives in a server's memory.
 * Both task protocols are served from the same record:
 * - 2025-11-25 (`tasks` capability): `Task` with `ttl`/`pollInterval`; a tool call whose result is an
 *   error ends `failed`, and `tasks/result` returns the final `CallToolResult`;
 * - 2026-07-28 (`io.modelcontextprotocol/tasks` extension): `Task` with `ttlMs`/`pollIntervalMs`, the final
 *   `CallToolResult` inlined in `tasks/get`; `failed` is reserved for JSON-RPC errors, so an operation that
 *   failed or timed out is `completed` with an `isError` result.
 */
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { ExecutionRecord } from '../../workflows/engine.ts';
import { operationSchema } from '../operations/schema.ts';
import { operationText, operationView } from '../operations/view.ts';

export type TaskStatus = 'working' | 'completed' | 'failed' | 'cancelled';

/**
 * How long a task stays readable after it was created. Note: Step Functions keeps a closed standard
 * execution (and so its task) for 90 days; the local engine keeps them until its folder is deleted.
 */
export const taskTtlMs = 90 * 24 * 60 * 60 * 1000;

export function isTerminal(record: Pick<ExecutionRecord, 'status'>): boolean {
  return record.status !== 'RUNNING';
}

/** The 2025-11-25 status: a tool result with `isError` is `failed` there. */
export function taskStatusV1(record: Pick<ExecutionRecord, 'status'>): TaskStatus {
  switch (record.status) {
    case 'RUNNING':
      return 'working';
    case 'SUCCEEDED':
      return 'completed';
    case 'ABORTED':
      return 'cancelled';
    case 'FAILED':
    case 'TIMED_OUT':
      return 'failed';
  }
}

/** The 2026-07-28 status: `failed` MUST NOT carry a tool error, so a failed operation is `completed` (isError). */
export function taskStatusV2(record: Pick<ExecutionRecord, 'status'>): TaskStatus {
  const status = taskStatusV1(record);
  return status === 'failed' ? 'completed' : status;
}

/** The fields both revisions share, read from the record: created when the execution started. */
function taskBase(record: ExecutionRecord, now: Date) {
  return {
    taskId: record.name,
    statusMessage: operationText(operationView(record, now)),
    createdAt: record.startedAt,
    // The status changes only when the execution ends; its step and verdict are in statusMessage.
    lastUpdatedAt: record.stoppedAt ?? record.startedAt,
  };
}

/** The poll interval an operation suggests: the workflow's own pause between polls of the cluster. */
export function pollIntervalMs(record: ExecutionRecord): number {
  return Math.max(1, Math.round(record.input.pollSeconds * 1000));
}

/** A 2025-11-25 `Task`. */
export function taskV1(record: ExecutionRecord, now: Date) {
  return { ...taskBase(record, now), status: taskStatusV1(record), ttl: taskTtlMs, pollInterval: pollIntervalMs(record) };
}

/** A 2026-07-28 `Task` (the fields of a `CreateTaskResult`, without `resultType`). */
export function taskV2(record: ExecutionRecord, now: Date) {
  return { ...taskBase(record, now), status: taskStatusV2(record), ttlMs: taskTtlMs, pollIntervalMs: pollIntervalMs(record) };
}

/** A 2026-07-28 `DetailedTask`: a completed task inlines the tool's final result. */
export function detailedTaskV2(record: ExecutionRecord, now: Date) {
  const task = taskV2(record, now);
  return task.status === 'completed' ? { ...task, result: { resultType: 'complete', ...finalToolResult(record, now) } } : task;
}

/**
 * What the tool call amounts to once its operation ended: the operation as `structuredContent` (checked
 * against the tool's output schema, as a direct call's result is) and its compact text; anything but
 * SUCCEEDED is a tool error.
 */
export function finalToolResult(record: ExecutionRecord, now: Date): CallToolResult {
  const view = operationSchema.parse(operationView(record, now));
  return {
    content: [{ type: 'text', text: operationText(view) }],
    structuredContent: view,
    ...(record.status === 'SUCCEEDED' ? {} : { isError: true }),
  };
}

/** Where a `tasks/list` page ends: the last task it listed, in the list's order. Opaque to clients. */
export interface ListCursor {
  readonly startedAt: string;
  readonly name: string;
}

/** Newest first; ties (one start time) by name, so the order is total and a cursor is exact. */
export function compareTasks(a: ListCursor, b: ListCursor): number {
  return b.startedAt.localeCompare(a.startedAt) || a.name.localeCompare(b.name);
}

export function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify([cursor.startedAt, cursor.name])).toString('base64url');
}

/** The cursor, or undefined when `text` is not one this server issued. */
export function decodeCursor(text: string): ListCursor | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') {
      return { startedAt: value[0], name: value[1] };
    }
  } catch {
    // not JSON: not ours
  }
  return undefined;
}

/** One page of `records` (any order) after `cursor`, and the cursor of the next page if there is one. */
export function taskPage<T extends ListCursor>(records: readonly T[], cursor: ListCursor | undefined, size: number) {
  const after = [...records].sort(compareTasks).filter((r) => !cursor || compareTasks(cursor, r) < 0);
  const page = after.slice(0, size);
  const last = page.at(-1);
  return { page, ...(after.length > size && last ? { nextCursor: encodeCursor(last) } : {}) };
}
