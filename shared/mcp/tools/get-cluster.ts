/** get_cluster: the summary, a clusterctl-describe-style object tree and recent Warning events. */
import { z } from 'zod';
import { clusterSummarySchema, count, listedByFieldNames } from '../schemas.ts';
import { clusterRow, summarizeCluster } from '../../capi/summary.ts';
import { buildClusterTree, renderTree, type TreeNode } from '../../capi/tree.ts';
import { warningLine, warningOf } from '../../capi/events.ts';
import { discoverCluster } from '../../kube/discovery.ts';
import { defineTool } from '../tool.ts';
import { managementClusterArg, nameArg, namespaceArg, toolInput, toolOutput } from '../arguments.ts';

const maxWarnings = 10;

const inputSchema = toolInput(z.object({ namespace: namespaceArg, name: nameArg, management_cluster: managementClusterArg }));

const treeNodeSchema = listedByFieldNames(z.object({
  kind: z.string(),
  name: z.string(),
  depth: count,
  ready: z.boolean().optional(),
  upToDate: z.boolean().optional(),
  replicas: z.string().optional().describe('ready/desired'),
  reason: z.string().optional(),
}));

const outputSchema = toolOutput(
  z.object({
    cluster: clusterSummarySchema,
    objects: z.array(treeNodeSchema).describe('Depth-first tree'),
    warnings: z.array(listedByFieldNames(z.object({ object: z.string(), reason: z.string(), message: z.string(), count, lastSeen: z.string().optional() }))),
  }),
);

export const getCluster = defineTool({
  name: 'get_cluster',
  title: 'Get cluster',
  description:
    'Explain why a cluster is or is not ready: its object tree down to Machines with failing conditions, and recent Warning events.',
  inputSchema,
  outputSchema,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(args, deps) {
    const found = await discoverCluster(deps.clusters.client(args.management_cluster), args.namespace, args.name);
    const summary = summarizeCluster(found.cluster, deps.now());
    const tree = buildClusterTree(found);
    const warnings = found.warnings.slice(0, maxWarnings).map(warningOf);
    const text = [clusterRow(summary), renderTree(tree)];
    if (warnings.length > 0) text.push('warnings:', ...warnings.map(warningLine));
    return { structured: { cluster: summary, objects: flatten(tree), warnings }, text: text.join('\n') };
  },
});

function flatten(root: TreeNode): z.output<typeof treeNodeSchema>[] {
  const out: z.output<typeof treeNodeSchema>[] = [];
  const walk = (node: TreeNode, depth: number) => {
    const { children, ...fields } = node;
    out.push({ ...fields, depth });
    children.forEach((c) => walk(c, depth + 1));
  };
  walk(root, 0);
  return out;
}
