/**
 * Where the Cluster API core kinds are served. Provider kinds (infrastructure clusters, control planes)
 * are not listed: they are reached through the contract references on a Cluster and resolved by discovery.
 */
import type { ResourceRef } from './client.ts';

const core = (kind: string, plural: string): ResourceRef => ({ group: 'cluster.x-k8s.io', version: 'v1beta2', plural, kind });

export const Kinds = {
  Cluster: core('Cluster', 'clusters'),
  ClusterClass: core('ClusterClass', 'clusterclasses'),
  MachineDeployment: core('MachineDeployment', 'machinedeployments'),
  MachineSet: core('MachineSet', 'machinesets'),
  MachinePool: core('MachinePool', 'machinepools'),
  Machine: core('Machine', 'machines'),
  MachineHealthCheck: core('MachineHealthCheck', 'machinehealthchecks'),
} as const;

/** The label CAPI puts on every object that belongs to a Cluster. */
export const clusterNameLabel = 'cluster.x-k8s.io/cluster-name';
