/**
 * scale_cluster: worker pool and/or control plane replicas — through the topology of a ClusterClass
 * cluster, or through the MachineDeployments and KubeadmControlPlane of a cluster without one.
 */
import { z } from 'zod';
import type { ScaleRequest } from '../../capi/change-plan.ts';
import { directScaleChange } from '../../capi/direct-scale.ts';
import { defineTool } from '../tool.ts';
import { dryRunArg, labelArg, managementClusterArg, nameArg, namespaceArg, timeoutArg, toolInput } from '../arguments.ts';
import { operationOrPlanSchema } from '../operations/plan.ts';
import { getCluster } from '../../kube/discovery.ts';
import { startClusterChange, startDirectChange } from '../operations/change.ts';

export const scaleCluster = defineTool({
  name: 'scale_cluster',
  title: 'Scale cluster',
  description:
    'Set worker pool and/or control plane replicas; scaling down removes machines.',
  inputSchema: toolInput(
    z
      .object({
        namespace: namespaceArg,
        name: nameArg,
        worker_pools: z
          .array(z.object({ name: labelArg, replicas: z.number().int().min(0).max(100) }))
          .max(10)
          .optional(),
        control_plane_replicas: z.number().int().min(1).max(7).refine((n) => n % 2 === 1, 'must be odd (1, 3, 5, 7) so etcd keeps quorum').optional().describe('Odd'),
        timeout_seconds: timeoutArg(1800),
        management_cluster: managementClusterArg,
        dry_run: dryRunArg,
      })
      .refine((a) => (a.worker_pools?.length ?? 0) > 0 || a.control_plane_replicas !== undefined, 'give worker_pools and/or control_plane_replicas'),
  ),
  outputSchema: operationOrPlanSchema,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  startsOperation: true,
  requires: ['workflows'],
  async handler(args, deps) {
    const request: ScaleRequest = {
      ...(args.worker_pools ? { workerPools: args.worker_pools } : {}),
      ...(args.control_plane_replicas !== undefined ? { controlPlaneReplicas: args.control_plane_replicas } : {}),
    };
    const cluster = await getCluster(deps.clusters.client(args.management_cluster), args.namespace, args.name);
    // With a ClusterClass the topology is the one place to change; without, the objects themselves are.
    if (!cluster.spec?.topology) return startDirectChange(deps, args, cluster, 'scale', (mds, controlPlane) => directScaleChange(cluster, mds, controlPlane, request));
    // Note: topology.ts is imported on the call, not with this module: it brings Ajv (capi/variables.ts),
    // which a cold start that answers only discovery and tools/list would otherwise load and compile.
    const { scaleChange } = await import('../../capi/topology.ts');
    return startClusterChange(deps, args, 'scale', (current) => scaleChange(current, request), { read: cluster });
  },
});
