/**
 * A topology-managed Cluster from what an agent asks for, and the checks against its ClusterClass that
 * the API server does not make at create time (it accepts an unknown class or worker class with a mere
 * warning). Pure: arguments and ClusterClass in, manifest or problems out.
 */
import type { KubeObject } from '../kube/client.ts';

export interface TopologyRequest {
  readonly namespace: string;
  readonly name: string;
  readonly clusterClass: string;
  readonly version: string;
  readonly controlPlaneReplicas: number;
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
        controlPlane: { replicas: request.controlPlaneReplicas },
        workers: { machineDeployments: request.workers.map((w) => ({ class: w.class, name: w.name, replicas: w.replicas })) },
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
  const definitions: { name: string; required?: boolean }[] = clusterClass.spec?.variables ?? [];
  const known = new Set(definitions.map((d) => d.name));
  for (const name of Object.keys(request.variables ?? {})) {
    if (!known.has(name)) problems.push(`variable "${name}" is not defined by ClusterClass ${clusterClass.metadata.name} (it defines: ${[...known].join(', ') || 'none'})`);
  }
  for (const d of definitions) {
    if (d.required && !(d.name in (request.variables ?? {}))) problems.push(`variable "${d.name}" is required by ClusterClass ${clusterClass.metadata.name}`);
  }
  return problems;
}
