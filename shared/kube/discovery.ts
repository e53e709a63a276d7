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
 *
 * For diagnose_cluster (the `diagnosis` option) it fetches more, and only then, so get_cluster keeps its
 * cost: the namespace's MachineHealthChecks of this cluster (LISTed with the others), one LIST per
 * contract kind the Machines reference as infrastructure machine or bootstrap config (by the same label,
 * once the Machines are known), and the Nodes of those Machines from the workload cluster's own API
 * server, in bounded time: a workload API server that fails or does not answer is itself evidence, a
 * Warning about the Cluster, never a failed diagnosis. A kind the caller may not LIST is left out.
 */
import { CapiMcpError, ErrorCode, isNotFound, messageOf, wrapError } from '../errors.ts';
import { getIfExists, type KubeClient, type KubeObject, type ResourceRef } from './client.ts';
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
   * Warning of reason Forbidden per referenced object that could not be read, and for a diagnosis one of
   * reason WorkloadAPIUnreachable about the Cluster when its API server did not list its Nodes.
   */
  readonly warnings: readonly KubeObject[];
  /** The Machines' infrastructure machines (DevMachine, AWSMachine, …); fetched for a diagnosis only. */
  readonly infrastructureMachines?: readonly KubeObject[];
  /** The Machines' bootstrap configs (KubeadmConfig, …); fetched for a diagnosis only. */
  readonly bootstrapConfigs?: readonly KubeObject[];
  /** MachineHealthChecks whose spec.clusterName is this cluster; fetched for a diagnosis only. */
  readonly machineHealthChecks?: readonly KubeObject[];
  /** The workload cluster's Nodes that the Machines name (status.nodeRef); absent when not read. */
  readonly nodes?: readonly KubeObject[];
}

export interface DiscoverOptions {
  /** Also fetch what a diagnosis reads (see the header). */
  readonly diagnosis?: {
    /**
     * A client of the cluster's own API server (shared/kube/workload-kubeconfig.ts): no Nodes are read
     * without one, nor when it cannot be had (no kubeconfig yet, a refused one: get_cluster_nodes says why).
     */
    readonly workload?: (cluster: KubeObject) => Promise<KubeClient>;
    /** How long the workload API server has to list its Nodes. */
    readonly workloadTimeoutMs?: number;
  };
}

/** The contract groups a Machine's references must be in to be LISTed: a Machine a tenant wrote cannot make discovery list Secrets. */
const machineRefGroups = { infrastructure: 'infrastructure.cluster.x-k8s.io', bootstrap: 'bootstrap.cluster.x-k8s.io' } as const;
/** Distinct kinds per reference LISTed at most, whatever the Machines name. */
const maxRefKinds = 4;
const defaultWorkloadTimeoutMs = 5_000;

export async function discoverCluster(kube: KubeClient, namespace: string, name: string, options: DiscoverOptions = {}): Promise<DiscoveredCluster> {
  const byLabel = { namespace, labelSelector: `${clusterNameLabel}=${name}` };
  const listAll = async (ref: ResourceRef) => (await kube.list(ref, byLabel)).items;
  const machinesListed = listAll(Kinds.Machine);
  const { diagnosis } = options;
  const extras = diagnosis && diagnosisExtras(kube, namespace, name, machinesListed);
  const listed = Promise.all([
    listAll(Kinds.MachineDeployment),
    listAll(Kinds.MachineSet),
    listAll(Kinds.MachinePool),
    machinesListed,
    kube.listEvents(namespace, 'type=Warning'),
    extras,
  ]);
  // Note: when the Cluster GET fails, its error is the answer and the LISTs' outcome is dropped; this
  // handler keeps a LIST failing meanwhile from being an unhandled rejection.
  listed.catch(() => undefined);
  const cluster = await getCluster(kube, namespace, name);
  try {
    const [infrastructure, controlPlane, [machineDeployments, machineSets, machinePools, machines, events, extra], workload] = await Promise.all([
      getReferenced(kube, namespace, cluster.spec?.infrastructureRef),
      getReferenced(kube, namespace, cluster.spec?.controlPlaneRef),
      listed,
      diagnosis?.workload ? workloadNodes(cluster, diagnosis.workload, diagnosis.workloadTimeoutMs ?? defaultWorkloadTimeoutMs) : ({} as WorkloadNodes),
    ]);
    const objects = [cluster, infrastructure.object, controlPlane.object, ...machineDeployments, ...machineSets, ...machinePools, ...machines];
    if (extra) objects.push(...extra.infrastructureMachines, ...extra.bootstrapConfigs, ...extra.machineHealthChecks);
    const uids = new Set(objects.map((o) => o?.metadata.uid).filter(Boolean));
    const warnings = events
      .filter((e) => uids.has((e.involvedObject as { uid?: string } | undefined)?.uid))
      .sort((a, b) => eventTime(b) - eventTime(a));
    const unreadable = [infrastructure.unreadable, controlPlane.unreadable, workload.unreachable].filter((w) => w !== undefined);
    // Note: only the Nodes the Machines name are kept; the rest of a workload cluster is not this answer's.
    const nodeNames = new Set(machines.map((m) => m.status?.nodeRef?.name).filter((n) => typeof n === 'string'));
    return {
      ...(extra ?? {}),
      ...(workload.nodes ? { nodes: workload.nodes.filter((n) => nodeNames.has(n.metadata?.name)) } : {}),
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

interface DiagnosisExtras {
  readonly infrastructureMachines: readonly KubeObject[];
  readonly bootstrapConfigs: readonly KubeObject[];
  readonly machineHealthChecks: readonly KubeObject[];
}

/** The objects a diagnosis reads beside get_cluster's: health checks at once, the Machines' references once the Machines are known. */
async function diagnosisExtras(kube: KubeClient, namespace: string, name: string, machinesListed: Promise<KubeObject[]>): Promise<DiagnosisExtras> {
  const checks = unlessForbidden(kube.list(Kinds.MachineHealthCheck, { namespace }).then((r) => r.items));
  // Note: when the Machines' LIST fails, its error is the answer; this keeps the checks' from going unhandled.
  checks.catch(() => undefined);
  const machines = await machinesListed;
  const byLabel = { namespace, labelSelector: `${clusterNameLabel}=${name}` };
  const listRefs = async (group: string, refs: unknown[]) => {
    const kinds = new Set<string>();
    for (const r of refs as ({ apiGroup?: unknown; kind?: unknown } | undefined)[]) {
      if (r?.apiGroup === group && typeof r.kind === 'string' && /^[A-Z][A-Za-z0-9]{0,62}$/.test(r.kind)) kinds.add(r.kind);
    }
    const lists = [...kinds].slice(0, maxRefKinds).map((kind) =>
      unlessForbidden(
        kube.resolve(group, kind).then(async (resource) => (await kube.list(resource, byLabel)).items.map((o) => ({ ...o, kind }))),
      ),
    );
    return (await Promise.all(lists)).flat();
  };
  const [infrastructureMachines, bootstrapConfigs, machineHealthChecks] = await Promise.all([
    listRefs(machineRefGroups.infrastructure, machines.map((m) => m.spec?.infrastructureRef)),
    listRefs(machineRefGroups.bootstrap, machines.map((m) => m.spec?.bootstrap?.configRef)),
    checks,
  ]);
  return { infrastructureMachines, bootstrapConfigs, machineHealthChecks: machineHealthChecks.filter((c) => c.spec?.clusterName === name) };
}

/** What `read` finds, or nothing when the caller may not read it or its kind is not served: a diagnosis goes on without it. */
async function unlessForbidden(read: Promise<KubeObject[]>): Promise<KubeObject[]> {
  try {
    return await read;
  } catch (error) {
    if (isNotFound(error) || (error instanceof CapiMcpError && error.code === ErrorCode.Forbidden)) return [];
    throw error;
  }
}

/**
 * The workload cluster's Nodes, read in bounded time once its control plane is initialized. A client that
 * cannot be had is no evidence (get_cluster_nodes says why); an API server that fails or does not answer is.
 */
interface WorkloadNodes {
  readonly nodes?: KubeObject[];
  /** A Warning about the Cluster: its API server did not list its Nodes. */
  readonly unreachable?: KubeObject;
}

async function workloadNodes(cluster: KubeObject, workload: (cluster: KubeObject) => Promise<KubeClient>, timeoutMs: number): Promise<WorkloadNodes> {
  const initialized = (cluster.status?.conditions ?? []).some((c: { type?: unknown; status?: unknown }) => c?.type === 'ControlPlaneInitialized' && c.status === 'True');
  if (!initialized) return {};
  const client = await workload(cluster).catch(() => undefined);
  if (!client) return {};
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    return { nodes: await Promise.race([client.listNodes(), deadline]) };
  } catch (error) {
    const { name, namespace, uid } = cluster.metadata;
    return {
      unreachable: {
        kind: 'Event',
        metadata: { name: `${name}.workload-api`, namespace },
        type: 'Warning',
        involvedObject: { kind: 'Cluster', name, namespace, uid },
        reason: 'WorkloadAPIUnreachable',
        // Note: the workload client's errors carry a status or an error code only, never the peer's text.
        message: `the workload API server did not list its Nodes: ${messageOf(error)}`,
        count: 1,
      },
    };
  } finally {
    clearTimeout(timer);
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

/** A Machine, or NotFound with the next step for the agent. */
export async function getMachine(kube: KubeClient, namespace: string, name: string): Promise<KubeObject> {
  try {
    return await kube.get(Kinds.Machine, namespace, name);
  } catch (error) {
    if (isNotFound(error)) throw new CapiMcpError(ErrorCode.NotFound, `Machine ${namespace}/${name} not found`, { next: 'see-machines', cause: error });
    throw wrapError(`failed to get Machine ${namespace}/${name}`, error);
  }
}

/** The cluster's Machines: one LIST by the cluster-name label (CAPI labels every Machine of a cluster with it). */
export async function listClusterMachines(kube: KubeClient, namespace: string, name: string): Promise<KubeObject[]> {
  return (await kube.list(Kinds.Machine, { namespace, labelSelector: `${clusterNameLabel}=${name}` })).items;
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
