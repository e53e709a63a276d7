/**
 * rollout_cluster: replaces every Machine of the control plane or of one worker pool without changing
 * them (Cluster API's rollout.after) — through the topology where there is one, else on the owner.
 */
import { z } from 'zod';
import { controlPlaneTarget, directRolloutChange, topologyRolloutChange } from '../../capi/rollout.ts';
import { getCluster } from '../../kube/discovery.ts';
import { defineTool } from '../tool.ts';
import { dryRunArg, managementClusterArg, nameArg, namespaceArg, timeoutArg, toolInput } from '../arguments.ts';
import { operationOrPlanSchema } from '../operations/plan.ts';
import { startClusterChange, startDirectChange } from '../operations/change.ts';

export const rolloutCluster = defineTool({
  name: 'rollout_cluster',
  title: 'Roll out cluster',
  description: 'Replace every machine of the control plane or a worker pool, one by one, same version.',
  inputSchema: toolInput(
    z.object({
      namespace: namespaceArg,
      name: nameArg,
      target: z.string().max(63).describe(`"${controlPlaneTarget}" or a worker pool`),
      timeout_seconds: timeoutArg(3600),
      management_cluster: managementClusterArg,
      dry_run: dryRunArg,
    }),
  ),
  outputSchema: operationOrPlanSchema,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  startsOperation: true,
  requires: ['workflows'],
  async handler(args, deps) {
    const cluster = await getCluster(deps.clusters.client(args.management_cluster), args.namespace, args.name);
    const now = deps.now();
    // Note: the operation is keyed by what it rolls out, not by the time in its patch: a retried call
    // joins the rollout it started instead of starting another.
    const identity = ['rollout', args.target];
    if (!cluster.spec?.topology) return startDirectChange(deps, args, cluster, 'rollout', (mds, controlPlane) => directRolloutChange(cluster, mds, controlPlane, args.target, now), { identity });
    return startClusterChange(deps, args, 'rollout', (current) => topologyRolloutChange(current, args.target, now), { read: cluster, identity });
  },
});
