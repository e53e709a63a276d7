/**
 * Fetches everything `get_cluster` shows, then hands plain objects to the pure tree builder. One GET for
 * the Cluster, one LIST per CAPI kind filtered by the cluster-name label, one GET per contract reference
 * (infrastructure cluster, control plane) and one LIST of Warning events — all issued in parallel after
 * the Cluster is read. Never one call per Machine.
 */
import type { ClusterObjects } from '../capi/tree.ts';
import { CapiMcpError, ErrorCode, isNotFound, wrapError } from '../errors.ts';
import { getIfExists, type KubeClient, type KubeObject } from './client.ts';
import { clusterNameLabel, Kinds } from './kinds.ts';

export interface DiscoveredCluster extends ClusterObjects {
  /** Warning events whose involved object is one of the discovered objects, newest first. */
  readonly warnings: readonly KubeObject[];
}

export async function discoverCluster(kube: KubeClient, namespace: string, name: string): Promise<DiscoveredCluster> {
  const cluster = await getCluster(kube, namespace, name);
  const byLabel = { namespace, labelSelector: `${clusterNameLabel}=${name}` };
  const listAll = async (ref: (typeof Kinds)[keyof typeof Kinds]) => (await kube.list(ref, byLabel)).items;
  try {
    const [infrastructure, controlPlane, machineDeployments, machineSets, machinePools, machines, events] = await Promise.all([
      getReferenced(kube, namespace, cluster.spec?.infrastructureRef),
      getReferenced(kube, namespace, cluster.spec?.controlPlaneRef),
      listAll(Kinds.MachineDeployment),
      listAll(Kinds.MachineSet),
      listAll(Kinds.MachinePool),
      listAll(Kinds.Machine),
      kube.listEvents(namespace, 'type=Warning'),
    ]);
    const objects = [cluster, infrastructure, controlPlane, ...machineDeployments, ...machineSets, ...machinePools, ...machines];
    const uids = new Set(objects.map((o) => o?.metadata.uid).filter(Boolean));
    const warnings = events
      .filter((e) => uids.has((e.involvedObject as { uid?: string } | undefined)?.uid))
      .sort((a, b) => eventTime(b) - eventTime(a));
    return {
      cluster,
      ...(infrastructure ? { infrastructure } : {}),
      ...(controlPlane ? { controlPlane } : {}),
      machineDeployments,
      machineSets,
      machinePools,
      machines,
      warnings,
    };
  } catch (error) {
    throw wrapError(`failed to describe cluster ${namespace}/${name}`, error);
  }
}

/** The Cluster, or NotFound with the next step for the agent. */
export async function getCluster(kube: KubeClient, namespace: string, name: string): Promise<KubeObject> {
  try {
    return await kube.get(Kinds.Cluster, namespace, name);
  } catch (error) {
    if (isNotFound(error)) {
      throw new CapiMcpError(ErrorCode.NotFound, `cluster ${namespace}/${name} not found`, {
        hint: 'call list_clusters to see the clusters that exist',
        cause: error,
      });
    }
    throw wrapError(`failed to get cluster ${namespace}/${name}`, error);
  }
}

/** A v1beta2 contract reference ({apiGroup, kind, name}); undefined when unset or not created yet. */
async function getReferenced(
  kube: KubeClient,
  namespace: string,
  ref: { apiGroup?: string; kind?: string; name?: string } | undefined,
): Promise<KubeObject | undefined> {
  if (!ref?.apiGroup || !ref.kind || !ref.name) return undefined;
  let resource;
  try {
    resource = await kube.resolve(ref.apiGroup, ref.kind);
  } catch (error) {
    if (isNotFound(error)) return undefined; // the kind is not served (yet)
    throw error;
  }
  const found = await getIfExists(kube, resource, namespace, ref.name);
  return found && { ...found, kind: ref.kind };
}

function eventTime(event: KubeObject): number {
  const e = event as { lastTimestamp?: string; eventTime?: string; metadata: { creationTimestamp?: string } };
  return Date.parse(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? '') || 0;
}
