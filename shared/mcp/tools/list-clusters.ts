/**
 * list_clusters: one page of Cluster summaries, paginated by the API server's own limit/continue — per
 * namespace for a caller limited to namespaces (shared/kube/paged-list.ts) — behind a sealed cursor.
 * With `management_cluster: "*"` the page walks every management cluster the key may use, in their
 * configured order, each row naming its own; one that fails is a row of `unreachable` and the walk goes on.
 */
import { z } from 'zod';
import { clusterSummaryFields, count, listedByFieldNames } from '../schemas.ts';
import { clusterRow, summarizeCluster, summaryFields } from '../../capi/summary.ts';
import { CapiMcpError, ErrorCode, wrapError } from '../../errors.ts';
import { Kinds } from '../../kube/kinds.ts';
import type { KubeClient } from '../../kube/client.ts';
import { listPage, type PagePosition } from '../../kube/paged-list.ts';
import { defineTool } from '../tool.ts';
import { fleetManagementClusterArg, namespaceArg, toolInput, toolOutput } from '../arguments.ts';
import { everyManagementCluster, usableManagementClusters } from '../invoke.ts';
import { errorText } from '../result.ts';
import type { ToolDeps } from '../tool.ts';

const phases = ['Pending', 'Provisioning', 'Provisioned', 'Deleting', 'Failed', 'Unknown'] as const;

const inputSchema = toolInput(
  z.object({
    namespace: namespaceArg.optional().describe('Default: all namespaces'),
    label_selector: z
      .string()
      .refine((s) => s.length <= 1024 && /^[A-Za-z0-9._/\-=!,() ]*$/.test(s), 'must be a Kubernetes label selector, e.g. "env=prod,team in (a,b)"')
      .optional(),
    phase: z.enum(phases).optional().describe('Filters each page'),
    limit: z.number().int().min(1).max(200).default(50),
    cursor: z.string().refine((s) => s.length <= 4096, 'must be the next_cursor of a previous page').optional(),
    management_cluster: fleetManagementClusterArg,
  }),
);

const outputSchema = toolOutput(
  z.object({
    clusters: z.array(listedByFieldNames(clusterSummaryFields.extend({ management_cluster: z.string().optional() }))),
    next_cursor: z.string().optional(),
    unreachable: z.array(z.object({ management_cluster: z.string(), error: z.string() })).optional(),
    scanned: count.describe('Clusters read before the phase filter (only in namespaces the key may use)'),
  }),
);

export const listClusters = defineTool({
  name: 'list_clusters',
  title: 'List clusters',
  description:
    'List Cluster API clusters with phase, version, readiness and why each is not available; paginated by next_cursor.',
  inputSchema,
  outputSchema,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(args, deps) {
    if (args.management_cluster === everyManagementCluster) return listFleet(args, deps);
    const { limited, namespaces } = namespacesOf(args, deps);
    const query = [args.management_cluster ?? '', args.namespace ?? '', limited ?? '*', args.label_selector ?? '', args.limit, args.phase ?? ''];
    const from = args.cursor ? positionOf(deps.cursors.open('list_clusters', query, args.cursor)) : undefined;
    const kube = deps.clusters.client(args.management_cluster);
    const page = await pageOf(kube, namespaces, args, args.limit, from);
    const now = deps.now();
    const summaries = page.items.map((c) => summarizeCluster(c, now)).filter((s) => !args.phase || s.phase === args.phase);
    const nextCursor = page.next ? deps.cursors.seal('list_clusters', query, page.next) : undefined;
    const lines = summaries.map(clusterRow);
    if (summaries.length === 0) lines.push(args.phase && page.items.length > 0 ? `no ${args.phase} clusters on this page` : 'no clusters');
    if (nextCursor) lines.push(`more: call list_clusters with cursor="${nextCursor}"`);
    return {
      structured: { clusters: summaries, ...(nextCursor ? { next_cursor: nextCursor } : {}), scanned: page.items.length },
      text: lines.join('\n'),
    };
  },
});

type Args = z.output<typeof inputSchema>;

/** The namespaces a page reads: the one asked for, or a limited caller's own in one fixed order, or all. */
function namespacesOf(args: Args, deps: ToolDeps) {
  // A limited caller (its key, or the server-wide limit) is answered from its namespaces alone, in one
  // fixed order, so that no continue token, count or text describes a cluster elsewhere.
  const limited = deps.caller.namespaces ? [...new Set(deps.caller.namespaces)].sort() : undefined;
  return { limited, namespaces: args.namespace ? [args.namespace] : limited };
}

async function pageOf(kube: KubeClient, namespaces: readonly string[] | undefined, args: Args, limit: number, from: PagePosition | undefined) {
  try {
    return await listPage(kube, Kinds.Cluster, {
      ...(namespaces ? { namespaces } : {}),
      ...(args.label_selector ? { labelSelector: args.label_selector } : {}),
      limit,
      ...(from ? { from } : {}),
      // Each Cluster is cut to what its row reads as the answer arrives: a page holds 200 of those, not 200 objects.
      keep: summaryFields,
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
 * One page of the fleet: from where the cursor stopped (a management cluster and its page position), it
 * takes what each management cluster has left, in the configured order, until the page holds `limit`
 * rows. A management cluster that fails is reported in `unreachable` and the walk goes on to the next, so
 * one that is down never hides the others. An expired cursor still fails the call, as it does for one.
 */
async function listFleet(args: Args, deps: ToolDeps) {
  const { limited, namespaces } = namespacesOf(args, deps);
  const names = usableManagementClusters(deps);
  const query = [everyManagementCluster, args.namespace ?? '', limited ?? '*', args.label_selector ?? '', args.limit, args.phase ?? ''];
  const cursor = args.cursor ? fleetPositionOf(deps.cursors.open('list_clusters', query, args.cursor), names) : { index: 0 };
  let { index } = cursor;
  let from: PagePosition | undefined = cursor.from;
  const now = deps.now();
  const rows: (ReturnType<typeof summarizeCluster> & { management_cluster: string })[] = [];
  const unreachable: { management_cluster: string; error: string }[] = [];
  let scanned = 0;
  let filled = 0;
  while (index < names.length && filled < args.limit) {
    const name = names[index]!;
    let page;
    try {
      page = await pageOf(deps.clusters.client(name), namespaces, args, args.limit - filled, from);
    } catch (error) {
      if (error instanceof CapiMcpError && error.code === ErrorCode.InvalidInput) throw error;
      unreachable.push({ management_cluster: name, error: errorText('list_clusters', error).split('\n')[0]! });
      index++;
      from = undefined;
      continue;
    }
    scanned += page.items.length;
    filled += page.items.length;
    for (const cluster of page.items) {
      const summary = summarizeCluster(cluster, now);
      if (!args.phase || summary.phase === args.phase) rows.push({ ...summary, management_cluster: name });
    }
    from = page.next;
    if (!from) index++;
  }
  const nextCursor = index < names.length ? deps.cursors.seal('list_clusters', query, { cluster: names[index], ...from }) : undefined;
  const lines = rows.map((row) => `[${row.management_cluster}] ${clusterRow(row)}`);
  for (const u of unreachable) lines.push(`[${u.management_cluster}] unreachable: ${u.error}`);
  if (rows.length === 0 && unreachable.length === 0) lines.push('no clusters');
  if (nextCursor) lines.push(`more: call list_clusters with management_cluster="*" cursor="${nextCursor}"`);
  return {
    structured: { clusters: rows, ...(nextCursor ? { next_cursor: nextCursor } : {}), ...(unreachable.length > 0 ? { unreachable } : {}), scanned },
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
function positionOf(state: unknown): PagePosition {
  const { namespace, continueToken } = (state ?? {}) as Record<string, unknown>;
  if ((namespace !== undefined && typeof namespace !== 'string') || (continueToken !== undefined && typeof continueToken !== 'string')) {
    throw new CapiMcpError(ErrorCode.InvalidInput, 'cursor is not one that list_clusters returned', { hint: 'omit cursor to start from the first page' });
  }
  return { ...(namespace ? { namespace } : {}), ...(continueToken ? { continueToken } : {}) };
}
