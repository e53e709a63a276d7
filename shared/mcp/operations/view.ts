/**
 * An operation as an agent reads it: the execution record of its workflow, cut to what the agent acts
 * on (shared/mcp/operations/schema.ts is the shape), as structured content and as one line of text.
 */
import type { ExecutionRecord } from '../../workflows/engine.ts';
import type { OperationView } from './schema.ts';

/** An execution as an agent reads it. */
export function operationView(record: ExecutionRecord, now: Date): OperationView {
  const { operation } = record.input;
  const end = record.stoppedAt ? Date.parse(record.stoppedAt) : now.getTime();
  return {
    operation_id: record.name,
    action: operation.action,
    cluster: `${operation.namespace}/${operation.name}`,
    status: record.status,
    ...(record.currentStep ? { current_step: record.currentStep } : {}),
    elapsed_seconds: Math.max(0, Math.round((end - Date.parse(record.startedAt)) / 1000)),
    ...(record.lastVerdict ? { last_observed: record.lastVerdict.reason } : {}),
    ...(record.status === 'FAILED' || record.status === 'TIMED_OUT' || record.status === 'ABORTED'
      ? { failure: `${record.error ?? record.status}: ${record.cause ?? 'no cause recorded'}` }
      : {}),
  };
}

export function operationText(view: OperationView): string {
  const parts = [`operation ${view.operation_id}: ${view.action} ${view.cluster} ${view.status}`];
  if (view.current_step && view.status === 'RUNNING') parts.push(`at ${view.current_step}`);
  parts.push(`${view.elapsed_seconds}s`);
  if (view.last_observed) parts.push(`— ${view.last_observed}`);
  if (view.failure) parts.push(`— failed: ${view.failure}`);
  return parts.join(' ');
}

/** The result of a tool that started (or joined) an operation: the view plus the next step. */
export function startedResult(record: ExecutionRecord, now: Date) {
  const view = operationView(record, now);
  return { structured: view, text: `${operationText(view)}\nNext: call get_operation with operation_id="${view.operation_id}" until it is SUCCEEDED or FAILED` };
}
