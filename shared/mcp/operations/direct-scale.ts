/**
 * scale_cluster for a cluster without a ClusterClass: read its MachineDeployments (one LIST by the
 * cluster-name label) and its control plane (through spec.controlPlaneRef), compute the replica patches
 * (pure, shared/capi/direct-scale.ts), refuse what the owners protect, dry-run each (never forced over
 * another field manager), then start (or join) the scale operation that applies them and follows the
 * Cluster until the new counts are ready.
 */
import { directScaleChange, type ScaleRequest } from '../../capi/direct-scale.ts';
import { CapiMcpError, ErrorCode, wrapError } from '../../errors.ts';
import type { KubeObject } from '../../kube/client.ts';
import { getIfExists } from '../../kube/client.ts';
import { clusterNameLabel, Kinds } from '../../kube/kinds.ts';
import { applyOwned } from '../../kube/owned-apply.ts';
import { capiMcpFieldManagers, fieldManagerOf } from '../../workflows/operation.ts';
import type { ToolDeps } from '../tool.ts';
import { operationInput, startOrJoin, type OperationArgs } from './start-or-join.ts';
import { refuseProtected } from './topology-change.ts';

export async function startDirectScale(deps: ToolDeps, args: OperationArgs, cluster: KubeObject, request: ScaleRequest) {
  const kube = deps.clusters.client(args.management_cluster);
  const ref = cluster.spec?.controlPlaneRef as { apiGroup?: string; kind?: string; name?: string } | undefined;
  const [{ items: machineDeployments }, controlPlane] = await Promise.all([
    kube.list(Kinds.MachineDeployment, { namespace: args.namespace, labelSelector: `${clusterNameLabel}=${args.name}` }),
    ref?.apiGroup && ref.kind && ref.name ? getIfExists(kube, await kube.resolve(ref.apiGroup, ref.kind), args.namespace, ref.name) : Promise.resolve(undefined),
  ]).catch((error: unknown) => {
    throw wrapError(`failed to read the MachineDeployments and control plane of cluster ${args.namespace}/${args.name}`, error);
  });
  const change = directScaleChange(cluster, machineDeployments, controlPlane, request);
  if (change.problems.length > 0) {
    throw new CapiMcpError(ErrorCode.InvalidInput, `cannot scale cluster ${args.namespace}/${args.name}: ${change.problems.join('; ')}`, {
      hint: 'call get_cluster to see its MachineDeployments and control plane',
    });
  }
  const input = operationInput('scale', args, { objects: change.patches, expect: change.expect }, 10);
  return startOrJoin(deps, input, change.patches.map((p) => [p.kind, p.metadata.name, p.spec]), async () => {
    // The objects it writes count as much as the Cluster: GitOps may manage a MachineDeployment on its own.
    const written = [...machineDeployments, ...(controlPlane ? [controlPlane] : [])].filter((o) => change.patches.some((p) => p.kind === o.kind && p.metadata.name === o.metadata.name));
    refuseProtected('scale', args, change.change, [cluster, ...written]);
    for (const patch of change.patches) {
      await applyOwned(kube, patch, { dryRun: true, fieldManager: fieldManagerOf('scale'), mayTakeFrom: capiMcpFieldManagers }).catch((error: unknown) => {
        throw wrapError(`the API server rejected the scale of ${patch.kind} ${args.namespace}/${patch.metadata.name}`, error);
      });
    }
  });
}
