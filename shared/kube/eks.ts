/**
 * A KubeClient for an EKS-hosted management cluster: DescribeCluster gives the endpoint and CA, a
 * presigned STS token (eks-token.ts) authenticates. Tokens are valid for 15 minutes, so the client is
 * rebuilt with a fresh token after 10; callers keep one KubeClient and never see the refresh.
 *
 * Note: management-clusters.ts imports this module dynamically, on the first call to an EKS-hosted
 * cluster, so the EKS client, the credential chain and the signer load only where they are used.
 */
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { CapiMcpError, ErrorCode, messageOf } from '../errors.ts';
import { deferredKubeClient, kubeClientFrom, type KubeClient } from './client.ts';
import { eksToken } from './eks-token.ts';

const tokenLifetimeMs = 10 * 60 * 1000;

export function eksKubeClient(clusterName: string, region: string): KubeClient {
  const eks = new EKSClient({ region });
  const credentials = defaultProvider();
  let current: { client: Promise<KubeClient>; expires: number } | undefined;

  async function build(): Promise<KubeClient> {
    let endpoint: string | undefined;
    let ca: string | undefined;
    try {
      const { cluster } = await eks.send(new DescribeClusterCommand({ name: clusterName }));
      endpoint = cluster?.endpoint;
      ca = cluster?.certificateAuthority?.data;
    } catch (error) {
      throw new CapiMcpError(ErrorCode.Upstream, `failed to describe EKS cluster ${clusterName} in ${region}: ${messageOf(error)}`);
    }
    if (!endpoint || !ca) throw new CapiMcpError(ErrorCode.Upstream, `EKS cluster ${clusterName} in ${region} has no endpoint yet`);
    const token = await eksToken({ clusterName, region, credentials: await credentials() });
    return kubeClientFrom((kc) =>
      kc.loadFromOptions({
        clusters: [{ name: clusterName, server: endpoint, caData: ca, skipTLSVerify: false }],
        users: [{ name: 'capi-mcp', token }],
        contexts: [{ name: clusterName, cluster: clusterName, user: 'capi-mcp' }],
        currentContext: clusterName,
      }),
    );
  }

  const client = (): Promise<KubeClient> => {
    if (!current || Date.now() > current.expires) {
      const next = { client: build(), expires: Date.now() + tokenLifetimeMs };
      // A failed build is not kept: the next call retries instead of repeating the failure for 10 minutes.
      next.client.catch(() => {
        if (current === next) current = undefined;
      });
      current = next;
    }
    return current.client;
  };

  return deferredKubeClient(client);
}
