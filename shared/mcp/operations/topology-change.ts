/**
 * The flow scale_cluster and upgrade_cluster share: read the Cluster, compute the change (pure), refuse
 * what is wrong and what its owners protect with the reason, validate the change with a server-side dry
 * run (never forced over another field manager), then start (or join) the operation that applies it and
 * follows the rollout.
 */
import { changeRefusal, type ClusterChange } from '../../capi/protection.ts';
import type { TopologyChange } from '../../capi/topology.ts';
import { CapiMcpError, ErrorCode, wrapError } from '../../errors.ts';
import type { KubeObject } from '../../kube/client.ts';
import { getCluster } from '../../kube/discovery.ts';
import { applyOwned } from '../../kube/owned-apply.ts';
import { capiMcpFieldManagers, fieldManagerOf, type OperationAction } from '../../workflows/operation.ts';
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
  const cluster = read ?? (await getCluster(kube, args.namespace, args.name));
  const change = compute(cluster);
  if (change.problems.length > 0) {
    throw new CapiMcpError(ErrorCode.InvalidInput, `cannot ${action} cluster ${args.namespace}/${args.name}: ${change.problems.join('; ')}`, {
      hint: 'call get_cluster to see its current topology',
    });
  }
  const input = operationInput(action, args, { cluster: change.patch, expect: change.expect }, 10);
  return startOrJoin(deps, input, change.patch.spec, async () => {
    refuseProtected(action, args, change.change, [cluster]);
    try {
      await applyOwned(kube, change.patch, { dryRun: true, fieldManager: fieldManagerOf(action), mayTakeFrom: capiMcpFieldManagers });
    } catch (error) {
      throw wrapError(`the API server rejected the ${action} of cluster ${args.namespace}/${args.name}`, error);
    }
  });
}

/** Refuses a destructive change to a cluster its owners protect (shared/capi/protection.ts), with their reason. */
export function refuseProtected(action: OperationAction, args: OperationArgs, change: ClusterChange, objects: readonly KubeObject[]): void {
  const refusal = changeRefusal(change, objects);
  if (refusal) throw new CapiMcpError(ErrorCode.Forbidden, `refusing to ${action} cluster ${args.namespace}/${args.name}: ${refusal.reason}`, { hint: refusal.hint });
}
