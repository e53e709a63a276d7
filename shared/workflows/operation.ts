/**
 * Long-running operations as the workflows see them: what to change (the operation), and a pure verdict
 * on whether the management cluster has converged on it. The state machine loops Wait → Poll until the
 * verdict is final; the verdict itself is decided here, from plain objects.
 */
import { getCondition, isTrue } from '../capi/conditions.ts';
import type { Expectation } from '../capi/expectation.ts';
import { reservedKeyProblems } from '../capi/labels.ts';
import { summarizeCluster, whyNotAvailable } from '../capi/summary.ts';
import type { KubeObject } from '../kube/client.ts';
import { Kinds } from '../kube/kinds.ts';
import { controlPlaneGroup } from '../providers/provider.ts';
import { poolOf } from '../capi/machine-impact.ts';

export const operationActions = ['create', 'delete', 'scale', 'upgrade', 'pause', 'resume', 'rollout', 'remediate'] as const;

export type OperationAction = (typeof operationActions)[number];

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
  /**
   * A delete: the UID of the Cluster the tool judged. The step deletes only that object, never one
   * created since under the same name.
   */
  readonly uid?: string;
  /** A remediation: the Machine the tool judged, by name and UID; the step deletes only that object. */
  readonly machine?: { readonly name: string; readonly uid: string };
}

/**
 * The server-side-apply field manager of an action. One per action, so each owns its own fields: the
 * create owns the whole spec it wrote, a scale every replica count, an upgrade the version — and a later
 * scale's apply never drops what the create or an upgrade set.
 */
export function fieldManagerOf(action: OperationAction): string {
  return `capi-mcp-${action}`;
}

/**
 * Every field manager capi-mcp applies as. An apply may take a field from these (a scale changes the
 * replica counts its create set), never from anyone else (shared/kube/owned-apply.ts).
 */
export const capiMcpFieldManagers: readonly string[] = operationActions.map(fieldManagerOf);

/** A kind as an allow-list names it: its API group and kind, any version of it. */
export interface GroupKind {
  readonly group: string;
  readonly kind: string;
}

const clusterKind: GroupKind = { group: Kinds.Cluster.group, kind: Kinds.Cluster.kind };

/**
 * What the Apply step of each action may write — the one table of it. The tools plan within it (a plan
 * outside it is refused before any operation starts) and the step checks it again before any API call,
 * since its input is only as trustworthy as whoever could start an execution:
 * - `cluster`: the operation carries its own Cluster (whole for a create, the changed fields otherwise);
 * - `objects`: what it may patch besides, in the Cluster's namespace: the replicas of the
 *   MachineDeployments and KubeadmControlPlane of a cluster without a ClusterClass
 *   (shared/capi/direct-scale.ts), which the topology controller would otherwise own.
 * A delete applies nothing: it deletes the operation's own Cluster, named by its namespace and name; a
 * remediation applies nothing either: it deletes the operation's Machine, of that Cluster, by its UID.
 */
export const plannedWrites: Readonly<Record<OperationAction, { readonly cluster: boolean; readonly objects: readonly GroupKind[] }>> = {
  create: { cluster: true, objects: [] },
  scale: {
    cluster: true,
    objects: [
      { group: Kinds.MachineDeployment.group, kind: Kinds.MachineDeployment.kind },
      { group: controlPlaneGroup, kind: 'KubeadmControlPlane' },
    ],
  },
  upgrade: { cluster: true, objects: [] },
  delete: { cluster: false, objects: [] },
  pause: { cluster: true, objects: [] },
  resume: { cluster: true, objects: [] },
  rollout: {
    cluster: true,
    objects: [
      { group: Kinds.MachineDeployment.group, kind: Kinds.MachineDeployment.kind },
      { group: controlPlaneGroup, kind: 'KubeadmControlPlane' },
    ],
  },
  remediate: { cluster: false, objects: [] },
};

/**
 * What is wrong with `operation` as a plan (empty when nothing): an action outside the table, an object
 * of a kind its action does not write, outside its namespace, or a Cluster other than its own. Reads
 * anything (a step's input is untrusted), never throws.
 */
export function planProblems(operation: unknown): string[] {
  const op = (typeof operation === 'object' && operation !== null ? operation : {}) as Record<string, unknown>;
  const { action, namespace, name } = op;
  if (typeof action !== 'string' || !Object.hasOwn(plannedWrites, action)) return [`action "${String(action).slice(0, 63)}" is not an operation`];
  if (!isLabel(namespace)) return ['namespace must be an RFC 1123 label'];
  if (!isName(name)) return ['name must be an RFC 1123 name'];
  const plan = plannedWrites[action as OperationAction];
  const problems: string[] = [];
  const article = action === 'upgrade' ? 'an' : 'a';
  if (op.uid !== undefined && (action !== 'delete' || !isUid(op.uid))) {
    problems.push(action === 'delete' ? 'uid must be a Kubernetes UID' : `${article} ${action} carries no uid`);
  }
  if (action === 'remediate') {
    const machine = (typeof op.machine === 'object' && op.machine !== null ? op.machine : {}) as Record<string, unknown>;
    if (!isName(machine.name) || !isUid(machine.uid) || Object.keys(machine).length !== 2) problems.push('a remediation carries exactly its machine: an RFC 1123 name and a Kubernetes UID');
  } else if (op.machine !== undefined) problems.push(`${article} ${action} carries no machine`);
  if (op.cluster !== undefined) {
    if (!plan.cluster) problems.push(`${article} ${action} applies nothing`);
    else {
      const { label, groupKind, metadata } = describeObject(op.cluster);
      if (!sameGroupKind(groupKind, clusterKind)) problems.push(`${label}: not a Cluster (${clusterKind.group})`);
      else if (metadata.namespace !== namespace || metadata.name !== name) problems.push(`${label}: not the operation's cluster ${namespace}/${name}`);
      else {
        problems.push(...fieldProblems(op.cluster, clusterFields[action as OperationAction], label, `${article} ${action}`));
        const paused = (op.cluster as { spec?: { paused?: unknown } }).spec?.paused;
        if ((action === 'pause' || action === 'resume') && paused !== (action === 'pause')) problems.push(`${label}: ${article} ${action} sets spec.paused to ${action === 'pause'}`);
        const labels = (metadata as { labels?: unknown }).labels;
        if (action === 'create' && typeof labels === 'object' && labels !== null) problems.push(...reservedKeyProblems('label', labels as Record<string, string>).map((p) => `${label}: ${p}`));
      }
    }
  }
  const objects = op.objects === undefined ? [] : Array.isArray(op.objects) ? op.objects : [op.objects];
  for (const obj of objects) {
    const { label, groupKind, metadata } = describeObject(obj);
    if (plan.objects.length === 0) problems.push(`${label}: ${article} ${action} applies ${plan.cluster ? 'only the Cluster' : 'nothing'}`);
    else if (!plan.objects.some((allowed) => sameGroupKind(groupKind, allowed))) {
      problems.push(`${label}: ${article} ${action} applies only ${plan.objects.map((k) => `${k.kind} (${k.group})`).join(', ')}`);
    } else if (metadata.namespace !== namespace) problems.push(`${label}: outside the operation's namespace ${namespace}`);
    else {
      const labels = (metadata as { labels?: Record<string, unknown> }).labels;
      if (typeof labels !== 'object' || labels === null || labels[clusterNameLabel] !== name) problems.push(`${label}: not labelled as part of cluster ${name} (${clusterNameLabel})`);
      problems.push(...fieldProblems(obj, objectFields[action as OperationAction], label, `${article} ${action}`));
    }
  }
  return problems;
}

const clusterNameLabel = 'cluster.x-k8s.io/cluster-name';

/**
 * What a plan's object may carry, field by field: `true` any value, `'count'` a non-negative integer,
 * `'string'` a string, an object its keys (each with its own shape), `[shape]` an array of such items.
 */
type Shape = true | 'count' | 'string' | 'boolean' | readonly [Shape] | { readonly [key: string]: Shape };

const typed = { apiVersion: 'string', kind: 'string' } as const;
const named = { name: 'string', namespace: 'string' } as const;

/**
 * The fields each action may set on the Cluster, as the tools build them (shared/capi/topology.ts): a
 * create its whole topology and labels; a scale the replica counts (a pool's name and class identify
 * it in the list); an upgrade the version. Note: the step's input is only as trustworthy as whoever
 * could start an execution, so a scale cannot also pause the Cluster, change its class or label it.
 */
const clusterFields: Readonly<Record<OperationAction, Shape>> = {
  create: {
    ...typed,
    metadata: { ...named, labels: { '*': 'string' } },
    spec: {
      topology: {
        classRef: { name: 'string' },
        version: 'string',
        controlPlane: { replicas: 'count' },
        workers: { machineDeployments: [{ class: 'string', name: 'string', replicas: 'count' }] },
        variables: [{ name: 'string', value: true }],
      },
    },
  },
  scale: {
    ...typed,
    metadata: named,
    spec: { topology: { controlPlane: { replicas: 'count' }, workers: { machineDeployments: [{ class: 'string', name: 'string', replicas: 'count' }] } } },
  },
  upgrade: { ...typed, metadata: named, spec: { topology: { version: 'string' } } },
  delete: {},
  pause: { ...typed, metadata: named, spec: { paused: 'boolean' } },
  resume: { ...typed, metadata: named, spec: { paused: 'boolean' } },
  rollout: {
    ...typed,
    metadata: named,
    spec: { topology: { controlPlane: { rollout: { after: 'string' } }, workers: { machineDeployments: [{ class: 'string', name: 'string', rollout: { after: 'string' } }] } } },
  },
  remediate: {},
};

/**
 * What an action may set on a MachineDeployment or control plane of a cluster without a ClusterClass: a
 * scale their replicas, a rollout their rollout time. Other actions write none (plannedWrites).
 */
const objectFields: Readonly<Record<OperationAction, Shape>> = (() => {
  const ofCluster = (spec: Shape): Shape => ({ ...typed, metadata: { ...named, labels: { [clusterNameLabel]: 'string' } }, spec });
  return { scale: ofCluster({ replicas: 'count' }), rollout: ofCluster({ rollout: { after: 'string' } }), create: {}, delete: {}, upgrade: {}, pause: {}, resume: {}, remediate: {} };
})();

/** One line per field of `value` (the object `label`) that `shape` does not allow `what` to set; at most 10. */
function fieldProblems(value: unknown, shape: Shape, label: string, what: string): string[] {
  const problems: string[] = [];
  const visit = (v: unknown, s: Shape, path: string) => {
    if (problems.length >= 10 || s === true) return;
    if (s === 'count') {
      if (!Number.isSafeInteger(v) || (v as number) < 0) problems.push(`${path} must be a non-negative integer`);
    } else if (s === 'string') {
      if (typeof v !== 'string') problems.push(`${path} must be a string`);
    } else if (s === 'boolean') {
      if (typeof v !== 'boolean') problems.push(`${path} must be a boolean`);
    } else if (Array.isArray(s)) {
      if (!Array.isArray(v)) problems.push(`${path} must be a list`);
      else v.forEach((item, i) => visit(item, s[0]!, `${path}[${i}]`));
    } else if (typeof v !== 'object' || v === null || Array.isArray(v)) problems.push(`${path} must be an object`);
    else {
      const fields = s as { readonly [key: string]: Shape };
      for (const [key, child] of Object.entries(v)) {
        const at = path ? `${path}.${key.slice(0, 63)}` : key.slice(0, 63);
        const allowed = Object.hasOwn(fields, key) ? fields[key]! : Object.hasOwn(fields, '*') ? fields['*']! : undefined;
        if (allowed === undefined) problems.push(`${what} may not set ${at}`);
        else visit(child, allowed, at);
      }
    }
  };
  visit(value, shape, '');
  return problems.map((p) => `${label}: ${p}`);
}

const rfc1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const rfc1123Name = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A namespace: an RFC 1123 label. Note: the length is checked first, which bounds the pattern's work. */
function isLabel(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 63 && rfc1123Label.test(value);
}

/** A Kubernetes UID as the API server writes them. */
function isUid(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f-]{1,64}$/.test(value);
}

/** An object name: an RFC 1123 subdomain, length first as above. */
function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 253 && rfc1123Name.test(value);
}

/** An object's group and kind (undefined for a malformed apiVersion), and a bounded label for messages. */
function describeObject(obj: unknown) {
  const o = (typeof obj === 'object' && obj !== null ? obj : {}) as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  const metadata = typeof o.metadata === 'object' && o.metadata !== null ? o.metadata : {};
  const apiVersion = typeof o.apiVersion === 'string' ? o.apiVersion : '';
  const parts = apiVersion.split('/');
  const version = parts.at(-1) ?? '';
  const group = parts.length === 2 ? parts[0]! : parts.length === 1 ? '' : undefined;
  const groupKind = group !== undefined && /^v\d+((alpha|beta)\d+)?$/.test(version) && typeof o.kind === 'string' ? { group, kind: o.kind } : undefined;
  const where = `${typeof metadata.namespace === 'string' ? `${metadata.namespace}/` : ''}${String(metadata.name)}`;
  return { label: `${String(o.kind)} ${apiVersion} ${where}`.slice(0, 600), groupKind, metadata };
}

function sameGroupKind(a: GroupKind | undefined, b: GroupKind): boolean {
  return a !== undefined && a.group === b.group && a.kind === b.kind;
}

/**
 * The pause between polls of each action's operation (WorkflowInput.pollSeconds), the one table of it.
 * Note: an operation is joined by its operation alone, not by this pause, so changing one never splits
 * a retried request from the operation it started.
 */
export const pollSeconds: Readonly<Record<OperationAction, number>> = { create: 10, delete: 5, scale: 10, upgrade: 10, pause: 3, resume: 3, rollout: 10, remediate: 10 };

/**
 * `operation` without the time of the call: a rollout carries when it was asked (rollout.after, and the
 * same in what it expects), which is not what it changes. Two calls that differ only there are one
 * operation, so a retry joins the rollout it started instead of replacing every Machine twice.
 */
export function timeless(operation: Operation): Operation {
  if (operation.action !== 'rollout') return operation;
  const strip = (value: unknown, key?: string): unknown => {
    if (Array.isArray(value)) return value.map((v) => strip(v));
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === 'after' && (key === 'rollout' || key === 'renewed') ? '' : strip(v, k)]));
  };
  return strip(operation) as Operation;
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
 * Whether a Cluster matches what `operation` asked for. `cluster` is undefined when it does not exist;
 * `machines` are its Machines, read only for an operation that names a pool (needsMachines).
 * - delete: the Cluster is gone;
 * - pause, resume: spec.paused is as asked and the Cluster's Paused condition says so at its generation
 *   (the controllers have seen it); nothing else, since a broken cluster is paused to stop it;
 * - create, scale, upgrade, rollout, remediate: the controllers observed the applied spec; the Cluster is
 *   Available with its desired replicas all ready; the desired counts are the expected ones; for a
 *   version, every machine is up to date with it; for a rollout, every Machine of its pool is newer than
 *   the rollout time; for a remediation, its Machine is gone; and for either, the pool is whole and ready.
 */
export function verdict(operation: Operation, cluster: KubeObject | undefined, machines: readonly KubeObject[] = []): Verdict {
  if (operation.action === 'delete') {
    return cluster ? { state: 'progressing', reason: whyNotAvailable(cluster) ?? 'deletion in progress' } : { state: 'converged', reason: 'the cluster is gone' };
  }
  if (!cluster) return { state: 'failed', reason: `cluster ${operation.namespace}/${operation.name} no longer exists` };
  const generation = (cluster.metadata as { generation?: number }).generation ?? 0;
  const current = (type: string) => (getCondition(cluster, type)?.observedGeneration ?? generation) >= generation;
  const expect = operation.expect ?? {};
  if (expect.paused !== undefined) return pauseVerdict(cluster, expect.paused, current('Paused'));
  if (cluster.status?.phase === 'Failed') return { state: 'failed', reason: whyNotAvailable(cluster) ?? 'the cluster is in phase Failed' };
  const observed = (cluster.status?.observedGeneration ?? 0) >= generation;
  const s = summarizeCluster(cluster, new Date());
  const status = cluster.status ?? {};
  const replicasMatch =
    s.controlPlane.ready === s.controlPlane.desired &&
    s.workers.ready === s.workers.desired &&
    (expect.controlPlaneReplicas === undefined || s.controlPlane.desired === expect.controlPlaneReplicas) &&
    (expect.workerReplicas === undefined || s.workers.desired === expect.workerReplicas);
  // Note: right after the topology controller pushes a version, the control plane and MachineDeployments
  // still report their old up-to-date counts; TopologyReconciled stays False (upgrade pending) and
  // RollingOut True until the rollout is through, so all four must agree.
  // Note: and the two conditions must have been judged at this generation (v1beta2 conditions carry their
  // observedGeneration): the Cluster's own observedGeneration can move on before the topology controller has
  // reconciled the new version, while both still describe the old one (seen on a loaded sandbox).
  const rolledOut =
    expect.version === undefined ||
    (cluster.spec?.topology?.version === expect.version &&
      isTrue(cluster, 'TopologyReconciled') &&
      current('TopologyReconciled') &&
      !isTrue(cluster, 'RollingOut') &&
      current('RollingOut') &&
      (status.controlPlane?.upToDateReplicas ?? 0) === s.controlPlane.desired &&
      (status.workers?.upToDateReplicas ?? 0) === s.workers.desired);
  // Note: a pool is judged by its Machines, not the Cluster's counts: those are aggregated a step later
  // (Machine → MachineSet → MachineDeployment → Cluster) and still read "all ready" right after a delete.
  const pool = expect.renewed
    ? poolRenewal(machines, expect.renewed, (m) => (m.metadata.creationTimestamp ?? '') >= expect.renewed!.after, 'renewed')
    : expect.replaced
      ? poolRenewal(machines, expect.replaced, (m) => m.metadata.uid !== operation.machine?.uid, 'replaced', operation.machine)
      : undefined;
  if (observed && s.available && replicasMatch && rolledOut && (pool?.done ?? true)) {
    return { state: 'converged', reason: `Available with control plane ${s.controlPlane.ready}/${s.controlPlane.desired} and workers ${s.workers.ready}/${s.workers.desired}${pool ? `; ${pool.reason}` : ''}` };
  }
  const detail = pool && !pool.done ? pool.reason : (s.notAvailableReason ?? `control plane ${s.controlPlane.ready}/${s.controlPlane.desired}, workers ${s.workers.ready}/${s.workers.desired}`);
  return { state: 'progressing', reason: detail };
}

/** A pause or resume: spec.paused as asked, and the Paused condition agreeing at the Cluster's generation. */
function pauseVerdict(cluster: KubeObject, paused: boolean, current: boolean): Verdict {
  const spec = cluster.spec?.paused === true;
  const condition = isTrue(cluster, 'Paused');
  if (spec !== paused) return { state: 'failed', reason: `spec.paused was set back to ${spec} by someone else` };
  if (condition === paused && current) {
    return { state: 'converged', reason: paused ? 'paused: the Cluster API controllers stopped reconciling the cluster' : 'resumed: the Cluster API controllers reconcile the cluster again' };
  }
  return { state: 'progressing', reason: `waiting for the controllers to report the cluster ${paused ? 'paused' : 'resumed'}` };
}

/** Whether the Machine the operation deletes, or a pool's Machines, must be read to judge it. */
export function needsMachines(operation: Operation): boolean {
  return operation.expect?.renewed !== undefined || operation.expect?.replaced !== undefined;
}

/**
 * Where a pool's renewal stands: `fresh` tells a Machine that counts as new (created after the rollout
 * time; not the remediated Machine). Done when no old Machine is left (and `gone`, the remediated one, is
 * not there even while it is deleted), and the pool has `replicas` (when known) live Machines, all Ready.
 */
function poolRenewal(
  machines: readonly KubeObject[],
  expect: { readonly pool: string; readonly replicas?: number },
  fresh: (m: KubeObject) => boolean,
  verb: string,
  gone?: { readonly name: string },
): { done: boolean; reason: string } {
  const ofPool = machines.filter((m) => poolOf(m) === expect.pool);
  const old = ofPool.filter((m) => !fresh(m));
  const live = ofPool.filter((m) => !m.metadata.deletionTimestamp);
  const ready = live.filter((m) => fresh(m) && isTrue(m, 'Ready'));
  const wanted = expect.replicas ?? live.length;
  const done = old.length === 0 && live.length === wanted && ready.length === wanted;
  const what = gone ? `Machine ${gone.name} ${old.length === 0 ? 'gone' : 'still there'}` : `${old.length} older Machine(s) left`;
  return { done, reason: `${expect.pool}: ${what}, ${ready.length}/${wanted} ${verb} Machine(s) ready` };
}
