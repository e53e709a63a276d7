/**
 * cancel_operation: stops a running operation's workflow and says what had already been applied — a
 * cancelled workflow stops following the change; it does not undo what the Apply step sent.
 */
import { z } from 'zod';
import { CapiMcpError, ErrorCode } from '../../errors.ts';
import { StateNames } from '../../workflows/states.ts';
import { defineTool } from '../tool.ts';
import { toolInput, toolOutput } from '../arguments.ts';
import { findOperation } from '../operations/access.ts';
import { operationFields } from '../operations/schema.ts';
import { listedByFieldNames } from '../schemas.ts';
import { operationText, operationView } from '../operations/view.ts';

export const cancelOperation = defineTool({
  name: 'cancel_operation',
  title: 'Cancel operation',
  description: 'Stop following a running operation; says whether its change was already applied (cancelling does not undo it).',
  inputSchema: toolInput(z.object({ operation_id: z.string().min(1).max(80) })),
  outputSchema: listedByFieldNames(toolOutput(z.object({ ...operationFields, applied: z.boolean() }))),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  requires: ['workflows'],
  async handler(args, deps) {
    const engine = deps.workflows!;
    const before = await findOperation(deps, args.operation_id, 'call list_operations to see operations');
    if (before.status !== 'RUNNING') {
      throw new CapiMcpError(ErrorCode.Conflict, `operation ${args.operation_id} already ended ${before.status}`, { hint: 'call get_operation for its outcome' });
    }
    const after = await engine.stop(args.operation_id, 'cancelled through cancel_operation');
    // Past Apply means the change reached the API server; the controllers keep converging on it.
    const applied = after.currentStep !== undefined && after.currentStep !== StateNames.apply;
    const { operation } = after.input;
    const left = applied
      ? `the ${operation.action} of ${operation.namespace}/${operation.name} was already applied; the controllers carry on with it${operation.action === 'create' ? ' — call delete_cluster to remove the cluster' : ''}`
      : `the Apply step had not completed, so the change may or may not have reached ${operation.namespace}/${operation.name}; call get_cluster to see`;
    const view = { ...operationView(after, deps.now()), applied };
    return { structured: view, text: `${operationText(view)}\n${left}` };
  },
});
