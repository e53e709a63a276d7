/**
 * list_clusters: one page of Cluster summaries, paginated by the API server's own limit/continue — per
 * namespace for a caller limited to namespaces (shared/kube/paged-list.ts) — behind a sealed cursor.
 */
import { z } from 'zod';
import { clusterSummarySchema, count } from '../schemas.ts';
import { clusterRow, summarizeCluster, summaryFields } from '../../capi/summary.ts';
import { CapiMcpError, ErrorCode, wrapError } from '../../errors.ts';
import { Kinds } from '../../kube/kinds.ts';
import { listPage, type PagePosition } from '../../kube/paged-list.ts';
import { defineTool } from '../tool.ts';
import { managementClusterArg, namespaceArg, toolInput, toolOutput } from '../arguments.ts';

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
    management_cluster: managementClusterArg,
  }),
);

const outputSchema = toolOutput(
  z.object({
    clusters: z.array(clusterSummarySchema),
    next_cursor: z.string().optional(),
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
    // A limited caller (its key, or the server-wide limit) is answered from its namespaces alone, in one
    // fixed order, so that no continue token, count or text describes a cluster elsewhere.
    const limited = deps.caller.namespaces ? [...new Set(deps.caller.namespaces)].sort() : undefined;
    const namespaces = args.namespace ? [args.namespace] : limited;
    const query = [args.management_cluster ?? '', args.namespace ?? '', limited ?? '*', args.label_selector ?? '', args.limit, args.phase ?? ''];
    const from = args.cursor ? positionOf(deps.cursors.open('list_clusters', query, args.cursor)) : undefined;
    const kube = deps.clusters.client(args.management_cluster);
    let page;
    try {
      page = await listPage(kube, Kinds.Cluster, {
        ...(namespaces ? { namespaces } : {}),
        ...(args.label_selector ? { labelSelector: args.label_selector } : {}),
        limit: args.limit,
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

/** The page position a cursor was sealed with (authenticated, so only its shape is checked). */
function positionOf(state: unknown): PagePosition {
  const { namespace, continueToken } = (state ?? {}) as Record<string, unknown>;
  if ((namespace !== undefined && typeof namespace !== 'string') || (continueToken !== undefined && typeof continueToken !== 'string')) {
    throw new CapiMcpError(ErrorCode.InvalidInput, 'cursor is not one that list_clusters returned', { hint: 'omit cursor to start from the first page' });
  }
  return { ...(namespace ? { namespace } : {}), ...(continueToken ? { continueToken } : {}) };
}
