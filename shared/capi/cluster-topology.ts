/**
 * A Cluster's managed topology as the planners read it and the patch they write to change it: only the
 * fields a change sets, server-side applied by that change's field manager. Pure and light (no schema
 * validator), so a planner that needs only these loads nothing else.
 */
import type { KubeObject } from '../kube/client.ts';

export interface MachineDeploymentTopology {
  readonly class: string;
  readonly name: string;
  readonly replicas?: number;
}

/** The topology (undefined without a ClusterClass), its worker pools and its control-plane replicas. */
export function topologyOf(cluster: KubeObject) {
  const topology = cluster.spec?.topology;
  const pools: MachineDeploymentTopology[] = topology?.workers?.machineDeployments ?? [];
  return { topology, pools, controlPlaneReplicas: topology?.controlPlane?.replicas as number | undefined };
}

/** A patch of `cluster` that sets only `topology`'s fields. */
export function patchOf(cluster: KubeObject, topology: Record<string, unknown>): KubeObject {
  return clusterPatch(cluster, { topology });
}

/** A patch of `cluster` that sets only `spec`'s fields. */
export function clusterPatch(cluster: KubeObject, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'cluster.x-k8s.io/v1beta2',
    kind: 'Cluster',
    metadata: { name: cluster.metadata.name, namespace: cluster.metadata.namespace },
    spec,
  };
}

export const noTopology = (cluster: KubeObject) =>
  `cluster ${cluster.metadata.namespace}/${cluster.metadata.name} has no managed topology (no ClusterClass); capi-mcp changes topology-managed clusters only`;
