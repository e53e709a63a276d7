/**
 * A topology-managed Cluster from what an agent asks for, and the checks against its ClusterClass that
 * the API server does not make at create time (it accepts an unknown class or worker class with a mere
 * warning). Pure: arguments and ClusterClass in, manifest or problems out.
 */
import { noTopology, patchOf, topologyOf } from './cluster-topology.ts';
import type { KubeObject } from '../kube/client.ts';
import type { ChangePlan, ScaleRequest } from './change-plan.ts';
import type { ReplicaChange } from './protection.ts';
import { variableProblems, type VariableDefinition } from './variables.ts';
import { upgradeStepProblem } from './versions.ts';
import { callerVariablesOf, providerOfCluster } from '../providers/registry.ts';

export interface TopologyRequest {
  readonly namespace: string;
  readonly name: string;
  readonly clusterClass: string;
  readonly version: string;
  /** Undefined for a control plane its provider sizes (EKS): the topology then carries no replicas. */
  readonly controlPlaneReplicas?: number;
  readonly workers: readonly { readonly class: string; readonly name: string; readonly replicas: number }[];
  readonly variables?: Readonly<Record<string, unknown>>;
  readonly labels?: Readonly<Record<string, string>>;
}

export function buildTopologyCluster(request: TopologyRequest): KubeObject {
  const variables = Object.entries(request.variables ?? {}).map(([name, value]) => ({ name, value }));
  return {
    apiVersion: 'cluster.x-k8s.io/v1beta2',
    kind: 'Cluster',
    metadata: { name: request.name, namespace: request.namespace, labels: { ...request.labels } },
    spec: {
      topology: {
        classRef: { name: request.clusterClass },
        version: request.version,
        ...(request.controlPlaneReplicas !== undefined ? { controlPlane: { replicas: request.controlPlaneReplicas } } : {}),
        // The Cluster schema wants at least one MachineDeployment when `workers` is present: omit it when empty.
        ...(request.workers.length > 0 ? { workers: { machineDeployments: request.workers.map((w) => ({ class: w.class, name: w.name, replicas: w.replicas })) } } : {}),
        ...(variables.length > 0 ? { variables } : {}),
      },
    },
  };
}

/** What is wrong with `request` for this ClusterClass; empty when nothing is. */
export function topologyProblems(request: TopologyRequest, clusterClass: KubeObject): string[] {
  const problems: string[] = [];
  const workerClasses: string[] = (clusterClass.spec?.workers?.machineDeployments ?? []).map((md: { class: string }) => md.class);
  for (const w of request.workers) {
    if (!workerClasses.includes(w.class)) {
      problems.push(`worker pool "${w.name}": class "${w.class}" is not in ClusterClass ${clusterClass.metadata.name} (it has: ${workerClasses.join(', ') || 'none'})`);
    }
  }
  const definitions: VariableDefinition[] = clusterClass.spec?.variables ?? [];
  const known = new Set(definitions.map((d) => d.name));
  const callers = callerVariablesOf(clusterClass);
  for (const name of Object.keys(request.variables ?? {})) {
    // Note: with a provider's list, an undefined variable gets the same answer: the list is what to use.
    if (callers && !(callers.names.includes(name) && known.has(name))) {
      problems.push(`variable "${name}" cannot be set through capi-mcp with ClusterClass ${clusterClass.metadata.name} (callers may set: ${callers.names.filter((n) => known.has(n)).join(', ') || 'none'})`);
    } else if (!known.has(name)) problems.push(`variable "${name}" is not defined by ClusterClass ${clusterClass.metadata.name} (it defines: ${[...known].join(', ') || 'none'})`);
  }
  for (const d of definitions) {
    if (d.required && !(d.name in (request.variables ?? {}))) problems.push(`variable "${d.name}" is required by ClusterClass ${clusterClass.metadata.name}`);
  }
  problems.push(...variableProblems(definitions, request.variables ?? {}));
  return problems;
}

/**
 * Replicas of named worker pools and/or the control plane, as a topology change. The patch always
 * carries every replica count (changed or current): a scale's field manager owns them all, so a later
 * scale of one pool never drops the count it set on another.
 */
export function scaleChange(cluster: KubeObject, request: ScaleRequest): ChangePlan<[KubeObject]> {
  const { topology, pools, controlPlaneReplicas } = topologyOf(cluster);
  const problems: string[] = [];
  if (!topology) problems.push(noTopology(cluster));
  for (const wanted of request.workerPools ?? []) {
    if (!pools.some((p) => p.name === wanted.name)) {
      problems.push(`worker pool "${wanted.name}" does not exist (the cluster has: ${pools.map((p) => p.name).join(', ') || 'none'})`);
    }
  }
  if (request.controlPlaneReplicas !== undefined && providerOfCluster(cluster)?.controlPlaneReplicas === false) {
    problems.push(`its control plane (${cluster.spec?.controlPlaneRef?.kind}) is sized by its provider, not by replicas`);
  }
  for (const wanted of request.workerPools ?? []) {
    if (pools.some((p) => p.name === wanted.name && p.replicas === undefined)) {
      problems.push(`worker pool "${wanted.name}" is sized by the cluster autoscaler (it has no replicas in the topology); change its autoscaler min and max size instead`);
    }
  }
  // Note: every pool's count is sent (a field capi-mcp-scale applied before and left out would be removed by
  // server-side apply), except a pool without one: the cluster autoscaler sizes it, and 0 would empty it.
  const desired = pools.map((p) => {
    const replicas = p.replicas === undefined ? undefined : (request.workerPools?.find((w) => w.name === p.name)?.replicas ?? p.replicas);
    return { name: p.name, class: p.class, ...(replicas !== undefined ? { replicas } : {}) };
  });
  const autoscaled = desired.some((p) => p.replicas === undefined);
  const cpReplicas = request.controlPlaneReplicas ?? controlPlaneReplicas;
  const replicas: ReplicaChange[] = [
    ...(request.controlPlaneReplicas !== undefined && controlPlaneReplicas !== undefined ? [{ target: 'the control plane', from: controlPlaneReplicas, to: request.controlPlaneReplicas }] : []),
    ...pools.flatMap((p) => {
      const to = request.workerPools?.find((w) => w.name === p.name)?.replicas;
      return to === undefined ? [] : [{ target: `worker pool "${p.name}"`, from: p.replicas ?? 0, to }];
    }),
  ];
  return {
    problems,
    change: { action: 'scale', replicas },
    objects: [patchOf(cluster, { ...(cpReplicas !== undefined ? { controlPlane: { replicas: cpReplicas } } : {}), workers: { machineDeployments: desired } })],
    expect: {
      ...(cpReplicas !== undefined ? { controlPlaneReplicas: cpReplicas } : {}),
      // The autoscaler moves an autoscaled pool's count; the total then says nothing about convergence.
      ...(autoscaled ? {} : { workerReplicas: desired.reduce((n, p) => n + (p.replicas ?? 0), 0) }),
    },
  };
}

/** A new topology version, refusing downgrades and skipped minor versions (versions.ts, Kubernetes' upgrade rules). */
export function upgradeChange(cluster: KubeObject, version: string): ChangePlan<[KubeObject]> {
  const { topology, pools, controlPlaneReplicas } = topologyOf(cluster);
  const problems: string[] = [];
  if (!topology) problems.push(noTopology(cluster));
  const step = topology ? upgradeStepProblem(String(topology.version ?? ''), version) : undefined;
  if (step) problems.push(step);
  return {
    problems,
    change: { action: 'upgrade', from: String(topology?.version ?? 'an unknown version'), to: version },
    objects: [patchOf(cluster, { version })],
    expect: {
      ...(controlPlaneReplicas !== undefined ? { controlPlaneReplicas } : {}),
      ...(pools.some((p) => p.replicas === undefined) ? {} : { workerReplicas: pools.reduce((n, p) => n + (p.replicas ?? 0), 0) }),
      version,
    },
  };
}
