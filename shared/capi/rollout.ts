/**
 * Rolling out the control plane or one worker pool without changing it: Cluster API's `rollout.after`,
 * after which the owner (KubeadmControlPlane, MachineDeployment) replaces every Machine created before
 * that time, one by one as its rollout strategy says. With a ClusterClass it is set in the topology
 * (the topology controller passes it down); without one, on the KubeadmControlPlane or MachineDeployment.
 * Pure: the cluster's objects and the time in; the patch, what convergence must show and what is wrong out.
 */
import type { KubeObject } from '../kube/client.ts';
import type { ChangePlan } from './change-plan.ts';
import { noTopology, patchOf, topologyOf } from './cluster-topology.ts';

/** The `target` naming the control plane (a pool name is an RFC 1123 label, so it cannot be this). */
export const controlPlaneTarget = 'control_plane';

/** The pool a rollout renews, as machine-impact.ts's poolOf names it. */
export const poolOfTarget = (target: string) => (target === controlPlaneTarget ? 'control plane' : target);

/**
 * `after` as rollout.after carries it: RFC 3339 to the second (a metav1.Time). A Machine created in that
 * second counts as renewed, as the controllers count it.
 */
export function rolloutTime(now: Date): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}

/** A rollout of a cluster with a ClusterClass: one patch of its topology. */
export function topologyRolloutChange(cluster: KubeObject, target: string, now: Date): ChangePlan<[KubeObject]> {
  const { topology, pools, controlPlaneReplicas } = topologyOf(cluster);
  const after = rolloutTime(now);
  const problems: string[] = [];
  const pool = pools.find((p) => p.name === target);
  if (target !== controlPlaneTarget && !pool) problems.push(`worker pool "${target}" does not exist (the cluster has: ${pools.map((p) => p.name).join(', ') || 'none'})`);
  // Note: the rollout manager's earlier times are sent again as they are: server-side apply removes a
  // field its manager no longer sends, and a control plane still rolling out would stop halfway when a
  // pool's rollout drops its time. A time is kept only until one of ours replaces it.
  const timeOf = (o: { rollout?: { after?: unknown } } | undefined) => (typeof o?.rollout?.after === 'string' ? o.rollout.after : undefined);
  const controlPlaneAfter = target === controlPlaneTarget ? after : timeOf(topology?.controlPlane);
  const machineDeployments = pools.flatMap((p) => {
    const at = p.name === target ? after : timeOf(p as { rollout?: { after?: unknown } });
    return at ? [{ name: p.name, class: p.class, rollout: { after: at } }] : [];
  });
  const patch = patchOf(cluster, {
    ...(controlPlaneAfter ? { controlPlane: { rollout: { after: controlPlaneAfter } } } : {}),
    ...(machineDeployments.length > 0 ? { workers: { machineDeployments } } : {}),
  });
  const replicas = target === controlPlaneTarget ? controlPlaneReplicas : pool?.replicas;
  return {
    problems: topology ? problems : [noTopology(cluster)],
    change: { action: 'rollout', target: describeTarget(target) },
    objects: [patch],
    expect: { renewed: { pool: poolOfTarget(target), after, ...(replicas !== undefined ? { replicas } : {}) } },
  };
}

/**
 * A rollout of a cluster without a ClusterClass: rollout.after on its KubeadmControlPlane or on the
 * MachineDeployment named `target`.
 */
export function directRolloutChange(cluster: KubeObject, machineDeployments: readonly KubeObject[], controlPlane: KubeObject | undefined, target: string, now: Date): ChangePlan {
  const after = rolloutTime(now);
  const owner = target === controlPlaneTarget ? controlPlane : machineDeployments.find((md) => md.metadata.name === target);
  const problems: string[] = [];
  if (!owner) {
    problems.push(
      target === controlPlaneTarget
        ? `cluster ${cluster.metadata.namespace}/${cluster.metadata.name} has no control plane object to roll out`
        : `worker pool "${target}" does not exist: without a ClusterClass, pools are the cluster's MachineDeployments (it has: ${machineDeployments.map((m) => m.metadata.name).join(', ') || 'none'})`,
    );
  } else if (owner.kind !== 'KubeadmControlPlane' && owner.kind !== 'MachineDeployment') {
    problems.push(`its control plane (${owner.kind} ${owner.metadata.name}) is rolled out by its provider, not by rollout.after`);
  }
  const replicas = owner?.spec?.replicas as number | undefined;
  return {
    problems,
    change: { action: 'rollout', target: describeTarget(target) },
    objects: owner
      ? [
          {
            apiVersion: owner.apiVersion,
            kind: owner.kind,
            metadata: { name: owner.metadata.name, namespace: owner.metadata.namespace, labels: { 'cluster.x-k8s.io/cluster-name': cluster.metadata.name } },
            spec: { rollout: { after } },
          },
        ]
      : [],
    expect: { renewed: { pool: poolOfTarget(target), after, ...(replicas !== undefined ? { replicas } : {}) } },
  };
}

export function describeTarget(target: string): string {
  return target === controlPlaneTarget ? 'the control plane' : `worker pool "${target}"`;
}
