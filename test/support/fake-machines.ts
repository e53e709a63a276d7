/**
 * Machines of a topology cluster as Cluster API labels them (control plane, or a worker pool's
 * MachineDeployment and MachineSet), for the fake management cluster of test/support/fake-kube.ts.
 */
import type { KubeObject } from '../../shared/kube/client.ts';
import { uidOf } from './fake-kube.ts';

export interface FakeMachineOptions {
  readonly cluster?: string;
  readonly namespace?: string;
  /** `control plane`, or the topology pool's name. */
  readonly pool?: string;
  readonly version?: string;
  readonly created?: string;
  /** The MachineSet it belongs to; `<cluster>-<pool>-set` by default. */
  readonly set?: string;
}

export function fakeMachine(name: string, { cluster = 'demo', namespace = 'team-a', pool = 'md-0', version = 'v1.34.1', created = '2026-11-25T10:00:00Z', set }: FakeMachineOptions = {}): KubeObject {
  const labels: Record<string, string> =
    pool === 'control plane'
      ? { 'cluster.x-k8s.io/cluster-name': cluster, 'cluster.x-k8s.io/control-plane': '' }
      : {
          'cluster.x-k8s.io/cluster-name': cluster,
          'cluster.x-k8s.io/deployment-name': `${cluster}-${pool}-abcde`,
          'topology.cluster.x-k8s.io/deployment-name': pool,
          'cluster.x-k8s.io/set-name': set ?? `${cluster}-${pool}-set`,
        };
  return {
    apiVersion: 'cluster.x-k8s.io/v1beta2',
    kind: 'Machine',
    metadata: { name, namespace, uid: uidOf(name), labels, creationTimestamp: created },
    spec: { clusterName: cluster, version },
    status: { nodeRef: { name } },
  };
}

/** The MachineDeployment the topology controller made for pool `pool`, with an optional deletion order. */
export function fakeMachineDeployment(pool: string, { cluster = 'demo', namespace = 'team-a', order }: { cluster?: string; namespace?: string; order?: string } = {}): KubeObject {
  return {
    apiVersion: 'cluster.x-k8s.io/v1beta2',
    kind: 'MachineDeployment',
    metadata: { name: `${cluster}-${pool}-abcde`, namespace, uid: uidOf(`${cluster}-${pool}`), labels: { 'cluster.x-k8s.io/cluster-name': cluster, 'topology.cluster.x-k8s.io/deployment-name': pool } },
    spec: { clusterName: cluster, ...(order ? { deletion: { order } } : {}) },
  };
}
