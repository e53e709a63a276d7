/** resume_cluster: clears the spec.paused that pause_cluster set, so the controllers reconcile again. */
import { z } from 'zod';
import { pauseChange } from '../../capi/pause.ts';
import { defineTool } from '../tool.ts';
import { dryRunArg, managementClusterArg, nameArg, namespaceArg, toolInput } from '../arguments.ts';
import { operationOrPlanSchema } from '../operations/plan.ts';
import { startClusterChange } from '../operations/change.ts';
import { pauseTimeoutSeconds } from '../operations/start-or-join.ts';

export const resumeCluster = defineTool({
  name: 'resume_cluster',
  title: 'Resume cluster',
  description: 'Let Cluster API reconcile a paused cluster again.',
  inputSchema: toolInput(z.object({ namespace: namespaceArg, name: nameArg, management_cluster: managementClusterArg, dry_run: dryRunArg })),
  outputSchema: operationOrPlanSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  startsOperation: true,
  requires: ['workflows'],
  async handler(args, deps) {
    return startClusterChange(deps, { ...args, timeout_seconds: pauseTimeoutSeconds }, 'resume', (cluster) => pauseChange(cluster, false));
  },
});
