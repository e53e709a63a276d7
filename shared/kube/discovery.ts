/**
 * Fetches everything `get_cluster` shows, then hands plain objects to the pure tree builder. One GET for
 * the Cluster, one LIST per CAPI kind filtered by the cluster-name label, one GET per contract reference
 * (infrastructure cluster, control plane) and one LIST of Warning events. Never one call per Machine.
 *
 * The LISTs need only the cluster's name, so they start together with the Cluster GET; only the two
 * reference GETs wait for it, for the names in its spec. The Cluster's answer still decides: a missing
 * Cluster is NotFound whatever the LISTs found. A referenced object the caller may not read (RBAC on a
 * provider kind) does not fail the call: it stays in the tree with its state unknown, and a Forbidden
 * warning says why.
 */
import { CapiMcpError, ErrorCode, isNotFound, wrapError } from '../errors.ts';
import { getIfExists, type KubeClient, type KubeObject } from './client.ts';
import { clusterNameLabel, Kinds } from './kinds.ts';

/**
 * The objects of one Cluster that discovery fetches and the tree (shared/capi/tree.ts) is built from.
 * Note: it lives here, in the lower layer, so the pure builder imports the fetcher's type and not back.
 */
export interface ClusterObjects {
  readonly cluster: KubeObject;
  readonly infrastructure?: KubeObject;
  readonly controlPlane?: KubeObject;
  readonly machineDeployments: readonly KubeObject[];
  readonly machineSets: readonly KubeObject[];
  readonly machinePools: readonly KubeObject[];
  readonly machines: readonly KubeObject[];
}

export interface DiscoveredCluster extends ClusterObjects {
  /**
   * Warning events whose involved object is one of the discovered objects, newest first; before them, one
   * Warning of reason Forbidden per referenced object that could not be read.
   */
  readonly warnings: readonly KubeObject[];
}

export async function discoverCluster(kube: KubeClient, namespace: string, name: string): Promise<DiscoveredCluster> {
  const byLabel = { namespace, labelSelector: `${clusterNameLabel}=${name}` };
  const listAll = async (ref: (typeof Kinds)[keyof typeof Kinds]) => (await kube.list(ref, byLabel)).items;
  const listed = Promise.all([
    listAll(Kinds.MachineDeployment),
    listAll(Kinds.MachineSet),
    listAll(Kinds.MachinePool),
    listAll(Kinds.Machine),
    kube.listEvents(namespace, 'type=Warning'),
  ]);
  // Note: when the Cluster GET fails, its error is the answer and the LISTs' outcome is dropped; this
  // handler keeps a LIST failing meanwhile from being an unhandled rejection.
  listed.catch(() => undefined);
  const cluster = await getCluster(kube, namespace, name);
  try {
    const [infrastructure, controlPlane, [machineDeployments, machineSets, machinePools, machines, events]] = await Promise.all([
      getReferenced(kube, namespace, cluster.spec?.infrastructureRef),
      getReferenced(kube, namespace, cluster.spec?.controlPlaneRef),
      listed,
    ]);
    const objects = [cluster, infrastructure.object, controlPlane.object, ...machineDeployments, ...machineSets, ...machinePools, ...machines];
    const uids = new Set(objects.map((o) => o?.metadata.uid).filter(Boolean));
    const warnings = events
      .filter((e) => uids.has((e.involvedObject as { uid?: string } | undefined)?.uid))
      .sort((a, b) => eventTime(b) - eventTime(a));
    const unreadable = [infrastructure.unreadable, controlPlane.unreadable].filter((w) => w !== undefined);
    return {
      cluster,
      ...(infrastructure.object ? { infrastructure: infrastructure.object } : {}),
      ...(controlPlane.object ? { controlPlane: controlPlane.object } : {}),
      machineDeployments,
      machineSets,
      machinePools,
      machines,
      warnings: [...unreadable, ...warnings],
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
        next: 'see-clusters',
        cause: error,
      });
    }
    throw wrapError(`failed to get cluster ${namespace}/${name}`, error);
  }
}

interface Referenced {
  /** The object; for one the caller may not read, a stand-in with only its kind and name. */
  readonly object?: KubeObject;
  /** Why `object` is a stand-in: a Warning event of reason Forbidden about it. */
  readonly unreadable?: KubeObject;
}

/** A v1beta2 contract reference ({apiGroup, kind, name}); nothing when unset or not created yet. */
async function getReferenced(
  kube: KubeClient,
  namespace: string,
  ref: { apiGroup?: string; kind?: string; name?: string } | undefined,
): Promise<Referenced> {
  if (!ref?.apiGroup || !ref.kind || !ref.name) return {};
  const { kind, name } = ref;
  try {
    const resource = await kube.resolve(ref.apiGroup, kind).catch((error) => {
      if (isNotFound(error)) return undefined; // the kind is not served (yet)
      throw error;
    });
    const found = resource && (await getIfExists(kube, resource, namespace, name));
    return found ? { object: { ...found, kind } } : {};
  } catch (error) {
    if (!(error instanceof CapiMcpError && error.code === ErrorCode.Forbidden)) throw error;
    return {
      object: { kind, metadata: { name, namespace } },
      unreadable: {
        kind: 'Event',
        metadata: { name: `${name}.unreadable`, namespace },
        type: 'Warning',
        involvedObject: { kind, name, namespace },
        reason: 'Forbidden',
        message: `not readable with this identity, so its state is unknown: ${error.message}`,
        count: 1,
      },
    };
  }
}

function eventTime(event: KubeObject): number {
  const e = event as { lastTimestamp?: string; eventTime?: string; metadata: { creationTimestamp?: string } };
  return Date.parse(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? '') || 0;
}
