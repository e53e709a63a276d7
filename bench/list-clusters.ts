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
  for (let i = 0; i < clusters; i += 50) {
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
  setup.log(`created ${clusters} Clusters in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
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
