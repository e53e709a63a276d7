/**
 * The fleet: every management cluster a key may use (`management_cluster: "*"`), read so that one that
 * fails is a row of `unreachable` and never fails the others. Two walks read it:
 * - list_clusters' fleet page (`fleetPage`): the management clusters in their configured order, one page
 *   of rows across them behind a sealed cursor;
 * - diagnose_cluster's fleet triage (`triageFleet`): every management cluster at once, each listed whole
 *   (pages of 500, at most 10,000 Clusters), counted (shared/capi/fleet.ts), and the clusters longest not
 *   Available diagnosed side by side, one that cannot be diagnosed being that row's error.
 * Both read only the namespaces the key may use (`namespacesOf`), never a cluster-wide list filtered
 * afterwards, so no row, count or error describes another tenant's cluster.
 */
import { countFleet, fleetClusterOf, fleetFields, longestNotAvailable, renderFleet, type FleetCluster, type FleetRow } from '../capi/fleet.ts';
import { clusterRow, summarizeCluster, summaryFields } from '../capi/summary.ts';
import { CapiMcpError, ErrorCode, wrapError } from '../errors.ts';
import type { KubeClient, KubeObject } from '../kube/client.ts';
import { Kinds } from '../kube/kinds.ts';
import { listPage, type PagePosition } from '../kube/paged-list.ts';
import { oneLine } from '../capi/conditions.ts';
import { everyManagementCluster, usableManagementClusters } from './invoke.ts';
import { errorText } from './result.ts';
import type { ToolDeps } from './tool.ts';

/** A management cluster that failed, and the first line of why. */
export interface Unreachable {
  readonly management_cluster: string;
  readonly error: string;
}

/** `error` of management cluster `name` as its row. */
export function unreachable(tool: string, name: string, error: unknown): Unreachable {
  return { management_cluster: name, error: firstLineOf(tool, error) };
}

/** The first line of what `tool` would have answered with `error` (redacted), bounded: an error as a row of a fleet answer. */
function firstLineOf(tool: string, error: unknown): string {
  return oneLine(errorText(tool, error).split('\n')[0]!, 300);
}

/**
 * The namespaces a listing reads: the one asked for, or a limited caller's own in one fixed order, or
 * all (undefined). Note: a limited caller (its key, or the server-wide limit) is answered from its
 * namespaces alone, in one fixed order, so that no continue token, count or text describes a cluster elsewhere.
 */
export function namespacesOf(deps: Pick<ToolDeps, 'caller'>, namespace: string | undefined) {
  const limited = deps.caller.namespaces ? [...new Set(deps.caller.namespaces)].sort() : undefined;
  return { limited, namespaces: namespace ? [namespace] : limited };
}

/** What list_clusters reads a page with. */
export interface ClusterQuery {
  readonly namespace?: string | undefined;
  readonly label_selector?: string | undefined;
  readonly phase?: string | undefined;
  readonly limit: number;
  readonly cursor?: string | undefined;
}

/** One page of Clusters, each cut to what its row reads as the answer arrives (a page holds 200 of those, not 200 objects). */
export async function pageOf(kube: KubeClient, namespaces: readonly string[] | undefined, query: Pick<ClusterQuery, 'label_selector'>, limit: number, from: PagePosition | undefined, keep = summaryFields) {
  try {
    return await listPage(kube, Kinds.Cluster, {
      ...(namespaces ? { namespaces } : {}),
      ...(query.label_selector ? { labelSelector: query.label_selector } : {}),
      limit,
      ...(from ? { from } : {}),
      keep,
    });
  } catch (error) {
    if (from?.continueToken && (error as { cause?: { code?: number } }).cause?.code === 410) {
      throw new CapiMcpError(ErrorCode.InvalidInput, 'the cursor has expired (the listing is too old)', {
        hint: 'call list_clusters again without cursor to restart from the first page',
      });
    }
    throw wrapError('failed to list clusters', error);
  }
}

/**
 * One page of list_clusters across the fleet: from where the cursor stopped (a management cluster and
 * its page position), it takes what each management cluster has left, in the configured order, until
 * the page holds `limit` rows. An expired cursor still fails the call, as it does for one.
 */
export async function fleetPage(query: ClusterQuery, deps: ToolDeps) {
  const { limited, namespaces } = namespacesOf(deps, query.namespace);
  const names = usableManagementClusters(deps);
  const sealed = [everyManagementCluster, query.namespace ?? '', limited ?? '*', query.label_selector ?? '', query.limit, query.phase ?? ''];
  const cursor = query.cursor ? fleetPositionOf(deps.cursors.open('list_clusters', sealed, query.cursor), names) : { index: 0 };
  let { index } = cursor;
  let from: PagePosition | undefined = cursor.from;
  const now = deps.now();
  const rows: (ReturnType<typeof summarizeCluster> & { management_cluster: string })[] = [];
  const failed: Unreachable[] = [];
  let scanned = 0;
  while (index < names.length && scanned < query.limit) {
    const name = names[index]!;
    let page;
    try {
      page = await pageOf(deps.clusters.client(name), namespaces, query, query.limit - scanned, from);
    } catch (error) {
      if (error instanceof CapiMcpError && error.code === ErrorCode.InvalidInput) throw error;
      failed.push(unreachable('list_clusters', name, error));
      index++;
      from = undefined;
      continue;
    }
    scanned += page.items.length;
    for (const cluster of page.items) {
      const summary = summarizeCluster(cluster, now);
      if (!query.phase || summary.phase === query.phase) rows.push({ ...summary, management_cluster: name });
    }
    from = page.next;
    if (!from) index++;
  }
  const nextCursor = index < names.length ? deps.cursors.seal('list_clusters', sealed, { cluster: names[index], ...from }) : undefined;
  const lines = rows.map((row) => `[${row.management_cluster}] ${clusterRow(row)}`);
  for (const u of failed) lines.push(`[${u.management_cluster}] unreachable: ${u.error}`);
  if (rows.length === 0 && failed.length === 0) lines.push('no clusters');
  if (nextCursor) lines.push(`more: call list_clusters with management_cluster="*" cursor="${nextCursor}"`);
  return {
    structured: { clusters: rows, ...(nextCursor ? { next_cursor: nextCursor } : {}), ...(failed.length > 0 ? { unreachable: failed } : {}), scanned },
    text: lines.join('\n'),
  };
}

/** Where a fleet cursor stopped: the management cluster (by its index now) and the page position in it. */
function fleetPositionOf(state: unknown, names: readonly string[]): { index: number; from?: PagePosition } {
  const { cluster, ...position } = (state ?? {}) as Record<string, unknown>;
  const index = typeof cluster === 'string' ? names.indexOf(cluster) : -1;
  if (index < 0) throw new CapiMcpError(ErrorCode.InvalidInput, 'the cursor names a management cluster this key no longer lists', { hint: 'omit cursor to start from the first page' });
  const from = positionOf(position);
  return { index, ...(from.namespace || from.continueToken ? { from } : {}) };
}

/** The page position a cursor was sealed with (authenticated, so only its shape is checked). */
export function positionOf(state: unknown): PagePosition {
  const { namespace, continueToken } = (state ?? {}) as Record<string, unknown>;
  if ((namespace !== undefined && typeof namespace !== 'string') || (continueToken !== undefined && typeof continueToken !== 'string')) {
    throw new CapiMcpError(ErrorCode.InvalidInput, 'cursor is not one that list_clusters returned', { hint: 'omit cursor to start from the first page' });
  }
  return { ...(namespace ? { namespace } : {}), ...(continueToken ? { continueToken } : {}) };
}

/** Clusters read per LIST by the triage, and counted per management cluster at most. */
export const triagePageSize = 500;
export const maxTriageClusters = 10_000;
/** Clusters of the fleet diagnosed, longest not Available first. */
export const triageDiagnoses = 5;
/** How long one of those diagnoses may take before it is its row's error. */
export const triageDiagnosisTimeoutMs = 20_000;

/** The top finding of one cluster, its next step phrased; undefined when it has none. */
export type TopFinding = { readonly severity: string; readonly cause: string; readonly summary: string; readonly next: string } | undefined;

/** What the triage diagnoses a cluster with: the single-cluster path of diagnose_cluster. */
export type Diagnose = (kube: KubeClient, namespace: string, name: string) => Promise<TopFinding>;

/**
 * Fleet triage: every management cluster the key may use, at once; each one's Clusters in the
 * namespaces the key may use (`namespace`, `name`: filters), counted; then the clusters longest not
 * Available diagnosed side by side, each within triageDiagnosisTimeoutMs.
 */
export async function triageFleet(filters: { readonly namespace?: string | undefined; readonly name?: string | undefined }, deps: ToolDeps, diagnose: Diagnose) {
  const { namespaces } = namespacesOf(deps, filters.namespace);
  const names = usableManagementClusters(deps);
  const now = deps.now();
  type Walked = { readonly name: string; readonly clusters: FleetCluster[]; readonly truncated: boolean } | { readonly name: string; readonly failed: Unreachable };
  const walked = await Promise.all(names.map(async (name): Promise<Walked> => {
    try {
      return { name, ...(await everyCluster(deps.clusters.client(name), namespaces, name, now)) };
    } catch (error) {
      return { name, failed: unreachable('diagnose_cluster', name, error) };
    }
  }));
  const clusters: FleetCluster[] = [];
  const failed: Unreachable[] = [];
  const truncated: { management_cluster: string; counted: number }[] = [];
  for (const w of walked) {
    if ('failed' in w) failed.push(w.failed);
    else {
      clusters.push(...(filters.name ? w.clusters.filter((c) => c.name === filters.name) : w.clusters));
      if (w.truncated) truncated.push({ management_cluster: w.name, counted: w.clusters.length });
    }
  }
  const counts = countFleet(clusters);
  const top = await Promise.all(longestNotAvailable(clusters, triageDiagnoses).map((c) => topRow(c, deps, diagnose, now)));
  const fleet = {
    management_clusters: names.length,
    clusters: counts.clusters,
    available: counts.available,
    phases: counts.phases,
    versions: counts.versions,
    providers: counts.providers,
    reasons: [...counts.reasons, ...(counts.otherReasons > 0 ? [{ reason: '(other)', count: counts.otherReasons }] : [])],
    top: top.map(({ managementCluster, namespace, name, notAvailableSeconds, finding, error }) => ({
      management_cluster: managementCluster,
      namespace,
      name,
      ...(notAvailableSeconds !== undefined ? { not_available_seconds: notAvailableSeconds } : {}),
      ...finding,
      ...(error !== undefined ? { error } : {}),
    })),
    ...(failed.length > 0 ? { unreachable: failed } : {}),
    ...(truncated.length > 0 ? { truncated } : {}),
  };
  const text = renderFleet({
    managementClusters: names.length,
    counts,
    top,
    unreachable: failed.map((u) => ({ managementCluster: u.management_cluster, error: u.error })),
    truncated: truncated.map((t) => ({ managementCluster: t.management_cluster, counted: t.counted })),
  });
  return { structured: { fleet }, text };
}

/** A management cluster's Clusters, page by page, reduced to what the summary counts; at most maxTriageClusters. */
async function everyCluster(kube: KubeClient, namespaces: readonly string[] | undefined, name: string, now: Date) {
  const clusters: FleetCluster[] = [];
  let from: PagePosition | undefined;
  do {
    // Note: listPage itself, not pageOf: an expired continue token here is a failed walk, not a caller's stale cursor.
    const page = await listPage(kube, Kinds.Cluster, { ...(namespaces ? { namespaces } : {}), limit: Math.min(triagePageSize, maxTriageClusters - clusters.length), ...(from ? { from } : {}), keep: fleetFields }).catch((error: unknown) => {
      throw wrapError('failed to list clusters', error);
    });
    clusters.push(...page.items.map((c: KubeObject) => fleetClusterOf(c, name, now)));
    from = page.next;
  } while (from && clusters.length < maxTriageClusters);
  return { clusters, truncated: from !== undefined };
}

/** One cluster of the top findings: its top finding, or why it could not be diagnosed in time. */
async function topRow(c: FleetCluster, deps: ToolDeps, diagnose: Diagnose, now: Date): Promise<FleetRow> {
  const since = c.notAvailableSince ? Date.parse(c.notAvailableSince) : NaN;
  const row = {
    managementCluster: c.managementCluster,
    namespace: c.namespace,
    name: c.name,
    ...(Number.isNaN(since) ? {} : { notAvailableSeconds: Math.max(0, Math.floor((now.getTime() - since) / 1000)) }),
  };
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CapiMcpError(ErrorCode.Timeout, `diagnosing took longer than ${triageDiagnosisTimeoutMs / 1000} s`)), triageDiagnosisTimeoutMs);
  });
  try {
    const finding = await Promise.race([diagnose(deps.clusters.client(c.managementCluster), c.namespace, c.name), late]);
    return { ...row, ...(finding ? { finding } : {}) };
  } catch (error) {
    return { ...row, error: firstLineOf('diagnose_cluster', error) };
  } finally {
    clearTimeout(timer);
  }
}
