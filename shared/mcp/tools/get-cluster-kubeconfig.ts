/** get_cluster_kubeconfig: the workload cluster's admin kubeconfig. Sensitive: a credential. */
import { z } from 'zod';
import { getCluster } from '../../kube/discovery.ts';
import { readWorkloadKubeconfig } from '../../kube/workload-kubeconfig.ts';
import { defineTool } from '../tool.ts';
import { managementClusterArg, nameArg, namespaceArg, toolInput, toolOutput } from './common.ts';

const inputSchema = toolInput(z.object({ namespace: namespaceArg, name: nameArg, management_cluster: managementClusterArg }));

const outputSchema = toolOutput(z.object({ kubeconfig: z.string(), credential: z.literal('admin-certificate') }));

export const getClusterKubeconfig = defineTool({
  name: 'get_cluster_kubeconfig',
  title: 'Get cluster kubeconfig',
  description:
    "SENSITIVE: the workload cluster's admin kubeconfig, a credential; call only when the user needs kubectl access.",
  inputSchema,
  outputSchema,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  sensitive: true,
  async handler(args, deps) {
    const kube = deps.clusters.client(args.management_cluster);
    await getCluster(kube, args.namespace, args.name);
    const kubeconfig = await readWorkloadKubeconfig(kube, args.namespace, args.name);
    return { structured: { kubeconfig, credential: 'admin-certificate' as const }, text: kubeconfig };
  },
});
