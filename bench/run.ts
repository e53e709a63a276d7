/**
 * `npm run bench`: measured, side by side in one run on this machine, against what a user would use
 * instead. Brings up a bench sandbox of its own (`.capi-mcp/bench`, port base 11000), then prints one
 * table and writes bench/results.json. Each measurement lives in its own module:
 *
 * - tokens.ts: the tokens of the whole tools/list (every tool the server lists) and per tool;
 * - list-clusters.ts: list_clusters over 1,000 Clusters vs a raw LIST (and its own LIST without MCP) and kubectl;
 * - get-cluster.ts: get_cluster on 3 control-plane + 50 worker Machines vs the slowest LIST it needs;
 * - cold-start.ts: the bundled MCP Lambda in a fresh process vs an SDK-only hello world;
 * - throughput.ts: the local adapter under 10 connections of loopback load (autocannon);
 * - workflows.ts: state transitions and wall time of a create, a scale and a delete;
 * - lambda-concurrency.ts: 100 concurrent calls to the MCP Lambda handler in-process (latency, errors, RSS);
 * - list-clusters-scale.ts: list_clusters walked over 2,000 Clusters, first / middle / last page, against
 *   raw LISTs of the same pages (10,000 when run alone; see SCALING.md).
 *
 * Every client authenticates with a fresh admin key; the headers come from access.ts.
 */
import { rm } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { startLocalServer } from '../local/server.ts';
import { openLocalWorkflows } from '../local/workflows.ts';
import { inMemoryClusterClass } from '../sandbox/recipe.ts';
import { repoRoot } from '../sandbox/layout.ts';
import { Sandbox } from '../sandbox/sandbox.ts';
import { loadConfig } from '../shared/config/config.ts';
import { kubeClientFor } from '../shared/kube/client.ts';
import { mcpPath } from '../shared/http/web-handler.ts';
import { hashSecret, verifySecret } from '../shared/auth/api-key.ts';
import { createBenchKey, requestHeaders } from './access.ts';
import { measureColdStart } from './cold-start.ts';
import { benchGetCluster } from './get-cluster.ts';
import { benchListClusters } from './list-clusters.ts';
import { assertNoErrors, benchLambdaConcurrency, burstText, mib } from './lambda-concurrency.ts';
import { benchListClustersScale, pageText, rowsText } from './list-clusters-scale.ts';
import { ms, ratio, seconds } from './stats.ts';
import { loadTest, startServerProcess } from './throughput.ts';
import { tokensOf, toolTokens } from './tokens.ts';
import { costOf, recordHistories, type OperationCost } from './workflows.ts';

const log = (line: string) => console.log(`[bench] ${line}`);
const runs = 20;
const clusters = 1000;
const dataDir = join(repoRoot, '.capi-mcp', 'bench');
/** Step Functions Standard, per state transition (us-east-1 list price). */
const dollarsPerTransition = 0.000025;

const sandbox = new Sandbox({ dataDir, portBase: 11000 });
const startedSandbox = !(await sandbox.status()).healthy;
await sandbox.up(log);
recordHistories();

const kc = new KubeConfig();
kc.loadFromFile(sandbox.paths.kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
// Seeds the Clusters over kept connections (see stuck-clusters.ts); a loaded machine gets a minute a call.
const kube = await kubeClientFor(kc, { timeoutMs: 60_000 });
const suffix = randomBytes(3).toString('hex');
const namespaces = { list: `bench-list-${suffix}`, big: `bench-big-${suffix}`, ops: `bench-ops-${suffix}`, scale: `bench-scale-${suffix}` };
for (const name of Object.values(namespaces)) await core.createNamespace({ body: { metadata: { name } } });
await sandbox.installClusterClass(namespaces.big);
await sandbox.installClusterClass(namespaces.ops);

const key = await createBenchKey(join(dataDir, 'auth'));
const serverEnv = {
  CAPI_MCP_MANAGEMENT_CLUSTERS: JSON.stringify([{ name: 'bench', kubeconfig: sandbox.paths.kubeconfig }]),
  CAPI_MCP_READ_ONLY: 'false',
  CAPI_MCP_API_KEYS_FILE: key.storeFile,
  CAPI_MCP_LOG_FILE: join(dataDir, 'server.log'),
};
const config = loadConfig(serverEnv);
await rm(join(dataDir, 'executions'), { recursive: true, force: true });
// Real time (timeScale 1): the workflow measurements count the polls production would make.
const { engine } = await openLocalWorkflows(config, join(dataDir, 'executions'), 1);
const server = await startLocalServer(config, { port: 0, workflows: engine });
const client = new Client({ name: 'capi-mcp-bench', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });

/** A tool call that must succeed: a tool error stops the bench with the tool's own text. */
async function callTool(name: string, args: Record<string, unknown>): Promise<any> {
  const result = (await client.callTool({ name, arguments: args })) as any;
  if (result.isError) throw new Error(`${name} ${JSON.stringify(args)} failed: ${result.content?.[0]?.text}`);
  return result;
}

type Row = [string, string, string, string];
let report: { table: Row[]; results: Record<string, unknown> } | undefined;

try {
  await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}${mcpPath}`), { requestInit: { headers: requestHeaders(key) } }));

  const { tools } = await client.listTools();
  const perTool = toolTokens(tools as unknown as Record<string, unknown>[]);
  const toolsTokens = tokensOf(tools);
  log(`tools/list: ${tools.length} tools, ${toolsTokens} tokens`);

  const list = await benchListClusters({ custom, kube, namespace: namespaces.list, kubeconfig: sandbox.paths.kubeconfig, clusters, runs, callTool, log });

  log('creating a cluster of 3 control-plane and 50 worker Machines');
  const big = await benchGetCluster({ kc, custom, core, namespace: namespaces.big, callTool, log, runs, convergeDeadlineMs: 240_000 });

  log('cold start: bundling and starting fresh processes');
  // What one API-key verification (a SHA-256 record) costs here: the first request of a fresh process pays it.
  const storedHash = hashSecret('bench');
  const verifyStarted = performance.now();
  await verifySecret('bench', storedHash);
  const keyCheckMs = performance.now() - verifyStarted;
  const coldStart = await measureColdStart({ outDir: join(dataDir, 'bundles'), key, env: serverEnv, runs: 12 });

  log('throughput: autocannon, 10 connections, 2 × (2 s warm-up + 12 s)');
  const serveProcess = await startServerProcess({ ...serverEnv, BENCH_EXECUTIONS_DIR: join(dataDir, 'serve-executions') });
  let throughput;
  try {
    const url = `${serveProcess.url}${mcpPath}`;
    throughput = {
      toolsList: await loadTest(url, key, 'tools/list', {}, 12),
      listClusters: await loadTest(url, key, 'tools/call', { name: 'list_clusters', arguments: { namespace: namespaces.list, limit: 50 } }, 12),
    };
  } finally {
    await serveProcess.close();
  }

  log('Lambda handler: 100 concurrent calls in-process, 3 rounds of each kind');
  // The function as deployed without a state machine: read tools only, against the list namespace.
  const functionEnv = { ...serverEnv, CAPI_MCP_READ_ONLY: 'true' };
  const concurrency = await benchLambdaConcurrency({ env: functionEnv, key, namespace: namespaces.list, concurrency: 100, rounds: 3, log });
  assertNoErrors(concurrency);

  const scaleClusters = 2000;
  log(`list_clusters over ${scaleClusters} Clusters through the Lambda handler, pages of 200`);
  const scale = await benchListClustersScale({ env: functionEnv, key, kube, custom, namespace: namespaces.scale, clusters: scaleClusters, walks: 3, settleDeadlineMs: 120_000, partialSettle: true, log });

  log('workflows: create, scale, delete at real time');
  const ops = { namespace: namespaces.ops, name: 'wf' };
  const operation = async (tool: string, args: Record<string, unknown>): Promise<OperationCost> => {
    const started = await callTool(tool, { ...ops, ...args });
    const cost = await costOf(engine, started.structuredContent.operation_id, 600_000);
    if (cost.status !== 'SUCCEEDED') throw new Error(`${tool} ended ${cost.status}`);
    log(`  ${tool}: ${cost.transitions} transitions, ${seconds(cost.wallMs)}`);
    return cost;
  };
  const workflows = {
    create: await operation('create_cluster', {
      cluster_class: 'in-memory',
      kubernetes_version: inMemoryClusterClass.kubernetesVersion,
      control_plane_replicas: 1,
      workers: [{ class: 'default-worker', name: 'md-0', replicas: 1 }],
    }),
    scale: await operation('scale_cluster', { worker_pools: [{ name: 'md-0', replicas: 3 }] }),
    delete: await operation('delete_cluster', { confirm: ops.name }),
  };

  const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
  const rate = (t: (typeof throughput)['toolsList']) =>
    `${t.requestsPerSecond.toFixed(0)} req/s, p50 ${t.latencyP50Ms} ms, p99 ${t.latencyP99Ms} ms (${t.requests} requests; non-2xx ${t.non2xx}, not a result ${t.mismatches}, errors ${t.errors})`;
  const op = (c: OperationCost) => `${c.transitions} transitions, ${seconds(c.wallMs)}`;
  const table: Row[] = [
    ['measure', 'capi-mcp', 'baseline', 'ratio (target)'],
    ['list_clusters, page of 200', ms(list.listPage), `raw LIST ${ms(list.rawListPage)}`, ratio(list.listPage, list.rawListPage, 1.0)],
    ['  raw LIST asking for no compression', ms(list.listPage), `raw LIST ${ms(list.rawListPageUncompressed)}`, ratio(list.listPage, list.rawListPageUncompressed)],
    ['  its LIST alone (KubeClient, no MCP)', ms(list.readerPage), `raw LIST ${ms(list.rawListPage)}`, ratio(list.readerPage, list.rawListPage)],
    [`list_clusters, full walk of ${clusters}`, ms(list.listWalk), `raw LIST walk ${ms(list.rawWalk)}`, ratio(list.listWalk, list.rawWalk, 1.0)],
    ['  raw LIST walk asking for no compression', ms(list.listWalk), `raw LIST walk ${ms(list.rawWalkUncompressed)}`, ratio(list.listWalk, list.rawWalkUncompressed)],
    [`list_clusters, full walk of ${clusters}`, ms(list.listWalk), `kubectl get -o json ${ms(list.kubectl)}`, ratio(list.listWalk, list.kubectl)],
    [
      `get_cluster, ${big.controlPlane}+${big.workers} Machines (${big.machinesReady}/${big.machines} Ready, ${big.objectsInTree} objects)`,
      ms(big.getCluster),
      `slowest raw LIST (${big.slowestList}) ${ms(big.rawLists[big.slowestList]!)}`,
      ratio(big.getCluster, big.rawLists[big.slowestList]!, 1.5),
    ],
    ['  vs the Machines LIST on a kept connection', ms(big.getCluster), `KubeClient LIST ${ms(big.machinesKeptConnection)}`, ratio(big.getCluster, big.machinesKeptConnection)],
    ['  vs the same 8 calls, raw', ms(big.getCluster), `raw discovery ${ms(big.rawDiscovery)}`, ratio(big.getCluster, big.rawDiscovery)],
    ['  of which discovery in-process (no MCP)', ms(big.discoveryInProcess), `raw discovery ${ms(big.rawDiscovery)}`, ratio(big.discoveryInProcess, big.rawDiscovery)],
    ['cold start: discover + tools/list, fresh process', ms(coldStart.capi.wall), `SDK hello world ${ms(coldStart.hello.wall)}`, ratio(coldStart.capi.wall, coldStart.hello.wall, 1.3)],
    [
      '  of which import / discover / tools/list',
      `${coldStart.capi.importMs.toFixed(0)} / ${coldStart.capi.discoverMs.toFixed(0)} / ${coldStart.capi.toolsListMs.toFixed(0)} ms`,
      `${coldStart.hello.importMs.toFixed(0)} / ${coldStart.hello.discoverMs.toFixed(0)} / ${coldStart.hello.toolsListMs.toFixed(0)} ms`,
      `key check ≈${keyCheckMs.toFixed(2)} ms of capi's discover`,
    ],
    ['  CPU time of the process (user + system)', ms(coldStart.capi.cpu), ms(coldStart.hello.cpu), ratio(coldStart.capi.cpu, coldStart.hello.cpu)],
    ['  code loaded at cold start (index.mjs + static chunks)', kib(coldStart.capi.loadedBytes), kib(coldStart.hello.loadedBytes), ratio(coldStart.capi.loadedBytes, coldStart.hello.loadedBytes)],
    ['  whole bundle (all chunks, without maps)', kib(coldStart.capi.totalBytes), kib(coldStart.hello.totalBytes), ratio(coldStart.capi.totalBytes, coldStart.hello.totalBytes)],
    ['throughput, tools/list (local adapter)', rate(throughput.toolsList), '—', '—'],
    ['throughput, list_clusters limit 50', rate(throughput.listClusters), '—', '—'],
    ['Lambda handler, 100 concurrent tools/list', burstText(concurrency.toolsList), '—', '—'],
    ['Lambda handler, 100 concurrent list_clusters limit 50', burstText(concurrency.listClusters), '—', '—'],
    ['Lambda handler, 100 concurrent, half each', burstText(concurrency.mixed), `RSS ${mib(concurrency.rssBeforeBytes)} → peak ${mib(concurrency.rssPeakBytes)}`, '—'],
    [`list_clusters over ${scaleClusters}, first page of 200`, pageText(scale.first), `${scale.seed.settled}/${scale.seed.created + scale.seed.existing} with a phase; rows: ${rowsText(scale.rows)}`, '—'],
    [`  middle page (${scale.middle.page}/${scale.pages}) / last page`, pageText(scale.middle), pageText(scale.last), `last/first ${(scale.last.ms / scale.first.ms).toFixed(2)}×`],
    [`  full walk of ${scaleClusters} (sum of its pages)`, seconds(scale.walkMs), `raw LIST walk ${seconds(scale.rawWalkMs)}`, ratio(scale.walkMs, scale.rawWalkMs)],
    ['workflow: create (1 CP + 1 worker)', op(workflows.create), `$${(workflows.create.transitions * dollarsPerTransition).toFixed(5)} at $0.025/1k`, '—'],
    ['workflow: scale workers 1 → 3', op(workflows.scale), `$${(workflows.scale.transitions * dollarsPerTransition).toFixed(5)}`, '—'],
    ['workflow: delete', op(workflows.delete), `$${(workflows.delete.transitions * dollarsPerTransition).toFixed(5)}`, '—'],
    ['tokens, whole tools/list', `${toolsTokens} (${tools.length} tools)`, '—', `target ≤3,000 ${toolsTokens <= 3000 ? 'met' : 'MISSED'}`],
    ['tokens per cluster row (text)', `median ${list.rowTokensMedian}, max ${list.rowTokensMax}`, `structured JSON ${list.structuredTokensPerRow.toFixed(1)}/row`, `target ≤40 ${list.rowTokensMax <= 40 ? 'met' : 'MISSED'}`],
  ];
  report = {
    table,
    results: {
      date: new Date().toISOString(),
      machine: { cores: cpus().length, node: process.version },
      runs,
      targets: { listPageRatio: 1.0, listWalkRatio: 1.0, getClusterRatio: 1.5, coldStartRatio: 1.3, toolsListTokens: 3000, rowTokens: 40, totalSeconds: 900 },
      listClusters: { clusters, ...list },
      getCluster: { ...big, ratio: big.getCluster.median / big.rawLists[big.slowestList]!.median },
      coldStart: { ...coldStart, keyCheckMs, ratio: coldStart.capi.wall.median / coldStart.hello.wall.median },
      throughput,
      lambdaConcurrency: concurrency,
      listClustersScale: scale,
      workflows: { dollarsPerTransition, ...workflows },
      tokens: { toolsList: toolsTokens, tools: tools.length, perTool },
    },
  };
} finally {
  await client.close().catch(() => undefined);
  await server.close();
  await Promise.all((await engine.list()).filter((r) => r.status === 'RUNNING').map((r) => engine.stop(r.name, 'bench ended')));
  for (const namespace of Object.values(namespaces)) {
    // Clusters first, so their controllers tear them down while the ClusterClass still exists.
    await custom.deleteCollectionNamespacedCustomObject({ group: 'cluster.x-k8s.io', version: 'v1beta2', namespace, plural: 'clusters' }).catch(() => undefined);
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  }
  if (startedSandbox) await sandbox.down();
}

// Everything from process start, the sandbox's start and the teardown included.
const totalMs = performance.now();
const { table, results } = report!;
table.push(['whole bench', seconds(totalMs), '—', `target <900 s ${totalMs < 900_000 ? 'met' : 'MISSED'}`]);
const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
console.log('');
for (const [i, row] of table.entries()) {
  console.log(`| ${row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`);
  if (i === 0) console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
}
await writeFile(join(repoRoot, 'bench', 'results.json'), `${JSON.stringify({ ...results, totalSeconds: totalMs / 1000 }, null, 2)}\n`);
log('wrote bench/results.json');
// Note: the kube clients' keep-alive sockets would hold the process open for another minute.
process.exit(0);
