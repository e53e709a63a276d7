/**
 * get_cluster on a large cluster (3 control-plane and 50 worker Machines from the in-memory ClusterClass)
 * through a real MCP client, against each raw LIST it needs — the same label-filtered LISTs discovery
 * issues, with @kubernetes/client-node in this process — timed together. The baseline is the slowest of
 * those LISTs, the floor for a tool that issues them in parallel.
 */
import { performance } from 'node:perf_hooks';
import type { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { inMemoryTopologyCluster } from '../sandbox/recipe.ts';
import { kubeClientFor } from '../shared/kube/client.ts';
import { discoverCluster } from '../shared/kube/discovery.ts';
import { Kinds } from '../shared/kube/kinds.ts';
import { measureTogether, type Stats } from './stats.ts';

export interface GetClusterResult {
  readonly controlPlane: number;
  readonly workers: number;
  readonly machines: number;
  readonly machinesReady: number;
  /** From creating the Cluster until every Machine existed and was Ready (or the deadline). */
  readonly convergeMs: number;
  readonly converged: boolean;
  readonly objectsInTree: number;
  readonly getCluster: Stats;
  readonly rawLists: Record<string, Stats>;
  readonly slowestList: string;
  /**
   * What bounds the ratio: the same calls discovery makes (the LISTs together with the Cluster GET, the
   * two referenced GETs once it answers) made raw, and capi-mcp's discovery in-process, without MCP or HTTP.
   */
  readonly rawDiscovery: Stats;
  readonly discoveryInProcess: Stats;
  /**
   * The slowest LIST (Machines) through capi-mcp's KubeClient, which keeps its connection: raw
   * client-node 2.0.1 opens a TLS connection per call, so the raw LISTs above each include a handshake.
   */
  readonly machinesKeptConnection: Stats;
}

export interface GetClusterSetup {
  readonly kc: KubeConfig;
  readonly custom: CustomObjectsApi;
  readonly core: CoreV1Api;
  /** Namespace with the in-memory ClusterClass installed. */
  readonly namespace: string;
  readonly callTool: (name: string, args: Record<string, unknown>) => Promise<any>;
  readonly log: (line: string) => void;
  readonly runs: number;
  readonly convergeDeadlineMs: number;
}

const capi = { group: 'cluster.x-k8s.io', version: 'v1beta2' } as const;
const name = 'big';
const controlPlane = 3;
const workers = 50;

export async function benchGetCluster(setup: GetClusterSetup): Promise<GetClusterResult> {
  const { custom, core, namespace } = setup;
  const t0 = performance.now();
  // Note: a cluster kept by an earlier standalone run (BENCH_KEEP=1) is measured as it is.
  await custom.createNamespacedCustomObject({
    ...capi,
    namespace,
    plural: 'clusters',
    body: inMemoryTopologyCluster(namespace, name, workers, controlPlane),
  }).catch((error) => {
    if ((error as { code?: unknown }).code !== 409) throw error;
  });
  const byLabel = { namespace, labelSelector: `cluster.x-k8s.io/cluster-name=${name}` };
  const list = (plural: string) => () => custom.listNamespacedCustomObject({ ...capi, plural, ...byLabel });
  let machines = 0;
  let ready = 0;
  let converged = false;
  const deadline = t0 + setup.convergeDeadlineMs;
  let lastLog = 0;
  while (performance.now() < deadline) {
    const items = ((await list('machines')()).items ?? []) as any[];
    machines = items.length;
    ready = items.filter((m) => (m.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True')).length;
    if (machines === controlPlane + workers && ready === machines) {
      converged = true;
      break;
    }
    if (performance.now() - lastLog > 20_000) {
      setup.log(`  ${((performance.now() - t0) / 1000).toFixed(0)}s: ${machines} Machines, ${ready} Ready`);
      lastLog = performance.now();
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
  const convergeMs = performance.now() - t0;
  setup.log(`big cluster: ${machines} Machines, ${ready} Ready after ${(convergeMs / 1000).toFixed(0)}s${converged ? '' : ' (deadline: measuring as it is)'}`);

  const kube = await kubeClientFor(setup.kc);
  const cluster = (await custom.getNamespacedCustomObject({ ...capi, namespace, plural: 'clusters', name })) as any;
  const refGet = (ref: { kind: string; name: string }, group: string, version: string, plural: string) => () =>
    custom.getNamespacedCustomObject({ group, version, namespace, plural, name: ref.name });
  const infrastructure = refGet(cluster.spec.infrastructureRef, 'infrastructure.cluster.x-k8s.io', 'v1beta2', 'devclusters');
  const controlPlaneGet = refGet(cluster.spec.controlPlaneRef, 'controlplane.cluster.x-k8s.io', 'v1beta2', 'kubeadmcontrolplanes');
  const rawDiscovery = async () => {
    const lists = Promise.all([
      list('machinedeployments')(),
      list('machinesets')(),
      list('machinepools')(),
      list('machines')(),
      core.listNamespacedEvent({ namespace, fieldSelector: 'type=Warning' }),
    ]);
    await custom.getNamespacedCustomObject({ ...capi, namespace, plural: 'clusters', name });
    await Promise.all([infrastructure(), controlPlaneGet(), lists]);
  };
  let objectsInTree = 0;
  const getCluster = async () => {
    const result = await setup.callTool('get_cluster', { namespace, name });
    objectsInTree = result.structuredContent.objects.length;
  };
  const stats = await measureTogether(
    {
      getCluster,
      rawDiscovery,
      discoveryInProcess: () => discoverCluster(kube, namespace, name),
      machinesKeptConnection: () => kube.list(Kinds.Machine, byLabel),
      machines: list('machines'),
      machineSets: list('machinesets'),
      machineDeployments: list('machinedeployments'),
      machinePools: list('machinepools'),
      warningEvents: () => core.listNamespacedEvent({ namespace, fieldSelector: 'type=Warning' }),
    },
    { runs: setup.runs },
  );
  const { getCluster: getClusterStats, rawDiscovery: rawDiscoveryStats, discoveryInProcess, machinesKeptConnection, ...rawLists } = stats;
  const slowestList = Object.entries(rawLists).sort((a, b) => b[1].median - a[1].median)[0]![0];
  return {
    controlPlane,
    workers,
    machines,
    machinesReady: ready,
    convergeMs,
    converged,
    objectsInTree,
    getCluster: getClusterStats,
    rawLists,
    slowestList,
    rawDiscovery: rawDiscoveryStats,
    discoveryInProcess,
    machinesKeptConnection,
  };
}

/**
 * `node bench/get-cluster.ts`: this measurement alone, on the bench sandbox (see bench-sandbox.ts) through
 * a local server and a real MCP client. BENCH_KEEP=1 keeps the sandbox and the 53-Machine cluster for the
 * next run, which then skips the few minutes of building it.
 */
if (import.meta.main) {
  const { benchClient, benchSandbox } = await import('./bench-sandbox.ts');
  const { ms, ratio } = await import('./stats.ts');
  const log = (line: string) => console.log(`[bench] ${line}`);
  const opened = await benchSandbox({ sandbox: 'bench', purpose: 'get-cluster', namespace: 'bench-get-cluster', clusterClass: true, log });
  try {
    const client = await benchClient(opened.functionEnv, opened.key);
    try {
      const runs = Number(process.env.BENCH_RUNS ?? 20);
      const { kc, custom, core, namespace } = opened;
      const big = await benchGetCluster({ kc, custom, core, namespace, callTool: client.callTool, log, runs, convergeDeadlineMs: 240_000 });
      const slowest = big.rawLists[big.slowestList]!;
      console.log(`get_cluster (${big.machinesReady}/${big.machines} Ready, ${big.objectsInTree} objects): ${ms(big.getCluster)}`);
      console.log(`  vs slowest raw LIST (${big.slowestList}) ${ms(slowest)}: ${ratio(big.getCluster, slowest, 1.5)}`);
      console.log(`  vs the Machines LIST on a kept connection ${ms(big.machinesKeptConnection)}: ${ratio(big.getCluster, big.machinesKeptConnection)}`);
      console.log(`  discovery in-process ${ms(big.discoveryInProcess)}; the same calls raw ${ms(big.rawDiscovery)}`);
      for (const [list, stats] of Object.entries(big.rawLists)) console.log(`  raw ${list}: ${ms(stats)}`);
    } finally {
      await client.close();
    }
  } finally {
    await opened.close();
  }
  // Note: the kube clients' keep-alive sockets would hold the process open for another minute.
  process.exit(0);
}
