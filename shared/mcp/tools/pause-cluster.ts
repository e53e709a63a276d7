/** pause_cluster: Cluster API's spec.paused, so no controller changes the cluster until resume_cluster. */
import { z } from 'zod';
import { pauseChange } from '../../capi/pause.ts';
import { defineTool } from '../tool.ts';
import { dryRunArg, managementClusterArg, nameArg, namespaceArg, toolInput } from '../arguments.ts';
import { operationOrPlanSchema } from '../operations/plan.ts';
import { startClusterChange } from '../operations/change.ts';
import { pauseTimeoutSeconds } from '../operations/start-or-join.ts';

export const pauseCluster = defineTool({
  name: 'pause_cluster',
  title: 'Pause cluster',
  description: 'Stop Cluster API reconciling a cluster (spec.paused) until resume_cluster.',
  inputSchema: toolInput(z.object({ namespace: namespaceArg, name: nameArg, management_cluster: managementClusterArg, dry_run: dryRunArg })),
  outputSchema: operationOrPlanSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  startsOperation: true,
  requires: ['workflows'],
  async handler(args, deps) {
    return startClusterChange(deps, { ...args, timeout_seconds: pauseTimeoutSeconds }, 'pause', (cluster) => pauseChange(cluster, true));
  },
});
