/**
 * The one shape of a planned change to an existing cluster, whichever objects carry it: the Cluster's
 * topology (topology.ts, a cluster with a ClusterClass) or its MachineDeployments and control plane
 * (direct-scale.ts, a cluster without one). Pure data: the planners return it, the MCP layer refuses its
 * problems, guards its change, dry-runs its objects and starts the operation that applies them.
 */
import type { KubeObject } from '../kube/client.ts';
import type { Expectation } from './expectation.ts';
import type { ClusterChange } from './protection.ts';

export interface ChangePlan<Objects extends readonly KubeObject[] = KubeObject[]> {
  /** What is wrong with the request; when there is anything, the rest is not to be applied. */
  readonly problems: string[];
  /** What to server-side apply, only the fields the change sets. */
  readonly objects: Objects;
  /** What the Cluster must show once the change has converged. */
  readonly expect: Expectation;
  /** What the change does, for the owners' guard (protection.ts). */
  readonly change: ClusterChange;
}

/** The replica counts a scale asks for, whichever planner carries it out. */
export interface ScaleRequest {
  readonly workerPools?: readonly { readonly name: string; readonly replicas: number }[];
  readonly controlPlaneReplicas?: number;
}
