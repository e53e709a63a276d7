/**
 * The named management clusters a server instance can reach, each behind one KubeClient created on first
 * use and reused for the life of the process (a warm Lambda container keeps its connections).
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { ManagementClusterConfig } from '../config/config.ts';
import { CapiMcpError, ErrorCode } from '../errors.ts';
import { kubeClientFor, type KubeClient } from './client.ts';
import { eksKubeClient } from './eks.ts';

export interface ManagementClusters {
  /** Configured names, the default first. */
  readonly names: readonly string[];
  /** The client of `name`, or of the default when `name` is undefined. */
  client(name?: string): KubeClient;
}

export function managementClusters(configs: readonly ManagementClusterConfig[]): ManagementClusters {
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
        client = 'eks' in config ? eksKubeClient(config.eks.clusterName, config.eks.region) : kubeClientFor(kubeConfigOf(config));
        clients.set(config.name, client);
      }
      return client;
    },
  };
}

function kubeConfigOf(config: Extract<ManagementClusterConfig, { kubeconfig: string }>): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(config.kubeconfig);
  if (config.context) kc.setCurrentContext(config.context);
  return kc;
}

/** A KubeClient for a workload cluster from the kubeconfig text of its `<cluster>-kubeconfig` Secret. */
export function workloadClient(kubeconfig: string): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfig);
  return kubeClientFor(kc, { timeoutMs: 5_000 });
}
