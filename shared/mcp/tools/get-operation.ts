/** get_operation: the state of a long-running operation started by a mutating tool. */
import { z } from 'zod';
import { defineTool } from '../tool.ts';
import { toolInput } from '../arguments.ts';
import { findOperation } from '../operations/access.ts';
import { operationSchema } from '../operations/schema.ts';
import { operationText, operationView } from '../operations/view.ts';

export const getOperation = defineTool({
  name: 'get_operation',
  title: 'Get operation',
  description: 'Follow the operation_id a changing tool returned at once; poll until it is not RUNNING.',
  inputSchema: toolInput(z.object({ operation_id: z.string().min(1).max(80) })),
  outputSchema: operationSchema,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  requires: ['workflows'],
  async handler(args, deps) {
    const record = await findOperation(deps, args.operation_id, 'pass the operation_id exactly as the tool that started the operation returned it');
    const view = operationView(record, deps.now());
    return { structured: view, text: operationText(view) };
  },
});
