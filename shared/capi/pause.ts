/**
 * Pausing and resuming a cluster: Cluster API's `spec.paused` on the Cluster, which every CAPI controller
 * (topology, control plane, MachineDeployments, MachineSets, Machines, health checks, infrastructure)
 * checks before reconciling an object of that cluster. Pure: the Cluster in; the patch, what convergence
 * must show and what is wrong with the request out.
 *
 * What it does not touch: CAPI's `cluster.x-k8s.io/paused` annotation. clusterctl move sets it while it
 * moves a cluster to another management cluster, and removing it then would let two management clusters
 * reconcile the same machines; a cluster paused that way is named, and left to whoever paused it.
 */
import type { KubeObject } from '../kube/client.ts';
import type { ChangePlan } from './change-plan.ts';
import { clusterPatch } from './cluster-topology.ts';

export const pausedAnnotation = 'cluster.x-k8s.io/paused';

/** What stops (or starts again) reconciling, for the answer and the plan. */
export const pausedControllers =
  'the topology, control plane, MachineDeployment, MachineSet, Machine, MachineHealthCheck and infrastructure controllers';

/** `spec.paused` set to `paused`: refused when it already is, or when the annotation pauses the cluster regardless. */
export function pauseChange(cluster: KubeObject, paused: boolean): ChangePlan<[KubeObject]> {
  const problems: string[] = [];
  const now = cluster.spec?.paused === true;
  if (now === paused) problems.push(paused ? 'it is paused already (spec.paused is true)' : 'it is not paused (spec.paused is not set): nothing to resume');
  if (!paused && cluster.metadata.annotations?.[pausedAnnotation] !== undefined) {
    problems.push(`it carries the annotation ${pausedAnnotation}, which clusterctl move sets while it moves a cluster; capi-mcp does not remove it`);
  }
  return {
    problems,
    change: { action: paused ? 'pause' : 'resume' },
    objects: [clusterPatch(cluster, { paused })],
    expect: { paused },
  };
}
