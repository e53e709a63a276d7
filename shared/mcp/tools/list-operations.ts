/** list_operations: recent operations, newest first, optionally for one cluster or in one status. */
import { z } from 'zod';
import { executionStatuses } from '../../workflows/states.ts';
import type { WorkflowInput } from '../../workflows/operation.ts';
import { defineTool } from '../tool.ts';
import { namespaceArg, toolInput, toolOutput } from '../arguments.ts';
import { listVisibleOperations } from '../operations/access.ts';
import { operationItemSchema } from '../operations/schema.ts';
import { operationText, operationView } from '../operations/view.ts';

export const listOperations = defineTool({
  name: 'list_operations',
  title: 'List operations',
  description: 'List long-running operations, newest first, optionally of one cluster or in one status.',
  inputSchema: toolInput(
    z.object({
      namespace: namespaceArg.optional(),
      name: z.string().max(253).optional().describe('Cluster name'),
      status: z.enum(executionStatuses).optional(),
      limit: z.number().int().min(1).max(100).default(20),
    }),
  ),
  outputSchema: toolOutput(z.object({ operations: z.array(operationItemSchema) })),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  requires: ['workflows'],
  async handler(args, deps) {
    const now = deps.now();
    const where = ({ operation }: WorkflowInput) => (!args.namespace || operation.namespace === args.namespace) && (!args.name || operation.name === args.name);
    const records = await listVisibleOperations(deps, { where, ...(args.status ? { status: args.status } : {}), limit: args.limit });
    const operations = records.map((r) => operationView(r, now));
    return { structured: { operations }, text: operations.map(operationText).join('\n') || 'no operations' };
  },
});
