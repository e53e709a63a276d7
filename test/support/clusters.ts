/**
 * Fixture Clusters on the test sandbox: real objects the real controllers act on. `provisionedCluster`
 * waits until CAPI reports it Available; `stuckCluster` references an infrastructure object that never
 * exists, so it stays Pending with InfrastructureReady False — a cluster that is truly not ready.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { inMemoryClusterClass } from '../../sandbox/recipe.ts';
import type { TestNamespace } from './sandbox.ts';
import { eventually } from './wait.ts';

type Obj = KubernetesObject & { spec?: any; status?: any };

export function topologyCluster(ns: string, name: string, workers: number, controlPlane = 1): Obj {
  return {
    apiVersion: 'cluster.x-k8s.io/v1beta2',
    kind: 'Cluster',
    metadata: { name, namespace: ns },
    spec: {
      topology: {
        classRef: { name: 'in-memory' },
        version: inMemoryClusterClass.kubernetesVersion,
        controlPlane: { replicas: controlPlane },
        workers: { machineDeployments: [{ class: 'default-worker', name: 'md-0', replicas: workers }] },
      },
    },
  };
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
    const available = (c.status?.conditions ?? []).some((x: any) => x.type === 'Available' && x.status === 'True');
    const ready = c.status?.workers?.readyReplicas === workers && c.status?.controlPlane?.readyReplicas === 1;
    return { done: available && ready, value: c, seen: `phase=${c.status?.phase} workers=${JSON.stringify(c.status?.workers)}` };
  });
}

/** Objects of `kind` in the namespace that belong to cluster `name` (read with the admin client). */
export async function clusterObjects(ns: TestNamespace, kind: string, name: string): Promise<Obj[]> {
  const list = await ns.objects.list('cluster.x-k8s.io/v1beta2', kind, ns.name, undefined, undefined, undefined, undefined, `cluster.x-k8s.io/cluster-name=${name}`);
  return list.items as Obj[];
}
