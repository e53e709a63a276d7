/**
 * What the scale benches need when run alone (`node bench/lambda-concurrency.ts`,
 * `node bench/list-clusters-scale.ts`): a sandbox of their own, so they never touch the test sandbox
 * (`.capi-mcp/test`, port base 21000) or a bench run in progress (`.capi-mcp/bench`, 11000); a namespace
 * per run; a fresh admin key; and the environment the MCP function is configured with.
 *
 * `BENCH_SCALE_DATA_DIR` (default `.capi-mcp/bench-scale`) and `BENCH_SCALE_PORT_BASE` (default 26000)
 * choose the sandbox. A sandbox found healthy is reused and left running; one started here is stopped.
 */
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { repoRoot } from '../sandbox/layout.ts';
import { Sandbox } from '../sandbox/sandbox.ts';
import { createBenchKey, type BenchKey } from './access.ts';

const capi = { group: 'cluster.x-k8s.io', version: 'v1beta2', plural: 'clusters' } as const;

export interface ScaleSandbox {
  readonly kubeconfig: string;
  readonly custom: CustomObjectsApi;
  readonly namespace: string;
  readonly key: BenchKey;
  /** The MCP function's environment: this sandbox as management cluster `bench`, the key store, a log file. */
  readonly functionEnv: Readonly<Record<string, string>>;
  /** Creates `count` stuck Clusters in the namespace (see createStuckClusters). */
  seedClusters(count: number): Promise<SeedResult>;
  /** Deletes the namespace's Clusters and the namespace; stops the sandbox if it was started here. */
  close(): Promise<void>;
}

export async function openScaleSandbox(purpose: string): Promise<ScaleSandbox> {
  const log = (line: string) => console.log(`[bench] ${line}`);
  const dataDir = resolve(process.env.BENCH_SCALE_DATA_DIR ?? join(repoRoot, '.capi-mcp', 'bench-scale'));
  const portBase = Number(process.env.BENCH_SCALE_PORT_BASE ?? 26000);
  if (dataDir === resolve(repoRoot, '.capi-mcp', 'test') || portBase === 21000) throw new Error('the scale benches never run on the test sandbox');
  const sandbox = new Sandbox({ dataDir, portBase });
  const started = !(await sandbox.status()).healthy;
  await sandbox.up(log);
  const kc = new KubeConfig();
  kc.loadFromFile(sandbox.paths.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const namespace = `bench-${purpose}-${randomBytes(3).toString('hex')}`;
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  const key = await createBenchKey(join(dataDir, `auth-${purpose}`));
  return {
    kubeconfig: sandbox.paths.kubeconfig,
    custom,
    namespace,
    key,
    functionEnv: {
      CAPI_MCP_MANAGEMENT_CLUSTERS: JSON.stringify([{ name: 'bench', kubeconfig: sandbox.paths.kubeconfig }]),
      CAPI_MCP_READ_ONLY: 'true',
      CAPI_MCP_API_KEYS_FILE: key.storeFile,
      CAPI_MCP_LOG_FILE: join(dataDir, `server-${purpose}.log`),
    },
    seedClusters: (count) => createStuckClusters(custom, namespace, count, { log }),
    async close() {
      await custom.deleteCollectionNamespacedCustomObject({ ...capi, namespace }).catch(() => undefined);
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
      if (started) await sandbox.down();
    },
  };
}

export interface SeedResult {
  readonly created: number;
  readonly createMs: number;
  /** Until every Cluster showed a phase (the controllers' first pass), or the settle deadline. */
  readonly settleMs: number;
  readonly settled: number;
}

/**
 * Creates `count` Clusters in `namespace` that no controller can provision (their infrastructure
 * reference names a DevCluster that does not exist), 50 requests at a time, as bench/list-clusters.ts
 * does; then waits, up to `settleDeadlineMs`, for the controllers to give every one a phase, so a
 * listing reads objects with a status as a real management cluster holds them.
 */
export async function createStuckClusters(
  custom: CustomObjectsApi,
  namespace: string,
  count: number,
  { log, settleDeadlineMs = 120_000, nameWidth = 5 }: { log: (line: string) => void; settleDeadlineMs?: number; nameWidth?: number },
): Promise<SeedResult> {
  const t0 = performance.now();
  for (let i = 0; i < count; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, (_, j) =>
        custom.createNamespacedCustomObject({
          ...capi,
          namespace,
          body: {
            apiVersion: 'cluster.x-k8s.io/v1beta2',
            kind: 'Cluster',
            metadata: { name: `c-${String(i + j).padStart(nameWidth, '0')}`, namespace },
            spec: { infrastructureRef: { apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'DevCluster', name: `missing-${i + j}` } },
          },
        }),
      ),
    );
    if ((i + 50) % 1000 === 0) log(`  created ${i + 50} Clusters (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  const createMs = performance.now() - t0;
  log(`created ${count} Clusters in ${(createMs / 1000).toFixed(1)} s`);
  const t1 = performance.now();
  let settled = 0;
  for (;;) {
    settled = 0;
    let token: string | undefined;
    do {
      const page = await custom.listNamespacedCustomObject({ ...capi, namespace, limit: 500, ...(token ? { _continue: token } : {}) });
      settled += page.items.filter((c: any) => c.status?.phase).length;
      token = page.metadata?.continue || undefined;
    } while (token);
    if (settled >= count || performance.now() - t1 > settleDeadlineMs) break;
    await new Promise((r) => setTimeout(r, 2000));
  }
  const settleMs = performance.now() - t1;
  log(`${settled} of ${count} Clusters have a phase after ${(settleMs / 1000).toFixed(1)} s`);
  return { created: count, createMs, settleMs, settled };
}
