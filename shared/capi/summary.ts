/**
 * One Cluster as an agent needs it at a glance: phase, class, version, control plane and worker
 * readiness, age, and — when it is not available — the first reason why. Pure: object in, summary out.
 */
import type { KubeObject } from '../kube/client.ts';
import { ageSeconds, formatAge } from './age.ts';
import { firstLine, getCondition, isTrue, truncate, whyNot } from './conditions.ts';

export interface ReplicaCounts {
  readonly ready: number;
  readonly desired: number;
}

export interface ClusterSummary {
  readonly namespace: string;
  readonly name: string;
  readonly phase: string;
  /** ClusterClass of a topology-managed cluster; absent for clusters without one. */
  readonly clusterClass?: string;
  readonly version?: string;
  readonly controlPlane: ReplicaCounts;
  readonly workers: ReplicaCounts;
  /** The Cluster's Available condition. */
  readonly available: boolean;
  /** Why it is not available (first failing input), when it is not. */
  readonly notAvailableReason?: string;
  readonly paused: boolean;
  readonly deleting: boolean;
  readonly ageSeconds?: number;
  readonly createdAt?: string;
}

export function summarizeCluster(cluster: KubeObject, now: Date): ClusterSummary {
  const spec = cluster.spec ?? {};
  const status = cluster.status ?? {};
  const available = isTrue(cluster, 'Available');
  const reason = available ? undefined : whyNotAvailable(cluster);
  const age = ageSeconds(cluster.metadata.creationTimestamp, now);
  return {
    namespace: cluster.metadata.namespace ?? '',
    name: cluster.metadata.name,
    phase: status.phase ?? 'Unknown',
    ...(spec.topology?.classRef?.name ? { clusterClass: spec.topology.classRef.name } : {}),
    ...(spec.topology?.version ? { version: spec.topology.version } : {}),
    controlPlane: counts(status.controlPlane),
    workers: counts(status.workers),
    available,
    ...(reason ? { notAvailableReason: reason } : {}),
    paused: spec.paused === true,
    deleting: Boolean(cluster.metadata.deletionTimestamp),
    ...(age !== undefined ? { ageSeconds: age } : {}),
    ...(cluster.metadata.creationTimestamp ? { createdAt: cluster.metadata.creationTimestamp } : {}),
  };
}

/**
 * Causal order of a Cluster's inputs: infrastructure before control plane before workers; the remote
 * connection only matters once a control plane exists. CAPI's own Available message lists them in
 * another order, so a cluster whose infrastructure is missing would be explained by "remote connection
 * not established" — a symptom. The first input that does not hold in this order is the cause.
 */
const causalInputs = ['InfrastructureReady', 'ControlPlaneInitialized', 'ControlPlaneAvailable', 'WorkersAvailable', 'RemoteConnectionProbe'];

/** Every condition summarizeCluster reads: Available, Deleting (for its message) and the causal inputs. */
const summaryConditionTypes: ReadonlySet<string> = new Set(['Available', 'Deleting', ...causalInputs]);

/**
 * The part of a Cluster that summarizeCluster reads — name, namespace, creation and deletion times,
 * spec.paused and the topology's class and version, phase, replica counts and the conditions above, each
 * as it is — so that `summarizeCluster(summaryFields(c), now)` equals `summarizeCluster(c, now)` for every
 * Cluster, while a listing keeps a few hundred bytes of each instead of the whole object (managedFields
 * alone are about half of it). Pure: it only leaves fields out, it never rewrites one.
 */
export function summaryFields(cluster: KubeObject): KubeObject {
  const { name, namespace, creationTimestamp, deletionTimestamp } = cluster.metadata;
  const spec = cluster.spec;
  const status = cluster.status;
  const topology = spec?.topology;
  const conditions = status?.conditions;
  return {
    metadata: { name, ...defined({ namespace, creationTimestamp, deletionTimestamp }) },
    ...(spec == null ? { spec } : {
      spec: {
        ...defined({ paused: spec.paused }),
        ...(topology == null ? defined({ topology }) : { topology: defined({ classRef: topology.classRef == null ? topology.classRef : defined({ name: topology.classRef.name }), version: topology.version }) }),
      },
    }),
    ...(status == null ? { status } : {
      status: defined({
        phase: status.phase,
        controlPlane: status.controlPlane,
        workers: status.workers,
        // Note: the same conditions in the same order, fewer of them: getCondition finds the first of a
        // type. A null entry, or conditions that are not an array, stay as they are, to fail as they would have.
        conditions: Array.isArray(conditions) ? conditions.filter((c) => c == null || summaryConditionTypes.has(c.type)) : conditions,
      }),
    }),
  };
}

/** `fields` without the keys whose value is undefined (the object read back from JSON has no such keys). */
function defined<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function whyNotAvailable(cluster: KubeObject): string | undefined {
  // Deletion and pausing explain everything else, and their conditions are True when they apply.
  if (cluster.metadata.deletionTimestamp) return `Deleting: ${firstLine(getCondition(cluster, 'Deleting')?.message) ?? 'deletion in progress'}`;
  if (cluster.spec?.paused === true) return 'Paused: reconciliation is paused (spec.paused)';
  for (const type of causalInputs) {
    const condition = getCondition(cluster, type);
    if (condition && condition.status !== 'True') {
      return truncate(`${type}: ${firstLine(condition.message) ?? condition.reason ?? condition.status}`, 120);
    }
  }
  return whyNot(cluster, 'Available');
}

function counts(replicas: { readyReplicas?: number; desiredReplicas?: number } | undefined): ReplicaCounts {
  return { ready: replicas?.readyReplicas ?? 0, desired: replicas?.desiredReplicas ?? 0 };
}

/**
 * The summary as one compact text line (the agent-facing row), e.g.
 * "default/demo Provisioned in-memory v1.35.0 cp 1/1 workers 2/2 5m".
 */
export function clusterRow(s: ClusterSummary): string {
  const parts = [`${s.namespace}/${s.name}`, s.phase];
  if (s.clusterClass) parts.push(s.clusterClass);
  if (s.version) parts.push(s.version);
  parts.push(`cp ${s.controlPlane.ready}/${s.controlPlane.desired}`, `workers ${s.workers.ready}/${s.workers.desired}`, formatAge(s.ageSeconds));
  if (s.paused) parts.push('paused');
  if (s.deleting) parts.push('deleting');
  if (s.notAvailableReason) parts.push(`— ${truncate(s.notAvailableReason, 60)}`);
  return parts.join(' ');
}
