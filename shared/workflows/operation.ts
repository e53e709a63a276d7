/**
 * Long-running operations as the workflows see them: what to change (the operation), and a pure verdict
 * on whether the management cluster has converged on it. The state machine loops Wait → Poll until the
 * verdict is final; the verdict itself is decided here, from plain objects.
 */
import { summarizeCluster, whyNotAvailable } from '../capi/summary.ts';
import type { KubeObject } from '../kube/client.ts';

export type OperationAction = 'create' | 'delete' | 'scale' | 'upgrade';

/** What to change. Its id is the execution name it runs under (see engine.ts). */
export interface Operation {
  readonly action: OperationAction;
  readonly managementCluster?: string;
  readonly namespace: string;
  readonly name: string;
  /** The desired Cluster, server-side applied by the Apply step (create, scale, upgrade). */
  readonly cluster?: KubeObject;
}

/** The state machine's input. */
export interface WorkflowInput {
  readonly operation: Operation;
  /** Total time the operation may take before it ends Failed with the last observed reason. */
  readonly timeoutSeconds: number;
  /** Pause between polls. */
  readonly pollSeconds: number;
}

export type Verdict =
  | { readonly state: 'converged'; readonly reason: string }
  | { readonly state: 'progressing'; readonly reason: string }
  | { readonly state: 'failed'; readonly reason: string }
  | { readonly state: 'timedOut'; readonly reason: string };

/**
 * Whether a Cluster matches what `operation` asked for. `cluster` is undefined when it does not exist.
 * - create, scale, upgrade: Available, with the desired control plane and worker replicas all ready and
 *   the spec the operation applied observed by the controllers;
 * - delete: the Cluster is gone.
 */
export function verdict(operation: Operation, cluster: KubeObject | undefined): Verdict {
  if (operation.action === 'delete') {
    return cluster ? { state: 'progressing', reason: whyNotAvailable(cluster) ?? 'deletion in progress' } : { state: 'converged', reason: 'the cluster is gone' };
  }
  if (!cluster) return { state: 'failed', reason: `cluster ${operation.namespace}/${operation.name} no longer exists` };
  if (cluster.status?.phase === 'Failed') return { state: 'failed', reason: whyNotAvailable(cluster) ?? 'the cluster is in phase Failed' };
  const observed = (cluster.status?.observedGeneration ?? 0) >= ((cluster.metadata as { generation?: number }).generation ?? 0);
  const s = summarizeCluster(cluster, new Date());
  const desired = operation.cluster?.spec?.topology;
  const replicasMatch =
    s.controlPlane.ready === s.controlPlane.desired &&
    s.workers.ready === s.workers.desired &&
    (desired?.controlPlane?.replicas === undefined || s.controlPlane.desired === desired.controlPlane.replicas) &&
    (desired?.workers?.machineDeployments === undefined ||
      s.workers.desired === desired.workers.machineDeployments.reduce((n: number, md: { replicas?: number }) => n + (md.replicas ?? 0), 0));
  if (observed && s.available && replicasMatch) {
    return { state: 'converged', reason: `Available with control plane ${s.controlPlane.ready}/${s.controlPlane.desired} and workers ${s.workers.ready}/${s.workers.desired}` };
  }
  const detail = s.notAvailableReason ?? `control plane ${s.controlPlane.ready}/${s.controlPlane.desired}, workers ${s.workers.ready}/${s.workers.desired}`;
  return { state: 'progressing', reason: detail };
}
