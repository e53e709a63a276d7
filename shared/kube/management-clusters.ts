/**
 * The named management clusters a server instance can reach, each behind one KubeClient created on first
 * use and reused for the life of the process (a warm Lambda container keeps its connections).
 *
 * Note: a client is returned at once and built on its first call (client-node loaded, the kubeconfig
 * read), so a process that only answers discovery and tools/list never loads client-node or the AWS SDK.
 */
import { readFileSync } from 'node:fs';
import type { InClusterConfig, ManagementClusterConfig, ManagementClusterTarget } from '../config/config.ts';
import { CapiMcpError, ErrorCode } from '../errors.ts';
import { deferredKubeClient, kubeClientFrom, once, type KubeClient } from './client.ts';
import type { ParsedKubeconfig } from './kubeconfig.ts';

export interface ManagementClusters {
  /** Configured names, the default first. */
  readonly names: readonly string[];
  /** The client of `name`, or of the default when `name` is undefined. */
  client(name?: string): KubeClient;
}

export function managementClusters(configs: readonly ManagementClusterTarget[]): ManagementClusters {
  const clients = new Map<string, KubeClient>();
  const names = configs.map((c) => c.name);
  return {
    names,
    client(name) {
      const config = name === undefined ? configs[0] : configs.find((c) => c.name === name);
      if (!config) {
        throw new CapiMcpError(ErrorCode.InvalidInput, `unknown management cluster "${name}"`, {
          hint: `use one of: ${names.join(', ')}`,
        });
      }
      let client = clients.get(config.name);
      if (!client) {
        client = deferredKubeClient(
          once(() => ('eks' in config ? eksClient(config.eks) : 'inCluster' in config ? inClusterClient(config.inCluster) : kubeconfigClient(config))),
        );
        clients.set(config.name, client);
      }
      return client;
    },
  };
}

async function kubeconfigClient(config: Extract<ManagementClusterConfig, { kubeconfig: string }>): Promise<KubeClient> {
  const { disablesCompression } = await import('./kubeconfig.ts');
  return kubeClientFrom((kc) => {
    kc.loadFromFile(config.kubeconfig);
    if (config.context) kc.setCurrentContext(config.context);
    return { compression: !disablesCompression(readFileSync(config.kubeconfig, 'utf8'), config.context) };
  });
}

/**
 * The cluster this pod runs in, as its ServiceAccount (shared/kube/service-account-token.ts reads the token,
 * again each minute, so the kubelet's rotation of a projected token is followed).
 */
async function inClusterClient({ server, caFile, tokenFile }: InClusterConfig['inCluster']): Promise<KubeClient> {
  const { ServiceAccountToken, serviceAccountAuthProvider } = await import('./service-account-token.ts');
  const token = new ServiceAccountToken(tokenFile);
  return kubeClientFrom((kc) => {
    kc.loadFromClusterAndUser({ name: 'in-cluster', server, caFile, skipTLSVerify: false }, { name: 'in-cluster', authProvider: { name: serviceAccountAuthProvider, config: {} } });
    kc.addAuthenticator(token);
  });
}

async function eksClient({ clusterName, region }: { clusterName: string; region: string }): Promise<KubeClient> {
  const { eksKubeClient } = await import('./eks.ts');
  return eksKubeClient(clusterName, region);
}

/**
 * A KubeClient for a workload cluster from the parsed parts of its kubeconfig (shared/kube/kubeconfig.ts),
 * never from a kubeconfig text: the client library gets a server, a CA, and a certificate or token, and
 * nothing that could make it run a command, read a file or use a proxy. It reaches that server only (no
 * redirects elsewhere), verifies TLS against the cluster's CA, reads bounded answers, and its errors carry
 * no text the workload API server sent.
 */
export function workloadClient(access: ParsedKubeconfig): KubeClient {
  const c = access.credential;
  if (c.kind === 'exec') throw new CapiMcpError(ErrorCode.Upstream, 'capi-mcp never runs a kubeconfig exec plugin');
  const cluster = { name: 'workload', server: access.server, caData: access.caData, skipTLSVerify: false, ...(access.tlsServerName ? { tlsServerName: access.tlsServerName } : {}) };
  const user = c.kind === 'token' ? { name: 'workload', token: c.token } : { name: 'workload', certData: c.certData, keyData: c.keyData };
  return deferredKubeClient(
    once(() =>
      kubeClientFrom((kc) => kc.loadFromOptions({ clusters: [cluster], users: [user], contexts: [{ name: 'workload', cluster: 'workload', user: 'workload' }], currentContext: 'workload' }), {
        timeoutMs: 5_000,
        opaqueErrors: true,
        pinned: {
          origin: access.server,
          ca: pem(access.caData),
          ...(c.kind === 'client-certificate' ? { cert: pem(c.certData), key: pem(c.keyData) } : {}),
          ...(access.tlsServerName ? { servername: access.tlsServerName } : {}),
        },
      }),
    ),
  );
}

const pem = (base64: string) => Buffer.from(base64, 'base64').toString('utf8');
