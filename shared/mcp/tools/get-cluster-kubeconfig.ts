/**
 * get_cluster_kubeconfig: a kubeconfig for the workload cluster — token-based for EKS clusters, else the
 * admin certificate — and which of the two it is. Sensitive: a credential (needs the kubeconfig scope).
 */
import { z } from 'zod';
import { getCluster } from '../../kube/discovery.ts';
import { userKubeconfigOf } from '../../providers/registry.ts';
import { defineTool } from '../tool.ts';
import { managementClusterArg, nameArg, namespaceArg, toolInput, toolOutput } from '../arguments.ts';

const inputSchema = toolInput(z.object({ namespace: namespaceArg, name: nameArg, management_cluster: managementClusterArg }));

const outputSchema = toolOutput(z.object({ kubeconfig: z.string(), credential: z.enum(['aws-iam-token', 'admin-certificate', 'bearer-token']) }));

const notes = {
  'aws-iam-token': '# credential: short-lived AWS IAM tokens minted by the exec plugin from your own AWS identity',
  'admin-certificate': '# credential: the cluster admin client certificate (long-lived; keep it secret)',
  'bearer-token': '# credential: a bearer token written by the cluster\'s provider (keep it secret)',
} as const;

export const getClusterKubeconfig = defineTool({
  name: 'get_cluster_kubeconfig',
  title: 'Get cluster kubeconfig',
  description:
    "SENSITIVE: a kubeconfig for the workload cluster (IAM-token based for EKS, else the provider's admin credential; says which); call only when the user needs kubectl access.",
  inputSchema,
  outputSchema,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  sensitive: true,
  async handler(args, deps) {
    const kube = deps.clusters.client(args.management_cluster);
    const cluster = await getCluster(kube, args.namespace, args.name);
    // Note: workload-kubeconfig.ts is imported on the call, not with this module: it brings the YAML
    // parser (kube/kubeconfig.ts), which a cold start that answers only discovery and tools/list would
    // otherwise load and compile.
    const { readUserKubeconfig } = await import('../../kube/workload-kubeconfig.ts');
    const { kubeconfig, credential } = await readUserKubeconfig(kube, cluster, userKubeconfigOf(cluster));
    const note = notes[credential];
    return { structured: { kubeconfig, credential }, text: `${note}\n${kubeconfig}` };
  },
});
