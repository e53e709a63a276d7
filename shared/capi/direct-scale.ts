/**
 * Scaling a cluster that has no ClusterClass: its MachineDeployments and its control plane are the
 * objects to change (with a topology, the Cluster's topology is, and the topology controller owns them).
 * Pure: the Cluster, its MachineDeployments and its control-plane object in; the replica patches to
 * server-side apply, what convergence must show, and what is wrong with the request out.
 */
import type { KubeObject } from '../kube/client.ts';
import type { ChangePlan, ScaleRequest } from './change-plan.ts';
import type { ReplicaChange } from './protection.ts';

/** The plan's objects are only the replica fields, one object per changed MachineDeployment / control plane. */
export function directScaleChange(cluster: KubeObject, machineDeployments: readonly KubeObject[], controlPlane: KubeObject | undefined, request: ScaleRequest): ChangePlan {
  const problems: string[] = [];
  const patches: KubeObject[] = [];
  const replicas: ReplicaChange[] = [];
  const names = machineDeployments.map((md) => md.metadata.name);
  for (const wanted of request.workerPools ?? []) {
    const md = machineDeployments.find((m) => m.metadata.name === wanted.name);
    if (!md) problems.push(`worker pool "${wanted.name}" does not exist: without a ClusterClass, pools are the cluster's MachineDeployments (it has: ${names.join(', ') || 'none'})`);
    else {
      patches.push(replicasPatch(md, cluster.metadata.name, wanted.replicas));
      replicas.push({ target: `worker pool "${md.metadata.name}"`, from: (md.spec?.replicas as number | undefined) ?? 0, to: wanted.replicas });
    }
  }
  const currentControlPlane = controlPlane?.spec?.replicas as number | undefined;
  if (request.controlPlaneReplicas !== undefined) {
    if (!controlPlane) problems.push(`cluster ${cluster.metadata.namespace}/${cluster.metadata.name} has no control plane object to scale`);
    else if (currentControlPlane === undefined) problems.push(`its control plane (${controlPlane.kind} ${controlPlane.metadata.name}) has no replicas to set: the provider manages its size`);
    else {
      patches.push(replicasPatch(controlPlane, cluster.metadata.name, request.controlPlaneReplicas));
      replicas.push({ target: 'the control plane', from: currentControlPlane, to: request.controlPlaneReplicas });
    }
  }
  const workerReplicas = machineDeployments.reduce(
    (sum, md) => sum + (request.workerPools?.find((w) => w.name === md.metadata.name)?.replicas ?? ((md.spec?.replicas as number | undefined) ?? 0)),
    0,
  );
  return {
    problems,
    change: { action: 'scale', replicas },
    objects: patches,
    expect: {
      ...((request.controlPlaneReplicas ?? currentControlPlane) !== undefined ? { controlPlaneReplicas: request.controlPlaneReplicas ?? currentControlPlane } : {}),
      workerReplicas,
    },
  };
}

/**
 * Note: the patch names the cluster it belongs to in the cluster-name label (the value CAPI defaults on
 * a MachineDeployment) so the workflow step can check it (shared/workflows/operation.ts); applied without
 * force, a different value someone else set is a conflict, not an overwrite.
 */
function replicasPatch(obj: KubeObject, clusterName: string, replicas: number): KubeObject {
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace, labels: { 'cluster.x-k8s.io/cluster-name': clusterName } },
    spec: { replicas },
  };
}
