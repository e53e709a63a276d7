/**
 * The flow scale_cluster and upgrade_cluster share: read the Cluster, compute the change (pure), refuse
 * what is wrong with the reason, validate the change with a server-side dry run, then start (or join)
 * the operation that applies it and follows the rollout.
 */
import type { TopologyChange } from '../../capi/topology.ts';
import { CapiMcpError, ErrorCode, wrapError } from '../../errors.ts';
import type { KubeObject } from '../../kube/client.ts';
import { getCluster } from '../../kube/discovery.ts';
import { fieldManagerOf, type OperationAction } from '../../workflows/operation.ts';
import type { ToolDeps } from '../tool.ts';
import { operationInput, startOrJoin, type OperationArgs } from './start-or-join.ts';

export async function startTopologyChange(
  deps: ToolDeps,
  args: OperationArgs,
  action: OperationAction,
  compute: (cluster: KubeObject) => TopologyChange,
  /** The Cluster, when the caller has read it already. */
  read?: KubeObject,
) {
  const kube = deps.clusters.client(args.management_cluster);
  const change = compute(read ?? (await getCluster(kube, args.namespace, args.name)));
  if (change.problems.length > 0) {
    throw new CapiMcpError(ErrorCode.InvalidInput, `cannot ${action} cluster ${args.namespace}/${args.name}: ${change.problems.join('; ')}`, {
      hint: 'call get_cluster to see its current topology',
    });
  }
  const input = operationInput(action, args, { cluster: change.patch, expect: change.expect }, 10);
  return startOrJoin(deps, input, change.patch.spec, async () => {
    try {
      await kube.apply(change.patch, { dryRun: true, fieldManager: fieldManagerOf(action) });
    } catch (error) {
      throw wrapError(`the API server rejected the ${action} of cluster ${args.namespace}/${args.name}`, error);
    }
  });
}
