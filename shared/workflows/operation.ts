/**
 * Long-running operations as the workflows see them: what to change (the operation), and a pure verdict
 * on whether the management cluster has converged on it. The state machine loops Wait → Poll until the
 * verdict is final; the verdict itself is decided here, from plain objects.
 */
import { isTrue } from '../capi/conditions.ts';
import { summarizeCluster, whyNotAvailable } from '../capi/summary.ts';
import type { KubeObject } from '../kube/client.ts';

export type OperationAction = 'create' | 'delete' | 'scale' | 'upgrade';

/** What to change. Its id is the execution name it runs under (see engine.ts). */
export interface Operation {
  readonly action: OperationAction;
  readonly managementCluster?: string;
  readonly namespace: string;
  readonly name: string;
  /** What the Apply step server-side applies: the whole Cluster for a create, only the changed fields otherwise. */
  readonly cluster?: KubeObject;
  /** Further objects the Apply step applies: replica patches of a cluster without a ClusterClass. */
  readonly objects?: readonly KubeObject[];
  /** What convergence means beyond Available: the desired counts and version the Cluster must report. */
  readonly expect?: Expectation;
}

export interface Expectation {
  readonly controlPlaneReplicas?: number;
  /** Total across worker pools. */
  readonly workerReplicas?: number;
  /** Every machine rolled out to this topology version. */
  readonly version?: string;
}

/**
 * The server-side-apply field manager of an action. One per action, so each owns its own fields: the
 * create owns the whole spec it wrote, a scale every replica count, an upgrade the version — and a later
 * scale's apply never drops what the create or an upgrade set.
 */
export function fieldManagerOf(action: OperationAction): string {
  return `capi-mcp-${action}`;
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
 * - create, scale, upgrade: the controllers observed the applied spec; the Cluster is Available with its
 *   desired replicas all ready; the desired counts are the expected ones; for a version, every machine
 *   is up to date with it;
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
  const expect = operation.expect ?? {};
  const status = cluster.status ?? {};
  const replicasMatch =
    s.controlPlane.ready === s.controlPlane.desired &&
    s.workers.ready === s.workers.desired &&
    (expect.controlPlaneReplicas === undefined || s.controlPlane.desired === expect.controlPlaneReplicas) &&
    (expect.workerReplicas === undefined || s.workers.desired === expect.workerReplicas);
  // Note: right after the topology controller pushes a version, the control plane and MachineDeployments
  // still report their old up-to-date counts; TopologyReconciled stays False (upgrade pending) and
  // RollingOut True until the rollout is through, so all four must agree.
  const rolledOut =
    expect.version === undefined ||
    (cluster.spec?.topology?.version === expect.version &&
      isTrue(cluster, 'TopologyReconciled') &&
      !isTrue(cluster, 'RollingOut') &&
      (status.controlPlane?.upToDateReplicas ?? 0) === s.controlPlane.desired &&
      (status.workers?.upToDateReplicas ?? 0) === s.workers.desired);
  if (observed && s.available && replicasMatch && rolledOut) {
    return { state: 'converged', reason: `Available with control plane ${s.controlPlane.ready}/${s.controlPlane.desired} and workers ${s.workers.ready}/${s.workers.desired}` };
  }
  const detail = s.notAvailableReason ?? `control plane ${s.controlPlane.ready}/${s.controlPlane.desired}, workers ${s.workers.ready}/${s.workers.desired}`;
  return { state: 'progressing', reason: detail };
}
