/** A cluster's pools as the operations read them: its MachineDeployments, and the count a pool must keep. */
import type { KubeClient, KubeObject } from '../../kube/client.ts';
import { clusterNameLabel, Kinds } from '../../kube/kinds.ts';
import { machineDeploymentOfPool } from '../../capi/machine-impact.ts';

/** The cluster's MachineDeployments (one LIST by the cluster-name label). */
export async function machineDeploymentsOf(kube: KubeClient, namespace: string, name: string): Promise<KubeObject[]> {
  return (await kube.list(Kinds.MachineDeployment, { namespace, labelSelector: `${clusterNameLabel}=${name}` })).items;
}

/**
 * The desired count of `pool` (machine-impact.ts, poolOf): the control plane's from the Cluster's status,
 * a worker pool's from its MachineDeployment (by topology name, else by name). Undefined when unknown.
 */
export async function desiredOfPool(kube: KubeClient, cluster: KubeObject, pool: string | undefined): Promise<number | undefined> {
  if (pool === undefined) return undefined;
  if (pool === 'control plane') return cluster.status?.controlPlane?.desiredReplicas as number | undefined;
  const mds = await machineDeploymentsOf(kube, cluster.metadata.namespace!, cluster.metadata.name);
  return machineDeploymentOfPool(mds, pool)?.spec?.replicas as number | undefined;
}
