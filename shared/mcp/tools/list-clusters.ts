/**
 * list_clusters: one page of Cluster summaries, paginated by the API server's own limit/continue — per
 * namespace for a caller limited to namespaces (shared/kube/paged-list.ts) — behind a sealed cursor.
 * With `management_cluster: "*"` the page walks every management cluster the key may use, in their
 * configured order, each row naming its own; one that fails is a row of `unreachable` and the walk goes on
 * (shared/mcp/fleet.ts, the walk's one home).
 */
import { z } from 'zod';
import { clusterSummaryFields, count, listedByFieldNames } from '../schemas.ts';
import { clusterRow, summarizeCluster } from '../../capi/summary.ts';
import { defineTool } from '../tool.ts';
import { fleetManagementClusterArg, namespaceArg, toolInput, toolOutput } from '../arguments.ts';
import { fleetPage, namespacesOf, pageOf, positionOf } from '../fleet.ts';
import { everyManagementCluster } from '../invoke.ts';

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
    if (args.management_cluster === everyManagementCluster) return fleetPage(args, deps);
    const { limited, namespaces } = namespacesOf(deps, args.namespace);
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
