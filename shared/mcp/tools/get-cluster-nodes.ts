/** get_cluster_nodes: the workload cluster's Nodes, reached through its `<cluster>-kubeconfig` Secret. */
import { z } from 'zod';
import { ageSeconds, formatAge } from '../../capi/age.ts';
import { count, outputObject } from '../../capi/schemas.ts';
import { isTrue } from '../../capi/conditions.ts';
import { CapiMcpError, ErrorCode, messageOf } from '../../errors.ts';
import type { KubeObject } from '../../kube/client.ts';
import { getCluster } from '../../kube/discovery.ts';
import { workloadClient } from '../../kube/management-clusters.ts';
import { readWorkloadAccess } from '../../kube/workload-kubeconfig.ts';
import { defineTool } from '../tool.ts';
import { managementClusterArg, nameArg, namespaceArg, toolInput, toolOutput } from './common.ts';

const inputSchema = toolInput(z.object({ namespace: namespaceArg, name: nameArg, management_cluster: managementClusterArg }));

const nodeSchema = outputObject({
  name: z.string(),
  roles: z.array(z.string()),
  ready: z.boolean(),
  kubeletVersion: z.string().optional(),
  internalIP: z.string().optional(),
  ageSeconds: count.optional(),
});

const outputSchema = toolOutput(z.object({ nodes: z.array(nodeSchema) }));

export const getClusterNodes = defineTool({
  name: 'get_cluster_nodes',
  title: 'Get cluster nodes',
  description: "List the workload cluster's Nodes, read from its own API server.",
  inputSchema,
  outputSchema,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(args, deps) {
    const kube = deps.clusters.client(args.management_cluster);
    const cluster = await getCluster(kube, args.namespace, args.name);
    const access = await readWorkloadAccess(kube, cluster);
    let items: KubeObject[];
    try {
      items = await workloadClient(access).listNodes();
    } catch (error) {
      // Note: the workload client's errors carry a status or an error code only, never the peer's text.
      throw new CapiMcpError(ErrorCode.Upstream, `the API server of cluster ${args.namespace}/${args.name} did not list its Nodes: ${messageOf(error)}`, {
        hint: 'call get_cluster to check that its control plane is ready',
      });
    }
    const now = deps.now();
    const nodes = items.map((n) => toNode(n, now)).sort((a, b) => a.name.localeCompare(b.name));
    const text = nodes.length
      ? nodes.map((n) => `${n.name} ${n.ready ? 'Ready' : 'NotReady'} ${n.roles.join(',') || '<none>'} ${n.kubeletVersion ?? '?'} ${n.internalIP ?? '-'} ${formatAge(n.ageSeconds)}`).join('\n')
      : 'no nodes yet';
    return { structured: { nodes }, text };
  },
});

function toNode(node: KubeObject, now: Date): z.output<typeof nodeSchema> {
  const roles = Object.keys(node.metadata.labels ?? {})
    .filter((l) => l.startsWith('node-role.kubernetes.io/'))
    .map((l) => l.slice('node-role.kubernetes.io/'.length))
    .filter(Boolean);
  const addresses = (node.status?.addresses ?? []) as { type: string; address: string }[];
  const internalIP = addresses.find((a) => a.type === 'InternalIP')?.address;
  const age = ageSeconds(node.metadata.creationTimestamp, now);
  return {
    name: node.metadata.name,
    roles,
    ready: isTrue(node, 'Ready'),
    ...(node.status?.nodeInfo?.kubeletVersion ? { kubeletVersion: node.status.nodeInfo.kubeletVersion } : {}),
    ...(internalIP ? { internalIP } : {}),
    ...(age !== undefined ? { ageSeconds: age } : {}),
  };
}
