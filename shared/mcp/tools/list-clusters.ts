/** list_clusters: one page of Cluster summaries, paginated by the API server's own limit/continue. */
import { z } from 'zod';
import { clusterSummarySchema, count } from '../../capi/schemas.ts';
import { clusterRow, summarizeCluster } from '../../capi/summary.ts';
import { CapiMcpError, ErrorCode, wrapError } from '../../errors.ts';
import { mayUseNamespace } from '../../auth/scopes.ts';
import { Kinds } from '../../kube/kinds.ts';
import { defineTool } from '../tool.ts';
import { managementClusterArg, namespaceArg, toolInput, toolOutput } from './common.ts';

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
    scanned: count.describe('Clusters read before the phase filter'),
  }),
);

interface CursorState {
  readonly continueToken: string;
  /** The query the cursor belongs to, so it cannot be replayed against another one. */
  readonly query: string;
}

export const listClusters = defineTool({
  name: 'list_clusters',
  title: 'List clusters',
  description:
    'List Cluster API clusters with phase, version, readiness and why each is not available; paginated by next_cursor.',
  inputSchema,
  outputSchema,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(args, deps) {
    // A key limited to one namespace lists that one; limited to several, rows elsewhere are dropped below.
    const only = args.namespace ?? (deps.caller.namespaces?.length === 1 ? deps.caller.namespaces[0] : undefined);
    const query = JSON.stringify([args.management_cluster ?? '', only ?? '', args.label_selector ?? '', args.limit]);
    const continueToken = args.cursor ? decodeCursor(args.cursor, query) : undefined;
    const kube = deps.clusters.client(args.management_cluster);
    let page;
    try {
      page = await kube.list(Kinds.Cluster, {
        ...(only ? { namespace: only } : {}),
        ...(args.label_selector ? { labelSelector: args.label_selector } : {}),
        limit: args.limit,
        ...(continueToken ? { continueToken } : {}),
      });
    } catch (error) {
      if (continueToken && (error as { cause?: { code?: number } }).cause?.code === 410) {
        throw new CapiMcpError(ErrorCode.InvalidInput, 'the cursor has expired (the listing is too old)', {
          hint: 'call list_clusters again without cursor to restart from the first page',
        });
      }
      throw wrapError('failed to list clusters', error);
    }
    const now = deps.now();
    const summaries = page.items
      .filter((c) => mayUseNamespace(deps.caller, c.metadata.namespace ?? ''))
      .map((c) => summarizeCluster(c, now))
      .filter((s) => !args.phase || s.phase === args.phase);
    const nextCursor = page.continueToken ? encodeCursor({ continueToken: page.continueToken, query }) : undefined;
    const lines = summaries.map(clusterRow);
    if (summaries.length === 0) lines.push(args.phase && page.items.length > 0 ? `no ${args.phase} clusters on this page` : 'no clusters');
    if (nextCursor) lines.push(`more: call list_clusters with cursor="${nextCursor}"`);
    return {
      structured: { clusters: summaries, ...(nextCursor ? { next_cursor: nextCursor } : {}), scanned: page.items.length },
      text: lines.join('\n'),
    };
  },
});

function encodeCursor(state: CursorState): string {
  return Buffer.from(JSON.stringify(state)).toString('base64url');
}

function decodeCursor(cursor: string, query: string): string {
  let state: Partial<CursorState> | undefined;
  try {
    state = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorState>;
  } catch {
    state = undefined;
  }
  if (typeof state?.continueToken !== 'string' || typeof state.query !== 'string') {
    throw new CapiMcpError(ErrorCode.InvalidInput, 'cursor is not one that list_clusters returned', {
      hint: 'pass next_cursor from the previous page unchanged, or omit cursor',
    });
  }
  if (state.query !== query) {
    throw new CapiMcpError(ErrorCode.InvalidInput, 'cursor belongs to a listing with other arguments', {
      hint: 'repeat namespace, label_selector, limit and management_cluster of the first call, or omit cursor',
    });
  }
  return state.continueToken;
}
