/** The output schema of an operation, shared by the tools that start or read one. */
import { z } from 'zod';
import { executionStatuses } from '../../workflows/states.ts';
import { count, outputObject, unlisted } from '../schemas.ts';
import { operationView, type ExecutionRecord } from '../../workflows/engine.ts';
import { toolOutput } from './common.ts';

const operationFields = {
  operation_id: z.string(),
  // Note: the action's values are listed nowhere: the agent named the action it started, and reads it back.
  action: unlisted(z.enum(['create', 'delete', 'scale', 'upgrade']), 'enum'),
  cluster: z.string(),
  status: z.enum(executionStatuses),
  current_step: z.string().optional(),
  elapsed_seconds: count,
  last_observed: z.string().optional(),
  failure: z.string().optional(),
};

/** One operation; the output root of the tools that start or read one. */
export const operationSchema = toolOutput(z.object(operationFields));

/** One operation as an item of a list (see list_operations). */
export const operationItemSchema = outputObject(operationFields);

export function operationText(view: z.output<typeof operationSchema>): string {
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
