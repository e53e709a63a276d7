/**
 * Which Machines a change will replace or remove, decided as Cluster API's controllers decide it, so a
 * plan can name them before anything is applied. Pure: Machines (and the deletion order of their pool)
 * in, names out — or, where the controllers' choice depends on what cannot be read ahead (a rollout
 * between MachineSets, failure domains), the count and the rule instead of names.
 *
 * - An upgrade replaces every Machine whose spec.version differs from the new version: the control plane
 *   first (KubeadmControlPlane rolls it), then each worker pool (its MachineDeployment rolls it).
 * - A scale-down of a worker pool removes what its MachineSet picks (CAPI v1.13,
 *   internal/controllers/machineset/machineset_deletion_order.go): Machines being deleted, then those
 *   marked `cluster.x-k8s.io/delete-machine`, then unhealthy ones (no Node, NodeHealthy or
 *   HealthCheckSucceeded False), then by the pool's deletion order — Random (the default: every healthy
 *   Machine ranks the same), Oldest or Newest — ties broken by name.
 * - A scale-down of the control plane removes, one at a time, a Machine marked for deletion, else the
 *   oldest in the failure domain with the most Machines (KubeadmControlPlane, scale.go).
 */
import type { KubeObject } from '../kube/client.ts';
import { getCondition } from './conditions.ts';

export const deleteMachineAnnotation = 'cluster.x-k8s.io/delete-machine';
const controlPlaneLabel = 'cluster.x-k8s.io/control-plane';
/** The topology's pool name; Machines of a MachineDeployment without a topology carry only the MD's name. */
const topologyPoolLabel = 'topology.cluster.x-k8s.io/deployment-name';
const deploymentLabel = 'cluster.x-k8s.io/deployment-name';
const machineSetLabel = 'cluster.x-k8s.io/set-name';

/** A Machine as a plan names it. */
export interface MachineRef {
  readonly name: string;
  /** `control plane`, or the worker pool: its topology name, or without a topology its MachineDeployment's. */
  readonly pool: string;
  readonly version?: string;
}

/** The pool a Machine belongs to; undefined for a Machine of neither the control plane nor a MachineDeployment. */
export function poolOf(machine: KubeObject): string | undefined {
  const labels = machine.metadata.labels ?? {};
  if (controlPlaneLabel in labels) return 'control plane';
  return labels[topologyPoolLabel] ?? labels[deploymentLabel];
}

/** The MachineDeployment of `pool` (poolOf's name for it): by its topology name, or without a topology by its own. */
export function machineDeploymentOfPool(machineDeployments: readonly KubeObject[], pool: string): KubeObject | undefined {
  return machineDeployments.find((d) => d.metadata.labels?.[topologyPoolLabel] === pool || d.metadata.name === pool);
}

const refOf = (m: KubeObject): MachineRef => ({ name: m.metadata.name, pool: poolOf(m) ?? 'no pool', ...(typeof m.spec?.version === 'string' ? { version: m.spec.version } : {}) });

/** The control plane first, then pools by name, Machines by name within each. */
function byPoolThenName(a: MachineRef, b: MachineRef): number {
  const rank = (r: MachineRef) => (r.pool === 'control plane' ? 0 : 1);
  return rank(a) - rank(b) || a.pool.localeCompare(b.pool) || a.name.localeCompare(b.name);
}

const isDeleting = (m: KubeObject) => m.metadata.deletionTimestamp !== undefined;

/** The Machines an upgrade to `version` replaces: every one not already being deleted whose version differs. */
export function upgradeReplacements(machines: readonly KubeObject[], version: string): MachineRef[] {
  return machines.filter((m) => !isDeleting(m) && poolOf(m) !== undefined && m.spec?.version !== version).map(refOf).sort(byPoolThenName);
}

/** Every Machine of the cluster, as a delete removes them all. */
export function allMachines(machines: readonly KubeObject[]): MachineRef[] {
  return machines.map(refOf).sort(byPoolThenName);
}

/** Whether CAPI counts a Machine healthy when it picks what to delete (machineset_deletion_order.go, isMachineHealthy). */
export function isMachineHealthy(machine: KubeObject): boolean {
  if (!machine.status?.nodeRef?.name) return false;
  return getCondition(machine, 'NodeHealthy')?.status !== 'False' && getCondition(machine, 'HealthCheckSucceeded')?.status !== 'False';
}

/** The deletion orders a MachineSet knows; `Random` when unset. */
export type DeletionOrder = 'Random' | 'Oldest' | 'Newest';

export function deletionOrderOf(machineDeployment: KubeObject | undefined): DeletionOrder | undefined {
  const order = machineDeployment?.spec?.deletion?.order ?? 'Random';
  return order === 'Random' || order === 'Oldest' || order === 'Newest' ? order : undefined;
}

/** What a scale-down removes: the Machines by name when the controllers' choice is knowable, always how many and by which rule. */
export interface Removal {
  readonly pool: string;
  readonly count: number;
  /** The rule the controller applies, for people. */
  readonly rule: string;
  /** Undefined when the choice depends on what cannot be read ahead; the reason is in `unknowable`. */
  readonly machines?: readonly string[];
  readonly unknowable?: string;
}

const tenDaysSeconds = 864_000;

/** CAPI's delete priority of a worker Machine (higher goes first). */
function workerPriority(machine: KubeObject, order: DeletionOrder, now: Date): number {
  if (isDeleting(machine)) return 100;
  if (machine.metadata.annotations?.[deleteMachineAnnotation] !== undefined) return 80;
  if (!isMachineHealthy(machine)) return 50;
  if (order === 'Random') return 20;
  const created = Date.parse(machine.metadata.creationTimestamp ?? '');
  const age = Number.isNaN(created) ? -1 : (now.getTime() - created) / 1000;
  const oldest = age < 0 ? 0 : 50 * (1 - Math.exp(-age / tenDaysSeconds));
  return order === 'Oldest' ? oldest : 50 - oldest;
}

/**
 * The Machines a worker pool loses when scaled down by `count`. Knowable when the pool's Machines are all
 * of one MachineSet (no rollout in progress, so the MachineDeployment scales that one) and its deletion
 * order is one CAPI knows.
 */
export function workerRemovals(pool: string, poolMachines: readonly KubeObject[], count: number, order: DeletionOrder | undefined, now: Date): Removal {
  const rule = `MachineSet deletion order ${order ?? 'unknown'}: Machines being deleted, then marked ${deleteMachineAnnotation}, then unhealthy, then ${order === 'Oldest' ? 'the oldest' : order === 'Newest' ? 'the newest' : 'by name'}`;
  const sets = new Set(poolMachines.map((m) => m.metadata.labels?.[machineSetLabel]));
  const unknowable =
    order === undefined ? 'the pool has a deletion order capi-mcp does not know'
    : sets.size > 1 || sets.has(undefined) ? 'its Machines belong to more than one MachineSet (a rollout is in progress), and the MachineDeployment decides which set shrinks'
    : undefined;
  if (unknowable) return { pool, count, rule, unknowable };
  const ranked = [...poolMachines].sort((a, b) => workerPriority(b, order!, now) - workerPriority(a, order!, now) || a.metadata.name.localeCompare(b.metadata.name));
  return { pool, count, rule, machines: ranked.slice(0, count).map((m) => m.metadata.name) };
}

/**
 * The Machines the control plane loses when scaled down by `count`, one at a time: a Machine marked for
 * deletion first, else the oldest. Knowable only when every Machine is in one failure domain (or none)
 * and of one version (KubeadmControlPlane prefers an outdated Machine, judged by more than the version),
 * with distinct creation times.
 */
export function controlPlaneRemovals(machines: readonly KubeObject[], count: number): Removal {
  const rule = `KubeadmControlPlane: a Machine marked ${deleteMachineAnnotation}, else an outdated one, else the oldest in the failure domain with the most Machines`;
  const live = machines.filter((m) => !isDeleting(m));
  const domains = new Set(live.map((m) => m.spec?.failureDomain ?? ''));
  const versions = new Set(live.map((m) => m.spec?.version));
  const times = live.map((m) => m.metadata.creationTimestamp ?? '');
  const unknowable =
    domains.size > 1 ? 'its Machines are spread over failure domains'
    : versions.size > 1 ? 'its Machines run different versions (an outdated one goes first)'
    : new Set(times).size < times.length || times.includes('') ? 'its Machines were created in the same second'
    : undefined;
  if (unknowable) return { pool: 'control plane', count, rule, unknowable };
  const marked = (m: KubeObject) => (m.metadata.annotations?.[deleteMachineAnnotation] !== undefined ? 0 : 1);
  const ranked = [...live].sort((a, b) => marked(a) - marked(b) || times[live.indexOf(a)]!.localeCompare(times[live.indexOf(b)]!));
  return { pool: 'control plane', count, rule, machines: ranked.slice(0, count).map((m) => m.metadata.name) };
}
