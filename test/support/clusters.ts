/**
 * Fixture Clusters on the test sandbox: real objects the real controllers act on. `provisionedCluster`
 * waits until CAPI reports it Available; `stuckCluster` references an infrastructure object that never
 * exists, so it stays Pending with InfrastructureReady False — a cluster that is truly not ready.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { inMemoryClusterClass, inMemoryTopologyCluster } from '../../sandbox/recipe.ts';
import type { TestNamespace } from './sandbox.ts';
import { eventually } from './wait.ts';

type Obj = KubernetesObject & { spec?: any; status?: any };

/** The Cluster's Available condition (the first of that type, as CAPI and capi-mcp read it), if it has one. */
export function availableCondition(cluster: Obj): { status?: string; reason?: string; message?: string } | undefined {
  return (cluster.status?.conditions ?? []).find((c: any) => c?.type === 'Available');
}

/** Whether the Cluster reads Available: its Available condition is True. */
export function isAvailable(cluster: Obj): boolean {
  return availableCondition(cluster)?.status === 'True';
}

export function topologyCluster(ns: string, name: string, workers: number, controlPlane = 1): Obj {
  return inMemoryTopologyCluster(ns, name, workers, controlPlane);
}

export function stuckCluster(ns: string, name: string, labels: Record<string, string> = {}): Obj {
  return {
    apiVersion: 'cluster.x-k8s.io/v1beta2',
    kind: 'Cluster',
    metadata: { name, namespace: ns, labels },
    spec: { infrastructureRef: { apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'DevCluster', name: `${name}-missing` } },
  };
}

/** Creates a topology Cluster and waits until it is Available with all Machines ready. */
export async function provisionedCluster(ns: TestNamespace, name: string, workers: number): Promise<Obj> {
  await ns.objects.create(topologyCluster(ns.name, name, workers));
  return eventually(`cluster ${name} Available`, async () => {
    const c = (await ns.objects.read({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name, namespace: ns.name } })) as Obj;
    const ready = c.status?.workers?.readyReplicas === workers && c.status?.controlPlane?.readyReplicas === 1;
    return { done: isAvailable(c) && ready, value: c, seen: `phase=${c.status?.phase} workers=${JSON.stringify(c.status?.workers)}` };
  });
}

/**
 * Cluster `name` once it reads Available. Note: a converged Cluster can read not Available for a moment on a
 * loaded machine (KCP: "Waiting for etcd to report the list of members" while the simulated etcd is slow to
 * answer; seen with eight test files at a time), so a test checking that a converged Cluster is Available
 * waits such a flap out instead of failing on the moment it read.
 */
export async function availableCluster(ns: TestNamespace, name: string, timeoutMs = 30_000): Promise<Obj> {
  return eventually(`cluster ${name} Available`, async () => {
    const c = (await ns.objects.read({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name, namespace: ns.name } })) as Obj;
    return { done: isAvailable(c), value: c, seen: JSON.stringify(availableCondition(c)) };
  }, { timeoutMs, intervalMs: 1000 });
}

/**
 * Cluster `name` once capi-manager has taken it on and reported it: its finalizer (a non-status entry of
 * capi-manager) and its first status (a phase, an Available condition with a reason). Each comes from a
 * reconcile of its own when the controller gets to it — seconds after the create on a loaded machine — so a
 * test that compares reads of a new fixture made moments apart, or snapshots one it must leave untouched,
 * starts from here (then `settled`, for the controllers' later writes).
 */
export async function reportedCluster(ns: TestNamespace, name: string, timeoutMs = 60_000): Promise<Obj> {
  return eventually(`capi-manager to take Cluster ${name} on and report it`, async () => {
    const c = (await ns.objects.read({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name, namespace: ns.name } })) as Obj;
    const managers = (c.metadata?.managedFields ?? []).filter((f) => f.subresource !== 'status').map((f) => f.manager);
    const reported = c.status?.phase !== undefined && availableCondition(c)?.reason !== undefined;
    return { done: managers.includes('capi-manager') && reported, value: c, seen: JSON.stringify({ managers, phase: c.status?.phase, available: availableCondition(c) }) };
  }, { timeoutMs, intervalMs: 500 });
}

/** Objects of `kind` in the namespace that belong to cluster `name` (read with the admin client). */
export async function clusterObjects(ns: TestNamespace, kind: string, name: string): Promise<Obj[]> {
  const list = await ns.objects.list('cluster.x-k8s.io/v1beta2', kind, ns.name, undefined, undefined, undefined, undefined, `cluster.x-k8s.io/cluster-name=${name}`);
  return list.items as Obj[];
}

/**
 * A cluster without a ClusterClass, the way clusters were built before topologies: a DevCluster, a
 * KubeadmControlPlane and one MachineDeployment (`<name>-md-0`) written out from the in-memory
 * ClusterClass's own templates in the namespace (installClusterClass first). Resolves once created.
 */
export async function classicCluster(ns: TestNamespace, name: string, workers: number, controlPlane = 1): Promise<void> {
  const read = (apiVersion: string, kind: string, templateName: string) =>
    ns.objects.read({ apiVersion, kind, metadata: { name: templateName, namespace: ns.name } }) as Promise<Obj>;
  const devClusterTemplate = await read('infrastructure.cluster.x-k8s.io/v1beta2', 'DevClusterTemplate', 'in-memory-cluster');
  const kcpTemplate = await read('controlplane.cluster.x-k8s.io/v1beta2', 'KubeadmControlPlaneTemplate', 'in-memory-control-plane');
  const version = inMemoryClusterClass.kubernetesVersion;
  const labels = { 'cluster.x-k8s.io/cluster-name': name, 'capi-mcp.io/pool': 'md-0' };
  const objects: Obj[] = [
    {
      apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2',
      kind: 'DevCluster',
      // Note: CAPD's in-memory backend writes an annotation into a map it assumes exists (it panics on a
      // DevCluster without annotations); a topology's clones always carry some, so this one does too.
      metadata: { name, namespace: ns.name, annotations: { 'capi-mcp.io/fixture': 'classic' } },
      spec: devClusterTemplate.spec.template.spec,
    },
    {
      apiVersion: 'controlplane.cluster.x-k8s.io/v1beta2',
      kind: 'KubeadmControlPlane',
      metadata: { name, namespace: ns.name },
      spec: {
        ...kcpTemplate.spec.template.spec,
        replicas: controlPlane,
        version,
        machineTemplate: { spec: { infrastructureRef: { apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'DevMachineTemplate', name: 'in-memory-control-plane' } } },
      },
    },
    {
      apiVersion: 'cluster.x-k8s.io/v1beta2',
      kind: 'MachineDeployment',
      metadata: { name: `${name}-md-0`, namespace: ns.name, labels: { 'cluster.x-k8s.io/cluster-name': name } },
      spec: {
        clusterName: name,
        replicas: workers,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            clusterName: name,
            version,
            bootstrap: { configRef: { apiGroup: 'bootstrap.cluster.x-k8s.io', kind: 'KubeadmConfigTemplate', name: 'in-memory-default-worker-bootstraptemplate' } },
            infrastructureRef: { apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'DevMachineTemplate', name: 'in-memory-default-worker-machinetemplate' },
          },
        },
      },
    },
    {
      apiVersion: 'cluster.x-k8s.io/v1beta2',
      kind: 'Cluster',
      metadata: { name, namespace: ns.name },
      spec: {
        infrastructureRef: { apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'DevCluster', name },
        controlPlaneRef: { apiGroup: 'controlplane.cluster.x-k8s.io', kind: 'KubeadmControlPlane', name },
      },
    },
  ];
  for (const obj of objects) await ns.objects.create(obj);
}

/** create_cluster arguments for the sandbox's in-memory ClusterClass: 1 control plane, one worker pool `md-0`. */
export function inMemoryCreateArgs(namespace: string, name: string, overrides: Record<string, any> = {}): Record<string, any> {
  return {
    namespace,
    name,
    cluster_class: 'in-memory',
    kubernetes_version: inMemoryClusterClass.kubernetesVersion,
    control_plane_replicas: 1,
    workers: [{ class: 'default-worker', name: 'md-0', replicas: 1 }],
    ...overrides,
  };
}
