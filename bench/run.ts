/**
 * `npm run bench`: measured, side by side in one run on this machine, against what a user would use
 * instead. Brings up a bench sandbox of its own (`.capi-mcp/bench`, port base 11000), loads 1,000
 * Clusters, then prints one table and writes bench/results.json.
 *
 * Measured so far:
 * - list_clusters (a page of 200, and the full walk) through a real MCP client over HTTP, vs a raw
 *   @kubernetes/client-node LIST of the same objects in the same process, vs `kubectl get -o json`;
 * - tokens (o200k_base, js-tiktoken) of the whole tools/list answer and per list_clusters row.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { getEncoding } from 'js-tiktoken';
import { startLocalServer } from '../local/server.ts';
import { repoRoot } from '../sandbox/layout.ts';
import { Sandbox } from '../sandbox/sandbox.ts';
import { loadConfig } from '../shared/config/config.ts';
import { mcpPath } from '../shared/http/web-handler.ts';

const execFileAsync = promisify(execFile);
const clusters = 1000;
const runs = 20;
const warmups = 3;

const log = (line: string) => console.log(`[bench] ${line}`);

interface Stats {
  readonly median: number;
  readonly p95: number;
}

/**
 * Times several operations over the same runs, interleaved (A, B, C, A, B, C, …) so that drift in the
 * machine's load — controllers reconciling, GC — falls on every contender alike.
 */
async function measureTogether<K extends string>(fns: Record<K, () => Promise<unknown>>): Promise<Record<K, Stats>> {
  const names = Object.keys(fns) as K[];
  for (let i = 0; i < warmups; i++) for (const name of names) await fns[name]();
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i < runs; i++) {
    for (const name of names) {
      const t0 = performance.now();
      await fns[name]();
      samples[name].push(performance.now() - t0);
    }
  }
  const stats = {} as Record<K, Stats>;
  for (const name of names) {
    const sorted = samples[name].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
    stats[name] = { median: at(0.5), p95: at(0.95) };
  }
  return stats;
}

const sandbox = new Sandbox({ dataDir: join(repoRoot, '.capi-mcp', 'bench'), portBase: 11000 });
const startedSandbox = !(await sandbox.status()).healthy;
await sandbox.up(log);

const kc = new KubeConfig();
kc.loadFromFile(sandbox.paths.kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const namespace = `bench-${randomBytes(3).toString('hex')}`;
await core.createNamespace({ body: { metadata: { name: namespace } } });

const server = await startLocalServer(loadConfig({ CAPI_MCP_MANAGEMENT_CLUSTERS: JSON.stringify([{ name: 'bench', kubeconfig: sandbox.paths.kubeconfig }]) }), { port: 0 });
const client = new Client({ name: 'capi-mcp-bench', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });

try {
  const t0 = performance.now();
  for (let i = 0; i < clusters; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, clusters - i) }, (_, j) =>
        custom.createNamespacedCustomObject({
          group: 'cluster.x-k8s.io',
          version: 'v1beta2',
          namespace,
          plural: 'clusters',
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
  log(`created ${clusters} Clusters in ${((performance.now() - t0) / 1000).toFixed(1)}s`);

  await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}${mcpPath}`)));
  const call = (args: Record<string, unknown>) => client.callTool({ name: 'list_clusters', arguments: { namespace, ...args } }) as Promise<any>;
  const rawPage = (token?: string) =>
    custom.listNamespacedCustomObject({ group: 'cluster.x-k8s.io', version: 'v1beta2', namespace, plural: 'clusters', limit: 200, ...(token ? { _continue: token } : {}) });

  // Let the controllers finish their first pass over the new Clusters, so the runs measure a settled server.
  for (let settled = false; !settled; ) {
    const list = await custom.listNamespacedCustomObject({ group: 'cluster.x-k8s.io', version: 'v1beta2', namespace, plural: 'clusters' });
    settled = list.items.every((c: any) => c.status?.phase);
    if (!settled) await new Promise((r) => setTimeout(r, 1000));
  }
  log('controllers settled; measuring');

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
    execFileAsync('kubectl', ['--kubeconfig', sandbox.paths.kubeconfig, 'get', 'clusters.cluster.x-k8s.io', '-n', namespace, '-o', 'json'], {
      maxBuffer: 256 * 1024 * 1024,
    });
  const { listPage, rawListPage } = await measureTogether({ listPage: () => call({ limit: 200 }), rawListPage: () => rawPage() });
  const { listWalk, rawWalk, kubectl } = await measureTogether({ listWalk: walkList, rawWalk: walkRaw, kubectl: kubectlGet });

  const encoder = getEncoding('o200k_base');
  const tools = await client.listTools();
  const toolsTokens = encoder.encode(JSON.stringify(tools.tools)).length;
  const page = await call({ limit: 200 });
  const rows = (page.content[0].text as string).split('\n').filter((l) => l.startsWith(`${namespace}/`));
  const rowTokens = rows.map((r) => encoder.encode(r).length);
  const structuredRowTokens = encoder.encode(JSON.stringify(page.structuredContent.clusters)).length / page.structuredContent.clusters.length;

  const ms = (s: Stats) => `${s.median.toFixed(1)} ms (p95 ${s.p95.toFixed(1)})`;
  const ratio = (a: Stats, b: Stats) => (a.median / b.median).toFixed(2);
  const table: [string, string, string, string][] = [
    ['measure', 'capi-mcp', 'baseline', 'ratio'],
    ['list_clusters, page of 200', ms(listPage), `raw LIST ${ms(rawListPage)}`, `${ratio(listPage, rawListPage)}× (target ≤1.2×)`],
    [`list_clusters, full walk of ${clusters}`, ms(listWalk), `raw LIST walk ${ms(rawWalk)}`, `${ratio(listWalk, rawWalk)}×`],
    [`list_clusters, full walk of ${clusters}`, ms(listWalk), `kubectl get -o json ${ms(kubectl)}`, `${ratio(listWalk, kubectl)}×`],
    ['tokens, whole tools/list', String(toolsTokens), '—', 'target ≤3,000'],
    [
      'tokens per cluster row (text)',
      `median ${[...rowTokens].sort((a, b) => a - b)[Math.floor(rowTokens.length / 2)]}, max ${Math.max(...rowTokens)}`,
      `structured JSON ${structuredRowTokens.toFixed(1)}/row`,
      'target ≤40',
    ],
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
  console.log('');
  for (const [i, row] of table.entries()) {
    console.log(`| ${row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`);
    if (i === 0) console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  }
  const results = {
    date: new Date().toISOString(),
    machine: { cores: (await import('node:os')).cpus().length, node: process.version },
    clusters,
    runs,
    listPage,
    rawListPage,
    listWalk,
    rawWalk,
    kubectl,
    tokens: { toolsList: toolsTokens, rowMedian: [...rowTokens].sort((a, b) => a - b)[Math.floor(rowTokens.length / 2)], rowMax: Math.max(...rowTokens), structuredPerRow: structuredRowTokens },
  };
  await writeFile(join(repoRoot, 'bench', 'results.json'), JSON.stringify(results, null, 2));
  log('wrote bench/results.json');
} finally {
  await client.close().catch(() => undefined);
  await server.close();
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  if (startedSandbox) await sandbox.down();
}
