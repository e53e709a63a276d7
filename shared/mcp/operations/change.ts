/**
 * The flow every tool that changes an existing cluster's objects shares (scale, upgrade, pause, resume,
 * rollout): plan the change from what the cluster holds (pure, shared/capi/change-plan.ts's one shape),
 * refuse what is wrong and what its owners protect with the reason, validate each object with a
 * server-side dry run (never forced over another field manager), then start (or join) the operation that
 * applies them and follows it to convergence. A cluster with a ClusterClass changes through its Cluster
 * (its topology, or spec.paused); one without, through its MachineDeployments and control plane.
 */
import type { ChangePlan } from '../../capi/change-plan.ts';
import { pausedAnnotation, pausedControllers } from '../../capi/pause.ts';
import { wrapError } from '../../errors.ts';
import { upgradeReplacements } from '../../capi/machine-impact.ts';
import { preventDeletionLabel } from '../../capi/protection.ts';
import { getIfExists, type KubeClient, type KubeObject } from '../../kube/client.ts';
import { getCluster } from '../../kube/discovery.ts';
import { clusterNameLabel, Kinds } from '../../kube/kinds.ts';
import { applyOwned } from '../../kube/owned-apply.ts';
import { capiMcpFieldManagers, fieldManagerOf, type Operation, type OperationAction } from '../../workflows/operation.ts';
import type { ToolDeps } from '../tool.ts';
import { machinesOf, planResult, replacementPlan, rolloutPlan, scalePlan, type Accepted, type MachinePlan } from './plan.ts';
import { machineDeploymentsOf } from './pools.ts';
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
  const kube = deps.clusters.client(args.management_cluster);
  // Note: the plan is judged in the check, which runs only for a new operation: a retry of a running one
  // joins it even once its change is in (an upgrade's version set, a pause applied).
  const check = async (): Promise<Accepted[]> => {
    refuseProblems(action, args, plan.problems, carrier.hint);
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
      actionGuard[action],
      `owners (GitOps markers, ${preventDeletionLabel}) on ${judged}: allowed`,
      `server-side dry run as ${fieldManagerOf(action)} of ${plan.objects.map((o) => `${o.kind} ${o.metadata.name}`).join(', ')}: accepted, no field of another manager taken`,
    ];
    return planResult(`${action}_cluster`, args as unknown as Record<string, unknown>, accepted, await carrier.machines(), guards);
  };
  return startOrJoin(deps, operationInput(action, args, { ...carrier.fields, expect: plan.expect }), carrier.target, check, args.dry_run ? dryRun : undefined);
}

export interface ChangeOptions {
  /** The Cluster, when the caller has read it already. */
  readonly read?: KubeObject;
  /**
   * What keys the operation (with the action and cluster), when not the change itself: a rollout's patch
   * carries the time of the call, so a retried call would otherwise start a second rollout, not join it.
   */
  readonly identity?: unknown;
}

/** The rule of each action that a plan passed, besides the owners' guard and the dry run. */
const actionGuard: Readonly<Record<OperationAction, string>> = {
  create: 'class and variables: valid',
  delete: 'confirm equals the name',
  scale: 'pools: each exists and is sized by replicas, not an autoscaler',
  upgrade: 'version step: newer, at most one minor on',
  pause: 'not paused already',
  resume: `paused by spec.paused, not by clusterctl move's ${pausedAnnotation}`,
  rollout: 'target: the control plane or an existing worker pool',
  remediate: 'owned, not the last control-plane Machine, its pool replacing no other',
};

/** A change of a cluster through its Cluster alone (topology, spec.paused): one patch. */
export async function startClusterChange(
  deps: ToolDeps,
  args: OperationArgs,
  action: OperationAction,
  plan: (cluster: KubeObject) => ChangePlan<[KubeObject]>,
  { read, identity }: ChangeOptions = {},
) {
  const cluster = read ?? (await getCluster(deps.clusters.client(args.management_cluster), args.namespace, args.name));
  const planned = plan(cluster);
  const [patch] = planned.objects;
  return startPlannedChange(deps, args, action, planned, {
    hint: 'call get_cluster to see its current topology',
    fields: { cluster: patch },
    target: identity ?? patch.spec,
    judged: [cluster],
    rejected: () => `the API server rejected the ${action} of cluster ${args.namespace}/${args.name}`,
    current: () => cluster,
    machines: async () => {
      const kube = deps.clusters.client(args.management_cluster);
      const { change, expect } = planned;
      if (change.action === 'upgrade') return replacementPlan(upgradeReplacements(await machinesOf(kube, args.namespace, args.name), change.to), change.to);
      if (change.action === 'pause') return { lines: [`no Machine changes; ${pausedControllers} stop reconciling ${args.namespace}/${args.name} until resume_cluster`] };
      if (change.action === 'resume') return { lines: ['no Machine changes; the controllers reconcile again and carry out whatever changed while paused'] };
      if (change.action === 'rollout') return rolloutPlan(await machinesOf(kube, args.namespace, args.name), expect.renewed!.pool);
      if (change.action !== 'scale') return { lines: [] };
      const [machines, machineDeployments] = await Promise.all([machinesOf(kube, args.namespace, args.name), machineDeploymentsOf(kube, args.namespace, args.name)]);
      return scalePlan(change.replicas, machines, machineDeployments, deps.now());
    },
  });
}

/**
 * A scale or rollout of a cluster without a ClusterClass: reads its MachineDeployments (one LIST by the
 * cluster-name label) and its control plane (through spec.controlPlaneRef), and patches those `plan` names.
 */
export async function startDirectChange(
  deps: ToolDeps,
  args: OperationArgs,
  cluster: KubeObject,
  action: 'scale' | 'rollout',
  plan: (machineDeployments: readonly KubeObject[], controlPlane: KubeObject | undefined) => ChangePlan,
  { identity }: Pick<ChangeOptions, 'identity'> = {},
) {
  const kube = deps.clusters.client(args.management_cluster);
  const ref = cluster.spec?.controlPlaneRef as { apiGroup?: string; kind?: string; name?: string } | undefined;
  const [machineDeployments, controlPlane] = await Promise.all([
    machineDeploymentsOf(kube, args.namespace, args.name),
    ref?.apiGroup && ref.kind && ref.name ? getIfExists(kube, await kube.resolve(ref.apiGroup, ref.kind), args.namespace, ref.name) : Promise.resolve(undefined),
  ]).catch((error: unknown) => {
    throw wrapError(`failed to read the MachineDeployments and control plane of cluster ${args.namespace}/${args.name}`, error);
  });
  const planned = plan(machineDeployments, controlPlane);
  // The objects it writes count as much as the Cluster: GitOps may manage a MachineDeployment on its own.
  const written = [...machineDeployments, ...(controlPlane ? [controlPlane] : [])].filter((o) => planned.objects.some((p) => p.kind === o.kind && p.metadata.name === o.metadata.name));
  return startPlannedChange(deps, args, action, planned, {
    hint: 'call get_cluster to see its MachineDeployments and control plane',
    fields: { objects: planned.objects },
    target: identity ?? planned.objects.map((p) => [p.kind, p.metadata.name, p.spec]),
    judged: [cluster, ...written],
    rejected: (patch) => `the API server rejected the ${action} of ${patch.kind} ${args.namespace}/${patch.metadata.name}`,
    current: (patch) => written.find((o) => o.kind === patch.kind && o.metadata.name === patch.metadata.name),
    machines: async () => {
      const machines = await machinesOf(kube, args.namespace, args.name);
      if (planned.change.action === 'rollout') return rolloutPlan(machines, planned.expect.renewed!.pool);
      return scalePlan(planned.change.action === 'scale' ? planned.change.replicas : [], machines, machineDeployments, deps.now());
    },
  });
}
