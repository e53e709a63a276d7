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
import { getCondition } from './conditions.ts';
import { poolOf } from './machine-impact.ts';

const clusterNameLabel = 'cluster.x-k8s.io/cluster-name';

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
  const owner = (machine.metadata.ownerReferences as { kind?: string; name?: string; controller?: boolean }[] | undefined)?.find((o) => o.controller === true);
  if (machine.metadata.labels?.[clusterNameLabel] !== clusterName) problems.push(`Machine ${name} is not part of cluster ${clusterName}`);
  else if (!owner || poolOf(machine) === undefined) problems.push(`Machine ${name} has no controlling MachineSet or control plane: nothing would replace it`);
  else if (machine.metadata.deletionTimestamp) problems.push(`Machine ${name} is being deleted already`);
  else {
    const pooled = machines.filter((m) => m.metadata.uid !== machine.metadata.uid && poolOf(m) === pool);
    const live = pooled.filter((m) => !m.metadata.deletionTimestamp);
    if (pool === 'control plane' && live.length === 0) problems.push(`Machine ${name} is the last control-plane Machine: the cluster would lose its API server and etcd`);
    const busy = pooled.filter(isBeingRemediated).map((m) => m.metadata.name);
    if (busy.length > 0) problems.push(`${pool === 'control plane' ? 'the control plane' : `worker pool "${pool}"`} is already replacing ${busy.sort().slice(0, 3).join(', ')}: one remediation at a time keeps it at ${desired ?? 'its desired count'} less one at worst`);
  }
  return { problems, pool, ...(owner ? { owner: `${owner.kind} ${owner.name}` } : {}) };
}
