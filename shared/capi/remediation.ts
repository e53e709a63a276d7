/**
 * Remediating one Machine by hand: deleting it, so that its owner (a MachineSet of a worker pool, or the
 * KubeadmControlPlane) creates a replacement — what a MachineHealthCheck does for an unhealthy Machine,
 * asked for by a person or an agent. Pure: the Machine, its cluster's Machines and the pool's desired
 * count in; what is wrong with it and what convergence must show out.
 *
 * Refused: a Machine of another cluster; one without a controlling owner (nothing would replace it); one
 * already being deleted; the last control-plane Machine (the cluster would lose its API server and etcd);
 * and a Machine whose pool is already short — another of its Machines being deleted or remediated — since
 * the pool would then drop below its desired count by two.
 */
import type { KubeObject } from '../kube/client.ts';
import { getCondition, isTrue, oneLine } from './conditions.ts';
import { poolOf } from './machine-impact.ts';

const clusterNameLabel = 'cluster.x-k8s.io/cluster-name';
const controlPlaneGroup = 'controlplane.cluster.x-k8s.io';

interface OwnerRef {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly controller?: boolean;
}

const controllerOf = (m: KubeObject) => (m.metadata.ownerReferences as OwnerRef[] | undefined)?.find((o) => o.controller === true);

/**
 * Whether a control-plane provider controls the Machine. Note: its labels are anyone's to write (KCP puts
 * the control-plane label back only when it reconciles, never while the cluster is paused), so a Machine
 * counts as the control plane's by its controller, and one whose labels say otherwise is not judged.
 */
const controlledByControlPlane = (m: KubeObject) => controllerOf(m)?.apiVersion?.split('/')[0] === controlPlaneGroup;

export interface RemediationPlan {
  readonly problems: string[];
  /** The pool whose owner replaces the Machine (`control plane` or a worker pool). */
  readonly pool: string;
  /** Its owner, for people: `MachineSet md-0-abc` or `KubeadmControlPlane x`. */
  readonly owner?: string;
}

/** Whether a Machine is on its way out: deleted, or marked by a MachineHealthCheck and not yet remediated. */
export function isBeingRemediated(machine: KubeObject): boolean {
  return machine.metadata.deletionTimestamp !== undefined || getCondition(machine, 'OwnerRemediated')?.status === 'False';
}

/**
 * `machine` judged for remediation in cluster `clusterName`, beside the cluster's other `machines`.
 * `desired` is the pool's desired count when known (the control plane's replicas, a pool's).
 */
export function remediationPlan(clusterName: string, machine: KubeObject, machines: readonly KubeObject[], desired: number | undefined): RemediationPlan {
  const pool = poolOf(machine) ?? 'no pool';
  const problems: string[] = [];
  const name = machine.metadata.name;
  const owner = controllerOf(machine);
  const controlPlane = controlledByControlPlane(machine);
  if (machine.metadata.labels?.[clusterNameLabel] !== clusterName) problems.push(`Machine ${name} is not part of cluster ${clusterName}`);
  else if (!owner || poolOf(machine) === undefined) problems.push(`Machine ${name} has no controlling MachineSet or control plane: nothing would replace it`);
  else if (controlPlane !== (pool === 'control plane')) problems.push(`Machine ${name}'s labels name ${controlPlane ? `worker pool "${pool}"` : 'the control plane'} but its controller is ${controlPlane ? 'a control plane' : 'not'} (its labels were changed)`);
  else if (machine.metadata.deletionTimestamp) problems.push(`Machine ${name} is being deleted already`);
  else {
    const pooled = machines.filter((m) => m.metadata.uid !== machine.metadata.uid && (controlPlane ? controlledByControlPlane(m) : !controlledByControlPlane(m) && poolOf(m) === pool));
    const live = pooled.filter((m) => !m.metadata.deletionTimestamp);
    if (controlPlane && live.length === 0) problems.push(`Machine ${name} is the last control-plane Machine: the cluster would lose its API server and etcd`);
    const busy = pooled.filter(isBeingRemediated).map((m) => m.metadata.name);
    if (busy.length > 0) problems.push(`${controlPlane ? 'the control plane' : `worker pool "${pool}"`} is already replacing ${busy.sort().slice(0, 3).join(', ')}: one remediation at a time keeps it at ${desired ?? 'its desired count'} less one at worst`);
    // Note: a control-plane Machine down and not (yet) marked by a health check still counts in etcd's
    // quorum; deleting a healthy one beside it can lose that quorum, so the broken one goes first.
    const down = controlPlane ? live.filter((m) => !isBeingRemediated(m) && !isTrue(m, 'Ready')).map((m) => m.metadata.name) : [];
    if (down.length > 0) problems.push(`the control plane's ${down.sort().slice(0, 3).join(', ')} ${down.length === 1 ? 'is' : 'are'} not Ready: deleting another control-plane Machine could lose etcd's quorum; remediate ${down.length === 1 ? 'it' : 'those'} first`);
  }
  return { problems, pool, ...(owner ? { owner: oneLine(`${owner.kind} ${owner.name}`, 128) } : {}) };
}
