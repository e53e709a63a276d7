/**
 * list_clusters over 1,000 Clusters (a page of 200, and the full walk) through a real MCP client over
 * HTTP, against a raw @kubernetes/client-node LIST of the same objects in the same process and against
 * `kubectl get -o json`; plus the tokens an agent reads per row.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { sharingConnections } from '../shared/kube/connection.ts';
import type { KubeClient } from '../shared/kube/client.ts';
import { Kinds } from '../shared/kube/kinds.ts';
import { summaryFields } from '../shared/capi/summary.ts';
import { measureTogether, type Stats } from './stats.ts';
import { seedStuckClusters } from './stuck-clusters.ts';
import { tokensOf } from './tokens.ts';

const execFileAsync = promisify(execFile);

export interface ListClustersSetup {
  /** The baseline's client: client-node as a user would call it. */
  readonly custom: CustomObjectsApi;
  /** capi-mcp's client: seeds the Clusters the namespace lacks (none when it holds them already; see stuck-clusters.ts), and reads the page as list_clusters does, without MCP. */
  readonly kube: KubeClient;
  readonly namespace: string;
  readonly kubeconfig: string;
  readonly clusters: number;
  readonly runs: number;
  readonly callTool: (name: string, args: Record<string, unknown>) => Promise<any>;
  readonly log: (line: string) => void;
}

export interface ListClustersResult {
  readonly listPage: Stats;
  readonly rawListPage: Stats;
  /**
   * The same page read by capi-mcp's KubeClient as list_clusters reads it (streamed, keeping what a row
   * needs), without MCP: list_clusters less this is the MCP round trip; the raw LIST less this is what
   * client-node costs beyond the API server (a TLS connection per call, a parse after the last byte).
   */
  readonly readerPage: Stats;
  /** The same raw LIST asking for an uncompressed answer (what list_clusters asks of a kubeconfig with disable-compression). */
  readonly rawListPageUncompressed: Stats;
  readonly listWalk: Stats;
  readonly rawWalk: Stats;
  readonly rawWalkUncompressed: Stats;
  readonly kubectl: Stats;
  readonly rowTokensMedian: number;
  readonly rowTokensMax: number;
  readonly structuredTokensPerRow: number;
}

const capi = { group: 'cluster.x-k8s.io', version: 'v1beta2', plural: 'clusters' } as const;

export async function benchListClusters(setup: ListClustersSetup): Promise<ListClustersResult> {
  const { custom, namespace, clusters } = setup;
  await seedStuckClusters(setup.kube, namespace, clusters, { log: setup.log });
  setup.log('controllers settled; measuring list_clusters');

  const call = (args: Record<string, unknown>) => setup.callTool('list_clusters', { namespace, ...args });
  // Note: client-node asks for gzip on every request whatever the kubeconfig says; the second baseline asks
  // for identity, as list_clusters does when the kubeconfig's cluster says disable-compression (the
  // sandbox's does): it shows list_clusters' own cost apart from the compression it avoids.
  const kc = new KubeConfig();
  kc.loadFromFile(setup.kubeconfig);
  const uncompressed = sharingConnections(kc, undefined, { compression: false }).makeApiClient(CustomObjectsApi);
  const rawPageOf = (api: CustomObjectsApi) => (token?: string) => api.listNamespacedCustomObject({ ...capi, namespace, limit: 200, ...(token ? { _continue: token } : {}) });
  const rawPage = rawPageOf(custom);
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
  const walkRawWith = (page: ReturnType<typeof rawPageOf>) => async () => {
    let token: string | undefined;
    do {
      token = (await page(token)).metadata?.continue || undefined;
    } while (token);
  };
  const walkRaw = walkRawWith(rawPage);
  const kubectlGet = () =>
    execFileAsync('kubectl', ['--kubeconfig', setup.kubeconfig, 'get', 'clusters.cluster.x-k8s.io', '-n', namespace, '-o', 'json'], { maxBuffer: 256 * 1024 * 1024 });
  const rawPageUncompressed = rawPageOf(uncompressed);
  const { listPage, rawListPage, rawListPageUncompressed, readerPage } = await measureTogether(
    {
      listPage: () => call({ limit: 200 }),
      rawListPage: () => rawPage(),
      rawListPageUncompressed: () => rawPageUncompressed(),
      readerPage: () => setup.kube.list(Kinds.Cluster, { namespace, limit: 200, keep: summaryFields }),
    },
    { runs: setup.runs },
  );
  const { listWalk, rawWalk, rawWalkUncompressed, kubectl } = await measureTogether(
    { listWalk: walkList, rawWalk: walkRaw, rawWalkUncompressed: walkRawWith(rawPageUncompressed), kubectl: kubectlGet },
    { runs: setup.runs },
  );

  const page = await call({ limit: 200 });
  const rows = (page.content[0].text as string).split('\n').filter((l) => l.startsWith(`${namespace}/`));
  const rowTokens = rows.map((r) => tokensOf(r)).sort((a, b) => a - b);
  return {
    listPage,
    rawListPage,
    readerPage,
    rawListPageUncompressed,
    listWalk,
    rawWalk,
    rawWalkUncompressed,
    kubectl,
    rowTokensMedian: rowTokens[Math.floor(rowTokens.length / 2)]!,
    rowTokensMax: rowTokens[rowTokens.length - 1]!,
    structuredTokensPerRow: tokensOf(page.structuredContent.clusters) / page.structuredContent.clusters.length,
  };
}

/**
 * `node bench/list-clusters.ts`: this measurement alone, on the bench sandbox (see bench-sandbox.ts).
 * `BENCH_LIST_NAMESPACE` reuses a namespace an earlier run kept (`BENCH_KEEP=1`) instead of creating
 * 1,000 Clusters again (and leaves it as it was); `BENCH_RUNS` sets the runs (20).
 */
if (import.meta.main) {
  const { benchClient, benchSandbox } = await import('./bench-sandbox.ts');
  const { ms, ratio } = await import('./stats.ts');
  const log = (line: string) => console.log(`[bench] ${line}`);
  const opened = await benchSandbox({ sandbox: 'bench', purpose: 'list', namespace: process.env.BENCH_LIST_NAMESPACE, log });
  try {
    const client = await benchClient(opened.functionEnv, opened.key);
    try {
      const clusters = 1000;
      const { custom, kube, namespace, kubeconfig } = opened;
      const r = await benchListClusters({ custom, kube, namespace, kubeconfig, clusters, runs: Number(process.env.BENCH_RUNS ?? 20), callTool: client.callTool, log });
      console.log(`list_clusters, page of 200          ${ms(r.listPage)}  raw LIST ${ms(r.rawListPage)}  ${ratio(r.listPage, r.rawListPage, 1.0)}`);
      console.log(`                                     raw LIST uncompressed ${ms(r.rawListPageUncompressed)}  ${ratio(r.listPage, r.rawListPageUncompressed)}`);
      console.log(`  its LIST alone (KubeClient, no MCP) ${ms(r.readerPage)}  raw LIST ${ratio(r.readerPage, r.rawListPage)}`);
      console.log(`list_clusters, full walk of ${clusters}   ${ms(r.listWalk)}  raw LIST walk ${ms(r.rawWalk)}  ${ratio(r.listWalk, r.rawWalk, 1.0)}`);
      console.log(`                                     raw LIST walk uncompressed ${ms(r.rawWalkUncompressed)}  ${ratio(r.listWalk, r.rawWalkUncompressed)}`);
      console.log(`                                     kubectl get -o json ${ms(r.kubectl)}  ${ratio(r.listWalk, r.kubectl)}`);
      console.log(`tokens per row: median ${r.rowTokensMedian}, max ${r.rowTokensMax}; structured ${r.structuredTokensPerRow.toFixed(1)}/row`);
    } finally {
      await client.close();
    }
  } finally {
    await opened.close();
  }
  // The kube clients' keep-alive sockets would hold the process open for another minute.
  process.exit(0);
}
