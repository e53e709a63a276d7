/**
 * The flow scale_cluster and upgrade_cluster share: plan the change from what the cluster holds (pure,
 * shared/capi/change-plan.ts's one shape), refuse what is wrong and what its owners protect with the
 * reason, validate each object with a server-side dry run (never forced over another field manager), then
 * start (or join) the operation that applies them and follows the rollout. A cluster with a ClusterClass
 * changes through its topology; one without, through its MachineDeployments and control plane.
 */
import type { ChangePlan, ScaleRequest } from '../../capi/change-plan.ts';
import { directScaleChange } from '../../capi/direct-scale.ts';
import { wrapError } from '../../errors.ts';
import { upgradeReplacements } from '../../capi/machine-impact.ts';
import { preventDeletionLabel } from '../../capi/protection.ts';
import { getIfExists, type KubeClient, type KubeObject } from '../../kube/client.ts';
import { getCluster } from '../../kube/discovery.ts';
import { clusterNameLabel, Kinds } from '../../kube/kinds.ts';
import { applyOwned } from '../../kube/owned-apply.ts';
import { capiMcpFieldManagers, fieldManagerOf, type Operation, type OperationAction } from '../../workflows/operation.ts';
import type { ToolDeps } from '../tool.ts';
import { machinesOf, planResult, replacementPlan, scalePlan, type Accepted, type MachinePlan } from './plan.ts';
import { operationInput, refuseProblems, refuseProtected, startOrJoin, type OperationArgs } from './start-or-join.ts';

/** How one kind of plan becomes an operation; what differs between a topology and a direct change. */
interface Carrier {
  /** What to read when the plan has problems. */
  readonly hint: string;
  /** Where the operation carries the objects: its own Cluster, or objects besides. */
  readonly fields: Pick<Operation, 'cluster' | 'objects'>;
  /** What the change is, for the operation id (shared/workflows/engine.ts, executionBaseName). */
  readonly target: unknown;
  /** What the owners' guard judges: the Cluster, and every object the plan writes. */
  readonly judged: readonly KubeObject[];
  /** The context of a dry run's refusal of `object`. */
  readonly rejected: (object: KubeObject) => string;
  /** For a dry run: what `patch` changes, as it is now. */
  readonly current: (patch: KubeObject) => KubeObject | undefined;
  /** For a dry run: the Machines the change creates, replaces or removes (reads them). */
  readonly machines: () => Promise<MachinePlan>;
}

async function startPlannedChange(deps: ToolDeps, args: OperationArgs, action: OperationAction, plan: ChangePlan, carrier: Carrier) {
  refuseProblems(action, args, plan.problems, carrier.hint);
  const kube = deps.clusters.client(args.management_cluster);
  const check = async (): Promise<Accepted[]> => {
    refuseProtected(action, args, plan.change, carrier.judged);
    const accepted: Accepted[] = [];
    for (const object of plan.objects) {
      const after = await applyOwned(kube, object, { dryRun: true, fieldManager: fieldManagerOf(action), mayTakeFrom: capiMcpFieldManagers }).catch((error: unknown) => {
        throw wrapError(carrier.rejected(object), error);
      });
      const before = carrier.current(object);
      accepted.push({ ...(before ? { before } : {}), after });
    }
    return accepted;
  };
  const dryRun = async (accepted: readonly Accepted[]) => {
    const judged = carrier.judged.map((o) => `${o.kind} ${o.metadata.name}`).join(', ');
    const guards = [
      action === 'upgrade' ? 'version step: newer, at most one minor on' : 'pools: each exists and is sized by replicas, not an autoscaler',
      `owners (GitOps markers, ${preventDeletionLabel}) on ${judged}: allowed`,
      `server-side dry run as ${fieldManagerOf(action)} of ${plan.objects.map((o) => `${o.kind} ${o.metadata.name}`).join(', ')}: accepted, no field of another manager taken`,
    ];
    return planResult(`${action}_cluster`, args as unknown as Record<string, unknown>, accepted, await carrier.machines(), guards);
  };
  return startOrJoin(deps, operationInput(action, args, { ...carrier.fields, expect: plan.expect }), carrier.target, check, args.dry_run ? dryRun : undefined);
}

/** A change of the topology of a cluster with a ClusterClass: one patch of its Cluster. */
export async function startTopologyChange(
  deps: ToolDeps,
  args: OperationArgs,
  action: OperationAction,
  plan: (cluster: KubeObject) => ChangePlan<[KubeObject]>,
  /** The Cluster, when the caller has read it already. */
  read?: KubeObject,
) {
  const cluster = read ?? (await getCluster(deps.clusters.client(args.management_cluster), args.namespace, args.name));
  const planned = plan(cluster);
  const [patch] = planned.objects;
  return startPlannedChange(deps, args, action, planned, {
    hint: 'call get_cluster to see its current topology',
    fields: { cluster: patch },
    target: patch.spec,
    judged: [cluster],
    rejected: () => `the API server rejected the ${action} of cluster ${args.namespace}/${args.name}`,
    current: () => cluster,
    machines: async () => {
      const kube = deps.clusters.client(args.management_cluster);
      if (planned.change.action === 'upgrade') return replacementPlan(upgradeReplacements(await machinesOf(kube, args.namespace, args.name), planned.change.to), planned.change.to);
      if (planned.change.action !== 'scale') return { lines: [] };
      const [machines, machineDeployments] = await Promise.all([machinesOf(kube, args.namespace, args.name), machineDeploymentsOf(kube, args.namespace, args.name)]);
      return scalePlan(planned.change.replicas, machines, machineDeployments, deps.now());
    },
  });
}

/**
 * A scale of a cluster without a ClusterClass: reads its MachineDeployments (one LIST by the cluster-name
 * label) and its control plane (through spec.controlPlaneRef), and patches their replicas.
 */
export async function startDirectScale(deps: ToolDeps, args: OperationArgs, cluster: KubeObject, request: ScaleRequest) {
  const kube = deps.clusters.client(args.management_cluster);
  const ref = cluster.spec?.controlPlaneRef as { apiGroup?: string; kind?: string; name?: string } | undefined;
  const [machineDeployments, controlPlane] = await Promise.all([
    machineDeploymentsOf(kube, args.namespace, args.name),
    ref?.apiGroup && ref.kind && ref.name ? getIfExists(kube, await kube.resolve(ref.apiGroup, ref.kind), args.namespace, ref.name) : Promise.resolve(undefined),
  ]).catch((error: unknown) => {
    throw wrapError(`failed to read the MachineDeployments and control plane of cluster ${args.namespace}/${args.name}`, error);
  });
  const plan = directScaleChange(cluster, machineDeployments, controlPlane, request);
  // The objects it writes count as much as the Cluster: GitOps may manage a MachineDeployment on its own.
  const written = [...machineDeployments, ...(controlPlane ? [controlPlane] : [])].filter((o) => plan.objects.some((p) => p.kind === o.kind && p.metadata.name === o.metadata.name));
  return startPlannedChange(deps, args, 'scale', plan, {
    hint: 'call get_cluster to see its MachineDeployments and control plane',
    fields: { objects: plan.objects },
    target: plan.objects.map((p) => [p.kind, p.metadata.name, p.spec]),
    judged: [cluster, ...written],
    rejected: (patch) => `the API server rejected the scale of ${patch.kind} ${args.namespace}/${patch.metadata.name}`,
    current: (patch) => written.find((o) => o.kind === patch.kind && o.metadata.name === patch.metadata.name),
    machines: async () => {
      const replicas = plan.change.action === 'scale' ? plan.change.replicas : [];
      return scalePlan(replicas, await machinesOf(kube, args.namespace, args.name), machineDeployments, deps.now());
    },
  });
}

/** The cluster's MachineDeployments (one LIST by the cluster-name label). */
async function machineDeploymentsOf(kube: KubeClient, namespace: string, name: string): Promise<KubeObject[]> {
  return (await kube.list(Kinds.MachineDeployment, { namespace, labelSelector: `${clusterNameLabel}=${name}` })).items;
}
