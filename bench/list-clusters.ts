/**
 * list_clusters over 1,000 Clusters (a page of 200, and the full walk) through a real MCP client over
 * HTTP, against a raw @kubernetes/client-node LIST of the same objects in the same process and against
 * `kubectl get -o json`; plus the tokens an agent reads per row.
 */
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { measureTogether, type Stats } from './stats.ts';
import { tokensOf } from './tokens.ts';

const execFileAsync = promisify(execFile);

export interface ListClustersSetup {
  readonly custom: CustomObjectsApi;
  readonly namespace: string;
  readonly kubeconfig: string;
  readonly clusters: number;
  readonly runs: number;
  readonly callTool: (name: string, args: Record<string, unknown>) => Promise<any>;
  readonly log: (line: string) => void;
  /** The namespace already holds the Clusters (a standalone run reusing an earlier run's): create none. */
  readonly seeded?: boolean;
}

export interface ListClustersResult {
  readonly listPage: Stats;
  readonly rawListPage: Stats;
  readonly listWalk: Stats;
  readonly rawWalk: Stats;
  readonly kubectl: Stats;
  readonly rowTokensMedian: number;
  readonly rowTokensMax: number;
  readonly structuredTokensPerRow: number;
}

const capi = { group: 'cluster.x-k8s.io', version: 'v1beta2', plural: 'clusters' } as const;

export async function benchListClusters(setup: ListClustersSetup): Promise<ListClustersResult> {
  const { custom, namespace, clusters } = setup;
  const t0 = performance.now();
  for (let i = 0; i < (setup.seeded ? 0 : clusters); i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, clusters - i) }, (_, j) =>
        custom.createNamespacedCustomObject({
          ...capi,
          namespace,
          body: {
            apiVersion: 'cluster.x-k8s.io/v1beta2',
            kind: 'Cluster',
            metadata: { name: `c-${String(i + j).padStart(4, '0')}`, namespace },
            spec: { infrastructureRef: { apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'DevCluster', name: `missing-${i + j}` } },
          },
        }),
      ),
    );
  }
  if (!setup.seeded) setup.log(`created ${clusters} Clusters in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
  // Let the controllers finish their first pass over the new Clusters, so the runs measure a settled server.
  for (let settled = false; !settled; ) {
    const list = await custom.listNamespacedCustomObject({ ...capi, namespace });
    settled = list.items.every((c: any) => c.status?.phase);
    if (!settled) await new Promise((r) => setTimeout(r, 1000));
  }
  setup.log('controllers settled; measuring list_clusters');

  const call = (args: Record<string, unknown>) => setup.callTool('list_clusters', { namespace, ...args });
  const rawPage = (token?: string) => custom.listNamespacedCustomObject({ ...capi, namespace, limit: 200, ...(token ? { _continue: token } : {}) });
  const walkList = async () => {
    let cursor: string | undefined;
    let seen = 0;
    do {
      const result = await call({ limit: 200, ...(cursor ? { cursor } : {}) });
      seen += result.structuredContent.clusters.length;
      cursor = result.structuredContent.next_cursor;
    } while (cursor);
    if (seen !== clusters) throw new Error(`list_clusters walk saw ${seen} clusters, expected ${clusters}`);
  };
  const walkRaw = async () => {
    let token: string | undefined;
    do {
      const page = await rawPage(token);
      token = page.metadata?.continue || undefined;
    } while (token);
  };
  const kubectlGet = () =>
    execFileAsync('kubectl', ['--kubeconfig', setup.kubeconfig, 'get', 'clusters.cluster.x-k8s.io', '-n', namespace, '-o', 'json'], { maxBuffer: 256 * 1024 * 1024 });
  const { listPage, rawListPage } = await measureTogether({ listPage: () => call({ limit: 200 }), rawListPage: () => rawPage() }, { runs: setup.runs });
  const { listWalk, rawWalk, kubectl } = await measureTogether({ listWalk: walkList, rawWalk: walkRaw, kubectl: kubectlGet }, { runs: setup.runs });

  const page = await call({ limit: 200 });
  const rows = (page.content[0].text as string).split('\n').filter((l) => l.startsWith(`${namespace}/`));
  const rowTokens = rows.map((r) => tokensOf(r)).sort((a, b) => a - b);
  return {
    listPage,
    rawListPage,
    listWalk,
    rawWalk,
    kubectl,
    rowTokensMedian: rowTokens[Math.floor(rowTokens.length / 2)]!,
    rowTokensMax: rowTokens[rowTokens.length - 1]!,
    structuredTokensPerRow: tokensOf(page.structuredContent.clusters) / page.structuredContent.clusters.length,
  };
}

/**
 * `node bench/list-clusters.ts`: this measurement alone, on the bench sandbox (`.capi-mcp/bench`, port base
 * 11000, as `npm run bench`; started if it is not running, and then stopped), never the test sandbox.
 * `BENCH_LIST_NAMESPACE` reuses a namespace an earlier run kept (`BENCH_KEEP=1`) instead of creating
 * 1,000 Clusters again (and leaves it as it was); `BENCH_RUNS` sets the runs (20).
 */
if (import.meta.main) {
  const { join } = await import('node:path');
  const { randomBytes } = await import('node:crypto');
  const { Client, StreamableHTTPClientTransport } = await import('@modelcontextprotocol/client');
  const { CoreV1Api, CustomObjectsApi, KubeConfig } = await import('@kubernetes/client-node');
  const { startLocalServer } = await import('../local/server.ts');
  const { repoRoot } = await import('../sandbox/layout.ts');
  const { Sandbox } = await import('../sandbox/sandbox.ts');
  const { loadConfig } = await import('../shared/config/config.ts');
  const { mcpPath } = await import('../shared/http/web-handler.ts');
  const { createBenchKey, requestHeaders } = await import('./access.ts');
  const { ms, ratio } = await import('./stats.ts');
  const log = (line: string) => console.log(`[bench] ${line}`);
  const dataDir = join(repoRoot, '.capi-mcp', 'bench');
  const sandbox = new Sandbox({ dataDir, portBase: 11000 });
  const started = !(await sandbox.status()).healthy;
  await sandbox.up(log);
  const kc = new KubeConfig();
  kc.loadFromFile(sandbox.paths.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const reused = process.env.BENCH_LIST_NAMESPACE;
  const namespace = reused ?? `bench-list-${randomBytes(3).toString('hex')}`;
  if (!reused) await core.createNamespace({ body: { metadata: { name: namespace } } });
  const key = await createBenchKey(join(dataDir, 'auth-list'));
  const config = loadConfig({
    CAPI_MCP_MANAGEMENT_CLUSTERS: JSON.stringify([{ name: 'bench', kubeconfig: sandbox.paths.kubeconfig }]),
    CAPI_MCP_READ_ONLY: 'true',
    CAPI_MCP_API_KEYS_FILE: key.storeFile,
    CAPI_MCP_LOG_FILE: join(dataDir, 'server-list.log'),
  });
  const server = await startLocalServer(config, { port: 0 });
  const client = new Client({ name: 'capi-mcp-bench', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
  try {
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}${mcpPath}`), { requestInit: { headers: requestHeaders(key) } }));
    // As npm run bench: the client has the output schemas, so it checks each result as an agent's would.
    await client.listTools();
    const callTool = async (name: string, args: Record<string, unknown>) => {
      const result = (await client.callTool({ name, arguments: args })) as any;
      if (result.isError) throw new Error(`${name} failed: ${result.content?.[0]?.text}`);
      return result;
    };
    const clusters = 1000;
    const r = await benchListClusters({ custom, namespace, kubeconfig: sandbox.paths.kubeconfig, clusters, runs: Number(process.env.BENCH_RUNS ?? 20), callTool, log, seeded: Boolean(reused) });
    console.log(`list_clusters, page of 200          ${ms(r.listPage)}  raw LIST ${ms(r.rawListPage)}  ${ratio(r.listPage, r.rawListPage, 1.0)}`);
    console.log(`list_clusters, full walk of ${clusters}   ${ms(r.listWalk)}  raw LIST walk ${ms(r.rawWalk)}  ${ratio(r.listWalk, r.rawWalk, 1.0)}`);
    console.log(`                                     kubectl get -o json ${ms(r.kubectl)}  ${ratio(r.listWalk, r.kubectl)}`);
    console.log(`tokens per row: median ${r.rowTokensMedian}, max ${r.rowTokensMax}; structured ${r.structuredTokensPerRow.toFixed(1)}/row`);
  } finally {
    await client.close().catch(() => undefined);
    await server.close();
    // A reused namespace is left as it was found; one made here goes unless BENCH_KEEP keeps it for the next run.
    if (reused || process.env.BENCH_KEEP) log(`kept namespace ${namespace} (BENCH_LIST_NAMESPACE=${namespace} reuses it)`);
    else {
      await custom.deleteCollectionNamespacedCustomObject({ ...capi, namespace }).catch(() => undefined);
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    }
    if (started) await sandbox.down();
  }
  // The kube clients' keep-alive sockets would hold the process open for another minute.
  process.exit(0);
}
