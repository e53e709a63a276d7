/** scale_cluster: worker pool and/or control plane replicas of a topology-managed cluster. */
import { z } from 'zod';
import { scaleChange } from '../../capi/topology.ts';
import { defineTool } from '../tool.ts';
import { managementClusterArg, nameArg, namespaceArg } from './common.ts';
import { operationSchema } from './operation-schema.ts';
import { startTopologyChange } from './topology-change.ts';

export const scaleCluster = defineTool({
  name: 'scale_cluster',
  title: 'Scale cluster',
  description:
    'Set replicas of named worker pools and/or the control plane (odd: 1, 3, 5, 7); scaling down removes machines. Returns at once with an operation_id for get_operation.',
  inputSchema: z
    .object({
      namespace: namespaceArg,
      name: nameArg,
      worker_pools: z
        .array(z.object({ name: z.string().max(63).describe('Worker pool (MachineDeployment topology) name'), replicas: z.number().int().min(0).max(100) }))
        .max(10)
        .optional(),
      control_plane_replicas: z.number().int().min(1).max(7).refine((n) => n % 2 === 1, 'must be odd (1, 3, 5, 7) so etcd keeps quorum').optional(),
      timeout_seconds: z.number().int().min(60).max(7200).default(1800),
      management_cluster: managementClusterArg,
    })
    .refine((a) => (a.worker_pools?.length ?? 0) > 0 || a.control_plane_replicas !== undefined, 'give worker_pools and/or control_plane_replicas'),
  outputSchema: operationSchema,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  requires: ['workflows'],
  handler: (args, deps) =>
    startTopologyChange(deps, args, 'scale', (cluster) =>
      scaleChange(cluster, {
        ...(args.worker_pools ? { workerPools: args.worker_pools } : {}),
        ...(args.control_plane_replicas !== undefined ? { controlPlaneReplicas: args.control_plane_replicas } : {}),
      }),
    ),
});
