/** The output schema of an operation, shared by the tools that start or read one (and by MCP tasks). */
import { z } from 'zod';
import { operationActions } from '../../workflows/operation.ts';
import { executionStatuses } from '../../workflows/states.ts';
import { toolOutput } from '../arguments.ts';
import { count, listedByFieldNames, unlisted } from '../schemas.ts';

/** The fields of an operation as an agent reads it (also the operation side of operationOrPlanSchema, ./plan.ts). */
export const operationFields = {
  operation_id: z.string(),
  // Note: the action's values are listed nowhere: the agent named the action it started, and reads it back.
  action: unlisted(z.enum(operationActions), 'enum'),
  cluster: z.string(),
  status: z.enum(executionStatuses),
  current_step: z.string().optional(),
  elapsed_seconds: count,
  last_observed: z.string().optional(),
  failure: z.string().optional(),
};

/** One operation; the output root of the tools that start or read one. */
export const operationSchema = listedByFieldNames(toolOutput(z.object(operationFields)));

/** One operation as an item of a list (see list_operations). */
export const operationItemSchema = listedByFieldNames(z.object(operationFields));

/** What operationView (./view.ts) returns. */
export type OperationView = z.output<typeof operationSchema>;
