/**
 * The fleet at a glance: every Cluster of every management cluster reduced to the few fields a fleet
 * summary counts, the counts themselves (by phase, Kubernetes version and provider, and the
 * not-available reasons that recur), the clusters longest not Available, and the whole as a few lines of
 * text. Pure: Clusters in, counts and text out; the MCP layer lists and diagnoses (shared/mcp/fleet.ts).
 *
 * Every name counted and every reason comes from an object a tenant can write, so each is cut to one
 * bounded line, and each count keeps a few names: the answer stays a few hundred tokens whatever the
 * fleet's size and whatever was written into it.
 */
import type { KubeObject } from '../kube/client.ts';
import { providerOfCluster } from '../providers/registry.ts';
import { formatAge } from './age.ts';
import { getCondition, oneLine } from './conditions.ts';
import { summarizeCluster, summaryFields } from './summary.ts';

/** One Cluster of the fleet, as the summary counts it. */
export interface FleetCluster {
  readonly managementCluster: string;
  readonly namespace: string;
  readonly name: string;
  readonly phase: string;
  /** The topology's version; classic clusters have none. */
  readonly version?: string;
  /** The provider's registry name, or the infrastructure kind no provider claims, or "unknown". */
  readonly provider: string;
  readonly available: boolean;
  readonly notAvailableReason?: string;
  /** When the Available condition last left True (its creation time when it reports none); only when not Available. */
  readonly notAvailableSince?: string;
}

/** Names kept per count; the rest are summed as "(other)". */
export const maxNames = 6;
/** Characters of a counted name (a phase, version or kind a tenant may have written). */
const maxNameLength = 40;
/** The count of the names past maxNames. */
const other = '(other)';
/** Not-available reasons kept, most frequent first. */
export const maxReasons = 5;
/** Reasons group by this many characters of their one line (and are cut to it). */
const reasonLength = 80;
/** Characters of a finding's summary, next step or an error in the text. */
const maxSummary = 90;
const maxNext = 140;
const maxError = 140;

/**
 * The part of a Cluster fleetClusterOf reads: what summaryFields keeps, plus the group and kind of its
 * infrastructure and control-plane references (the provider). A listing of 10,000 Clusters keeps this.
 */
export function fleetFields(cluster: KubeObject): KubeObject {
  const kept = summaryFields(cluster);
  if (kept.spec == null) return kept;
  const ref = (r: { apiGroup?: unknown; kind?: unknown } | undefined) => (r == null ? undefined : { apiGroup: r.apiGroup, kind: r.kind });
  const refs = { infrastructureRef: ref(cluster.spec?.infrastructureRef), controlPlaneRef: ref(cluster.spec?.controlPlaneRef) };
  return { ...kept, spec: { ...kept.spec, ...Object.fromEntries(Object.entries(refs).filter(([, v]) => v !== undefined)) } };
}

export function fleetClusterOf(cluster: KubeObject, managementCluster: string, now: Date): FleetCluster {
  const s = summarizeCluster(cluster, now);
  const condition = getCondition(cluster, 'Available');
  const since = s.available ? undefined : (condition?.lastTransitionTime || cluster.metadata.creationTimestamp || undefined);
  const kind = cluster.spec?.infrastructureRef?.kind;
  return {
    managementCluster,
    namespace: s.namespace,
    name: s.name,
    phase: s.phase,
    ...(s.version ? { version: s.version } : {}),
    provider: providerOfCluster(cluster)?.name ?? (typeof kind === 'string' && kind ? kind : 'unknown'),
    available: s.available,
    ...(s.notAvailableReason ? { notAvailableReason: s.notAvailableReason } : {}),
    ...(since ? { notAvailableSince: since } : {}),
  };
}

export interface FleetCounts {
  readonly clusters: number;
  readonly available: number;
  /** Name → clusters, most first; at most maxNames names and "(other)". */
  readonly phases: Readonly<Record<string, number>>;
  readonly versions: Readonly<Record<string, number>>;
  readonly providers: Readonly<Record<string, number>>;
  /** The most frequent not-available reasons (their first line, up to 80 characters). */
  readonly reasons: readonly { readonly reason: string; readonly count: number }[];
  /** Not-available clusters whose reason is not one of `reasons`. */
  readonly otherReasons: number;
}

export function countFleet(clusters: readonly FleetCluster[]): FleetCounts {
  const notAvailable = clusters.filter((c) => !c.available);
  const reasons = ranked(notAvailable.map((c) => oneLine(c.notAvailableReason ?? 'not reported', reasonLength)));
  const top = reasons.slice(0, maxReasons);
  return {
    clusters: clusters.length,
    available: clusters.length - notAvailable.length,
    phases: tally(clusters.map((c) => c.phase)),
    versions: tally(clusters.map((c) => c.version ?? 'unknown')),
    providers: tally(clusters.map((c) => c.provider)),
    reasons: top.map(([reason, count]) => ({ reason, count })),
    otherReasons: notAvailable.length - top.reduce((sum, [, count]) => sum + count, 0),
  };
}

/** Distinct values with their counts, most first, ties by value. */
function ranked(values: readonly string[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
}

/** The count of each name (cut to one short line), the first maxNames of them, the rest as "(other)". */
function tally(values: readonly string[]): Record<string, number> {
  const all = ranked(values.map((v) => oneLine(v, maxNameLength)));
  const rest = all.slice(maxNames).reduce((sum, [, count]) => sum + count, 0);
  // Note: fromEntries defines each key as an own property, so a name like "__proto__" is counted, not a prototype.
  return Object.fromEntries([...all.slice(0, maxNames), ...(rest > 0 ? [[other, rest] as [string, number]] : [])]);
}

/**
 * The `n` clusters not Available for longest (earliest notAvailableSince first; those that say nothing of
 * when, last), ties by management cluster, namespace and name: where a fleet's operator looks first.
 */
export function longestNotAvailable(clusters: readonly FleetCluster[], n: number): FleetCluster[] {
  const since = (c: FleetCluster) => {
    const t = c.notAvailableSince ? Date.parse(c.notAvailableSince) : NaN;
    return Number.isNaN(t) ? Infinity : t;
  };
  const key = (c: FleetCluster) => [c.managementCluster, c.namespace, c.name];
  return clusters
    .filter((c) => !c.available)
    .sort((a, b) => since(a) - since(b) || compareKeys(key(a), key(b)))
    .slice(0, n);
}

function compareKeys(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return 0;
}

/** A cluster of the top findings: its top finding (next step phrased), or why it could not be diagnosed. */
export interface FleetRow {
  readonly managementCluster: string;
  readonly namespace: string;
  readonly name: string;
  readonly notAvailableSeconds?: number;
  readonly finding?: { readonly severity: string; readonly cause: string; readonly summary: string; readonly next: string };
  readonly error?: string;
}

export interface FleetView {
  /** Management clusters walked (the unreachable ones included). */
  readonly managementClusters: number;
  readonly counts: FleetCounts;
  readonly top: readonly FleetRow[];
  readonly unreachable: readonly { readonly managementCluster: string; readonly error: string }[];
  /** Management clusters with more Clusters than were counted. */
  readonly truncated: readonly { readonly managementCluster: string; readonly counted: number }[];
}

/** The fleet as compact text: one line of totals, one per count, the reasons, then one line per cluster or management cluster to look at. */
export function renderFleet(v: FleetView): string {
  const { counts } = v;
  const unreachable = v.unreachable.length > 0 ? ` (${v.unreachable.length} unreachable)` : '';
  const lines = [`fleet: ${v.managementClusters} management cluster${v.managementClusters === 1 ? '' : 's'}${unreachable}, ${counts.clusters} clusters, ${counts.available} Available`];
  const named = (title: string, c: Readonly<Record<string, number>>) => {
    // Note: sorted again because an integer-like key ("1") leads an object whatever the insertion order; "(other)" last.
    const entries = Object.entries(c).sort(([a, x], [b, y]) => Number(a === other) - Number(b === other) || y - x || (a < b ? -1 : a > b ? 1 : 0));
    if (entries.length > 0) lines.push(`${title}: ${entries.map(([name, n]) => `${name} ${n}`).join(', ')}`);
  };
  named('phases', counts.phases);
  named('versions', counts.versions);
  named('providers', counts.providers);
  if (counts.reasons.length > 0) {
    lines.push('not available:', ...counts.reasons.map((r) => `  ${r.count}× ${r.reason}`));
    if (counts.otherReasons > 0) lines.push(`  ${counts.otherReasons}× other reasons`);
  }
  if (v.top.length > 0) lines.push('longest not Available:', ...v.top.map(rowText));
  for (const u of v.unreachable) lines.push(`[${u.managementCluster}] unreachable: ${oneLine(u.error, maxError)}`);
  for (const t of v.truncated) lines.push(`[${t.managementCluster}] truncated: only its first ${t.counted} clusters are counted`);
  return lines.join('\n');
}

function rowText(r: FleetRow): string {
  const head = `[${r.managementCluster}] ${r.namespace}/${r.name}${r.notAvailableSeconds === undefined ? '' : ` (${formatAge(r.notAvailableSeconds)})`}`;
  if (r.finding) {
    const f = r.finding;
    const summary = oneLine(f.summary, maxSummary);
    return `${head}: ${f.severity} ${f.cause}: ${summary}${/[.…]$/.test(summary) ? '' : '.'} Next: ${oneLine(f.next, maxNext)}`;
  }
  return `${head}: ${r.error !== undefined ? `not diagnosed: ${oneLine(r.error, maxError)}` : 'no findings now'}`;
}
