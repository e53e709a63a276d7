/** get_cluster_nodes: the workload cluster's Nodes, reached through its `<cluster>-kubeconfig` Secret. */
import { isIP } from 'node:net';
import { z } from 'zod';
import { ageSeconds, formatAge } from '../../capi/age.ts';
import { count, listedByFieldNames } from '../schemas.ts';
import { isTrue } from '../../capi/conditions.ts';
import { CapiMcpError, ErrorCode, messageOf } from '../../errors.ts';
import type { KubeObject } from '../../kube/client.ts';
import { getCluster } from '../../kube/discovery.ts';
import { workloadClient } from '../../kube/management-clusters.ts';
import { defineTool } from '../tool.ts';
import { managementClusterArg, nameArg, namespaceArg, toolInput, toolOutput } from '../arguments.ts';

const inputSchema = toolInput(z.object({ namespace: namespaceArg, name: nameArg, management_cluster: managementClusterArg }));

const nodeSchema = listedByFieldNames(z.object({
  name: z.string(),
  roles: z.array(z.string()),
  ready: z.boolean(),
  kubeletVersion: z.string().optional(),
  internalIP: z.string().optional(),
  ageSeconds: count.optional(),
}));

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
    // Note: workload-kubeconfig.ts is imported on the call, not with this module: it brings the YAML
    // parser (kube/kubeconfig.ts), which a cold start that answers only discovery and tools/list would
    // otherwise load and compile.
    const { readWorkloadAccess } = await import('../../kube/workload-kubeconfig.ts');
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
    // Note: a workload cluster's Nodes are its owner's data: shaped and bounded before they are answered.
    const nodes = items.slice(0, maxNodes).map((n) => toNode(n, now)).sort((a, b) => a.name.localeCompare(b.name));
    const text = nodes.length
      ? nodes.map((n) => `${n.name} ${n.ready ? 'Ready' : 'NotReady'} ${n.roles.join(',') || '<none>'} ${n.kubeletVersion ?? '?'} ${n.internalIP ?? '-'} ${formatAge(n.ageSeconds)}`).join('\n')
      : 'no nodes yet';
    return { structured: { nodes }, text };
  },
});

/** More Nodes than Kubernetes supports in one cluster (5,000) are not listed. */
const maxNodes = 5_000;
const nodeName = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const version = /^v?[0-9A-Za-z.+-]{1,64}$/;

function toNode(node: KubeObject, now: Date): z.output<typeof nodeSchema> {
  const roles = Object.keys(node.metadata.labels ?? {})
    .filter((l) => l.startsWith('node-role.kubernetes.io/'))
    .map((l) => l.slice('node-role.kubernetes.io/'.length))
    .filter((r) => r.length > 0 && r.length <= 63)
    .slice(0, 8);
  const addresses = (Array.isArray(node.status?.addresses) ? node.status.addresses : []) as { type?: unknown; address?: unknown }[];
  const address = addresses.find((a) => a?.type === 'InternalIP')?.address;
  const internalIP = typeof address === 'string' && isIP(address) ? address : undefined;
  const kubelet = node.status?.nodeInfo?.kubeletVersion;
  const age = ageSeconds(node.metadata.creationTimestamp, now);
  return {
    name: typeof node.metadata?.name === 'string' && nodeName.test(node.metadata.name) ? node.metadata.name : '<invalid name>',
    roles,
    ready: isTrue(node, 'Ready'),
    ...(typeof kubelet === 'string' && version.test(kubelet) ? { kubeletVersion: kubelet } : {}),
    ...(internalIP ? { internalIP } : {}),
    ...(age !== undefined ? { ageSeconds: age } : {}),
  };
}
