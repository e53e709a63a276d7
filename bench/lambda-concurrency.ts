/**
 * 100 concurrent calls to the MCP Lambda handler in one process: rounds of 100 tools/list, 100
 * list_clusters (a page of 50 from a namespace of stuck Clusters on the bench sandbox) and 100 of the two
 * mixed, all started at once through API Gateway REST events. Reports p50 / p95 / max latency per kind,
 * errors (any answer that is not a result; the bench fails on one) and the process's resident memory.
 *
 * Note: Lambda gives each concurrent invocation its own container; one process answering 100 at once is
 * the harsher case — one event loop, one key cache, one kube connection pool shared — so it shows what
 * the handler's shared state does under contention, and an upper bound on the latency a container adds.
 *
 * `node bench/lambda-concurrency.ts` runs it alone against a sandbox of its own (see the end of the file).
 */
import { performance } from 'node:perf_hooks';
import { statsOf, type Stats } from './stats.ts';
import type { BenchKey } from './access.ts';
import { invoke, loadLambdaHandler, withEmfCounted, type Invocation, type LambdaHandler } from './lambda-handler.ts';

export interface LambdaConcurrencySetup {
  /** CAPI_MCP_MANAGEMENT_CLUSTERS and the key store the function is configured with. */
  readonly env: Readonly<Record<string, string>>;
  readonly key: BenchKey;
  /** A namespace holding Clusters, listed a page of 50 at a time. */
  readonly namespace: string;
  readonly concurrency: number;
  readonly rounds: number;
  readonly log: (line: string) => void;
}

export interface Burst {
  readonly calls: number;
  readonly latency: Stats;
  readonly maxMs: number;
  readonly errors: number;
  /** CPU time of this process (user + system) per call: the handler's own work, the API server's not included. */
  readonly cpuMsPerCall: number;
  /** The first few failures, verbatim, for the report. */
  readonly failures: readonly string[];
}

export interface LambdaConcurrencyResult {
  readonly concurrency: number;
  readonly rounds: number;
  /** The first call of the fresh module instance (loads the kube client, reads the key store). */
  readonly firstCallMs: number;
  readonly toolsList: Burst;
  readonly listClusters: Burst;
  readonly mixed: Burst;
  /** Resident set size before the bursts and the highest sampled while they ran (every 5 ms). */
  readonly rssBeforeBytes: number;
  readonly rssPeakBytes: number;
  readonly heapUsedPeakBytes: number;
  /** EMF metric documents written (one per tool call: tools/list writes none). */
  readonly emfDocuments: number;
}

export async function benchLambdaConcurrency(setup: LambdaConcurrencySetup): Promise<LambdaConcurrencyResult> {
  const handler = await loadLambdaHandler(setup.env, 'bench-concurrency');
  const listArgs = { name: 'list_clusters', arguments: { namespace: setup.namespace, limit: 50 } };
  const call = {
    toolsList: () => invoke(handler, setup.key, 'tools/list'),
    listClusters: () => invoke(handler, setup.key, 'tools/call', listArgs),
  };

  const { result, emfDocuments } = await withEmfCounted(async () => {
    const t0 = performance.now();
    const first = await call.listClusters();
    const firstCallMs = performance.now() - t0;
    if (first.failure) throw new Error(`list_clusters through the Lambda handler is not answered with a result: ${first.failure}`);
    await call.toolsList();

    const memory = sampleMemory();
    const run = async (name: string, one: (i: number) => Promise<Invocation>): Promise<Burst> => {
      const samples: Invocation[] = [];
      const rounds: string[] = [];
      const cpu = process.cpuUsage();
      for (let round = 0; round < setup.rounds; round++) {
        const batch = await Promise.all(Array.from({ length: setup.concurrency }, (_, i) => one(i)));
        const stats = statsOf(batch.map((s) => s.ms));
        rounds.push(`${stats.median.toFixed(0)}/${Math.max(...batch.map((s) => s.ms)).toFixed(0)}`);
        samples.push(...batch);
      }
      const used = process.cpuUsage(cpu);
      const burst = burstOf(samples, (used.user + used.system) / 1000);
      setup.log(`  ${name}: ${burstText(burst)} (p50/max per round: ${rounds.join(', ')} ms)`);
      return burst;
    };
    const bursts = {
      toolsList: await run('tools/list', call.toolsList),
      listClusters: await run('list_clusters', call.listClusters),
      mixed: await run('mixed', (i) => (i % 2 === 0 ? call.toolsList() : call.listClusters())),
    };
    const { before, peak, heapPeak } = memory.stop();
    return { firstCallMs, ...bursts, rssBeforeBytes: before, rssPeakBytes: peak, heapUsedPeakBytes: heapPeak };
  });
  return { concurrency: setup.concurrency, rounds: setup.rounds, ...result, emfDocuments };
}

function burstOf(samples: readonly Invocation[], cpuMs: number): Burst {
  const failed = samples.filter((s) => s.failure);
  return {
    calls: samples.length,
    cpuMsPerCall: cpuMs / samples.length,
    latency: statsOf(samples.map((s) => s.ms)),
    maxMs: Math.max(...samples.map((s) => s.ms)),
    errors: failed.length,
    failures: failed.slice(0, 3).map((s) => s.failure!),
  };
}

/** Samples RSS and heap every 5 ms (the samples land between the handler's synchronous stretches). */
function sampleMemory() {
  const before = process.memoryUsage.rss();
  let peak = before;
  let heapPeak = process.memoryUsage().heapUsed;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  }, 5);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage.rss());
      return { before, peak, heapPeak };
    },
  };
}

export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

/** One line per kind of burst, for the bench's table. */
export function burstText(b: Burst): string {
  return `p50 ${b.latency.median.toFixed(0)} ms, p95 ${b.latency.p95.toFixed(0)} ms, max ${b.maxMs.toFixed(0)} ms; errors ${b.errors}/${b.calls}; CPU ${b.cpuMsPerCall.toFixed(1)} ms/call`;
}

/** Throws when any call of any burst failed: a result the bench prints must be one of zero errors. */
export function assertNoErrors(result: LambdaConcurrencyResult): void {
  for (const [name, burst] of Object.entries({ toolsList: result.toolsList, listClusters: result.listClusters, mixed: result.mixed })) {
    if (burst.errors > 0) throw new Error(`${burst.errors} of ${burst.calls} concurrent ${name} calls failed, e.g. ${burst.failures.join(' | ')}`);
  }
}

/**
 * `node bench/lambda-concurrency.ts`: this measurement alone. Uses the sandbox of `BENCH_SCALE_DATA_DIR`
 * (default `.capi-mcp/bench-scale`, port base `BENCH_SCALE_PORT_BASE`, default 26000) — never the test
 * sandbox — bringing it up if needed and down again if it started it; seeds 200 stuck Clusters in a
 * namespace of its own and deletes it afterwards.
 */
if (import.meta.main) {
  const { benchSandbox } = await import('./bench-sandbox.ts');
  const sandbox = await benchSandbox({ sandbox: 'scale', purpose: 'lambda' });
  try {
    await sandbox.seedClusters(200);
    const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 100);
    const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
    console.log(`[bench] ${concurrency} concurrent calls to the Lambda handler, ${rounds} rounds each`);
    const result = await benchLambdaConcurrency({ env: sandbox.functionEnv, key: sandbox.key, namespace: sandbox.namespace, concurrency, rounds, log: (l) => console.log(`[bench] ${l}`) });
    console.log(`first call (fresh module)   ${result.firstCallMs.toFixed(0)} ms`);
    console.log(`tools/list × ${concurrency}          ${burstText(result.toolsList)}`);
    console.log(`list_clusters × ${concurrency}       ${burstText(result.listClusters)}`);
    console.log(`mixed × ${concurrency}               ${burstText(result.mixed)}`);
    console.log(`RSS before ${mib(result.rssBeforeBytes)}, peak ${mib(result.rssPeakBytes)}; heap peak ${mib(result.heapUsedPeakBytes)}; process maxRSS ${mib(process.resourceUsage().maxRSS * 1024)}; EMF documents ${result.emfDocuments}`);
    assertNoErrors(result);
  } finally {
    await sandbox.close();
  }
  process.exit(0);
}
