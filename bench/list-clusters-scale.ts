/**
 * list_clusters at scale: a namespace of many stuck Clusters (2,000 in `npm run bench`, 10,000 in the run
 * SCALING.md reports) walked a page of 200 at a time through the MCP Lambda handler in this process (API
 * Gateway REST events), to see whether a page costs the same at the start, the middle and the end of a
 * large listing — it should: each page is one API server LIST with `limit` and the previous page's
 * `continue`, so its cost follows the page, not the namespace. Per page: wall time, response bytes, the
 * cursor's length, and the heap the page grew by (from a collected heap, the highest sampled while the
 * page ran); beside each, the raw client-node LIST of the same page of full objects (the baseline of
 * list-clusters.ts), walked in turn with the MCP walks so both meet the same load.
 *
 * The Clusters are seeded by stuck-clusters.ts and measured only once the controllers have given every
 * one a phase: each row is what a management cluster shows for a Cluster whose infrastructure never
 * came (phase Provisioning, not Available, first cause "InfrastructureReady: DevCluster does not exist"),
 * the costly kind of row for list_clusters, which explains every Cluster that is not Available.
 *
 * `node bench/list-clusters-scale.ts` runs it alone, on the scale sandbox (see bench-sandbox.ts):
 * `BENCH_SCALE_CLUSTERS` sets the number of Clusters (2,000), `BENCH_WALKS` the walks of each kind (3).
 * Seeding 10,000 took about a quarter of an hour on 2 cores shared at a load of 5–12 (70 s of creates at
 * 142/s, then the controllers' first pass, see stuck-clusters.ts), so BENCH_KEEP=1 keeps the namespace and the sandbox,
 * and `BENCH_SCALE_NAMESPACE` reuses them; a run on the kept 10,000 takes 3 minutes:
 *
 *   BENCH_KEEP=1 BENCH_SCALE_CLUSTERS=10000 node bench/list-clusters-scale.ts   # seeds, measures, keeps
 *   BENCH_KEEP=1 BENCH_SCALE_NAMESPACE=<the namespace it kept> BENCH_SCALE_CLUSTERS=10000 node bench/list-clusters-scale.ts
 *
 * (`npm run sandbox -- down --data-dir .capi-mcp/bench-scale --port-base 26000` stops the kept sandbox.)
 */
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { CustomObjectsApi } from '@kubernetes/client-node';
import type { Sandbox } from '../sandbox/sandbox.ts';
import type { KubeClient } from '../shared/kube/client.ts';
import type { BenchKey } from './access.ts';
import { invoke, loadLambdaHandler, withEmfCounted, type LambdaHandler } from './lambda-handler.ts';
import { seedStuckClusters, type SeedResult } from './stuck-clusters.ts';
import { tokensOf } from './tokens.ts';

export interface ListScaleSetup {
  readonly env: Readonly<Record<string, string>>;
  readonly key: BenchKey;
  /** Seeds the Clusters the namespace lacks. */
  readonly kube: KubeClient;
  /** The baseline's client: client-node as a user would call it. */
  readonly custom: CustomObjectsApi;
  readonly namespace: string;
  readonly clusters: number;
  /** Full walks of each kind; each page's figures are the median over them. */
  readonly walks: number;
  /** How long the controllers may take to give the new Clusters a phase; the bench fails past it unless `partialSettle`. */
  readonly settleDeadlineMs: number;
  readonly partialSettle?: boolean;
  /** The scale sandbox, whose core manager the seeding may run faster (see manager-rate.ts). */
  readonly sandbox?: Sandbox;
  readonly log: (line: string) => void;
}

export interface PageFigures {
  readonly page: number;
  readonly ms: number;
  readonly bodyBytes: number;
  readonly heapGrowthBytes: number;
  readonly cursorChars: number;
  /** The raw LIST of the same page of full objects: time, and the size of its JSON. */
  readonly rawMs: number;
  readonly rawBytes: number;
}

/** Medians over a stretch of the walk's pages, to show a trend that one page's noise would hide. */
export interface StretchFigures {
  readonly pages: string;
  readonly ms: number;
  readonly rawMs: number;
  readonly heapGrowthBytes: number;
}

export interface ListScaleResult {
  readonly seed: SeedResult;
  readonly pageSize: number;
  readonly pages: number;
  readonly first: PageFigures;
  readonly middle: PageFigures;
  readonly last: PageFigures;
  /** The first, middle and last tenth of the pages (at least one page each). */
  readonly stretches: readonly StretchFigures[];
  /** Median and slowest page over the whole walk (per-page medians over the walks). */
  readonly pageMedianMs: number;
  readonly pageMaxMs: number;
  readonly heapGrowthMaxBytes: number;
  /** A whole walk: the sum of its pages' times, median over the walks; the raw walk likewise. */
  readonly walkMs: number;
  readonly rawWalkMs: number;
  readonly rssPeakBytes: number;
  /** What the rows said, counted over one walk: `phase, first cause` → rows. */
  readonly rows: Readonly<Record<string, number>>;
  /** o200k_base tokens of a full page of 200: the text the model reads, and the structured content. */
  readonly pageTextTokens: number;
  readonly pageStructuredTokens: number;
}

const pageSize = 200;

export async function benchListClustersScale(setup: ListScaleSetup): Promise<ListScaleResult> {
  const { log, settleDeadlineMs, partialSettle, sandbox } = setup;
  const seed = await seedStuckClusters(setup.kube, setup.namespace, setup.clusters, { log, settleDeadlineMs, partialSettle, sandbox });
  const handler = await loadLambdaHandler(setup.env, 'bench-list-scale');
  const collect = garbageCollector();
  let rssPeak = process.memoryUsage.rss();

  const { result } = await withEmfCounted(async () => {
    // The first call of a module instance loads the kube client; a page of one pays for it here.
    const warm = await invoke(handler, setup.key, 'tools/call', { name: 'list_clusters', arguments: { namespace: setup.namespace, limit: 1 } });
    if (warm.failure) throw new Error(`list_clusters through the Lambda handler is not answered with a result: ${warm.failure}`);
    const walks: McpPage[][] = [];
    const rawWalks: RawPage[][] = [];
    const rows: Record<string, number> = {};
    let firstPage: any;
    for (let w = 0; w < setup.walks; w++) {
      const pages = await walk(handler, setup, collect, (page) => {
        firstPage ??= page;
        if (w === 0) for (const c of page.structuredContent.clusters) rows[`${c.phase}, ${c.notAvailableReason ?? 'Available'}`] = (rows[`${c.phase}, ${c.notAvailableReason ?? 'Available'}`] ?? 0) + 1;
      });
      walks.push(pages);
      rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
      const raw = await rawWalk(setup, collect);
      rawWalks.push(raw);
      if (raw.length !== pages.length) throw new Error(`the raw walk took ${raw.length} pages, list_clusters ${pages.length}`);
      setup.log(`  walk ${w + 1}: ${pages.length} pages in ${(sum(pages, (p) => p.ms) / 1000).toFixed(1)} s; raw LIST walk ${(sum(raw, (p) => p.rawMs) / 1000).toFixed(1)} s`);
    }
    const pages = walks[0]!.map((_, i): PageFigures => {
      const mcp = walks.map((pagesOfWalk) => pagesOfWalk[i]!);
      const raw = rawWalks.map((pagesOfWalk) => pagesOfWalk[i]!);
      return {
        page: i + 1,
        ms: median(mcp, (p) => p.ms),
        bodyBytes: median(mcp, (p) => p.bodyBytes),
        heapGrowthBytes: median(mcp, (p) => p.heapGrowthBytes),
        cursorChars: median(mcp, (p) => p.cursorChars),
        rawMs: median(raw, (p) => p.rawMs),
        rawBytes: median(raw, (p) => p.rawBytes),
      };
    });
    return {
      pages,
      rows,
      walkMs: median(walks, (pagesOfWalk) => sum(pagesOfWalk, (p) => p.ms)),
      rawWalkMs: median(rawWalks, (pagesOfWalk) => sum(pagesOfWalk, (p) => p.rawMs)),
      pageTextTokens: tokensOf(firstPage.content[0].text as string),
      pageStructuredTokens: tokensOf(firstPage.structuredContent),
    };
  });
  const { pages } = result;
  const tenth = Math.max(1, Math.round(pages.length / 10));
  const middleStart = Math.floor((pages.length - tenth) / 2);
  return {
    seed,
    pageSize,
    pages: pages.length,
    first: pages[0]!,
    middle: pages[Math.floor(pages.length / 2)]!,
    last: pages[pages.length - 1]!,
    stretches: [pages.slice(0, tenth), pages.slice(middleStart, middleStart + tenth), pages.slice(-tenth)].map(stretch),
    pageMedianMs: median(pages, (p) => p.ms),
    pageMaxMs: Math.max(...pages.map((p) => p.ms)),
    heapGrowthMaxBytes: Math.max(...pages.map((p) => p.heapGrowthBytes)),
    walkMs: result.walkMs,
    rawWalkMs: result.rawWalkMs,
    rssPeakBytes: rssPeak,
    rows: result.rows,
    pageTextTokens: result.pageTextTokens,
    pageStructuredTokens: result.pageStructuredTokens,
  };
}

type McpPage = Pick<PageFigures, 'ms' | 'bodyBytes' | 'heapGrowthBytes' | 'cursorChars'>;
type RawPage = Pick<PageFigures, 'rawMs' | 'rawBytes'>;

/** One full walk, page by page, each from a collected heap. */
async function walk(handler: LambdaHandler, setup: ListScaleSetup, collect: () => void, onPage: (page: any) => void): Promise<McpPage[]> {
  const pages: McpPage[] = [];
  let cursor: string | undefined;
  let seen = 0;
  do {
    collect();
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    const sampler = setInterval(() => (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)), 1);
    const answer = await invoke(handler, setup.key, 'tools/call', { name: 'list_clusters', arguments: { namespace: setup.namespace, limit: pageSize, ...(cursor ? { cursor } : {}) } });
    clearInterval(sampler);
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    if (answer.failure) throw new Error(`list_clusters page ${pages.length + 1} failed: ${answer.failure}`);
    const page = answer.message.result;
    onPage(page);
    seen += page.structuredContent.clusters.length;
    cursor = page.structuredContent.next_cursor;
    pages.push({ ms: answer.ms, bodyBytes: answer.bodyBytes, heapGrowthBytes: heapPeak - heapBefore, cursorChars: cursor?.length ?? 0 });
  } while (cursor);
  if (seen !== setup.clusters) throw new Error(`the walk saw ${seen} clusters, expected ${setup.clusters}`);
  return pages;
}

/** The same walk as raw client-node LISTs of full objects, a page of 200 each, from a collected heap. */
async function rawWalk(setup: ListScaleSetup, collect: () => void): Promise<RawPage[]> {
  const pages: RawPage[] = [];
  let token: string | undefined;
  do {
    collect();
    const t0 = performance.now();
    const page = await setup.custom.listNamespacedCustomObject({
      group: 'cluster.x-k8s.io',
      version: 'v1beta2',
      plural: 'clusters',
      namespace: setup.namespace,
      limit: pageSize,
      ...(token ? { _continue: token } : {}),
    });
    const rawMs = performance.now() - t0;
    // Note: client-node hands back parsed objects; their JSON again is the size of the answer within a few bytes.
    pages.push({ rawMs, rawBytes: Buffer.byteLength(JSON.stringify(page)) });
    token = page.metadata?.continue || undefined;
  } while (token);
  return pages;
}

function stretch(pages: readonly PageFigures[]): StretchFigures {
  return {
    pages: `${pages[0]!.page}–${pages[pages.length - 1]!.page}`,
    ms: median(pages, (p) => p.ms),
    rawMs: median(pages, (p) => p.rawMs),
    heapGrowthBytes: median(pages, (p) => p.heapGrowthBytes),
  };
}

function median<T>(samples: readonly T[], pick: (t: T) => number): number {
  return samples.map(pick).sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
}

function sum<T>(items: readonly T[], pick: (t: T) => number): number {
  return items.reduce((total, item) => total + pick(item), 0);
}

/** The V8 collector, so each page starts from a collected heap (exposed at run time; the bench needs no flag). */
function garbageCollector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
const mibText = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** How a page is shown in the bench's table. */
export function pageText(p: PageFigures): string {
  return `${p.ms.toFixed(0)} ms, ${kib(p.bodyBytes)} answer, heap +${mibText(p.heapGrowthBytes)}; raw LIST ${p.rawMs.toFixed(0)} ms, ${kib(p.rawBytes)} (${(p.ms / p.rawMs).toFixed(2)}×)`;
}

/** What the rows said, most common first: "10000 × Provisioning, InfrastructureNotReady". */
export function rowsText(rows: Readonly<Record<string, number>>): string {
  return Object.entries(rows)
    .sort((a, b) => b[1] - a[1])
    .map(([what, n]) => `${n} × ${what}`)
    .join('; ');
}

/** `node bench/list-clusters-scale.ts`: this measurement alone, on the scale sandbox. */
if (import.meta.main) {
  const { benchSandbox } = await import('./bench-sandbox.ts');
  const { mib } = await import('./lambda-concurrency.ts');
  const log = (l: string) => console.log(`[bench] ${l}`);
  const sandbox = await benchSandbox({ sandbox: 'scale', purpose: 'list-scale', namespace: process.env.BENCH_SCALE_NAMESPACE, log });
  try {
    const clusters = Number(process.env.BENCH_SCALE_CLUSTERS ?? 2000);
    log(`list_clusters over ${clusters} Clusters in ${sandbox.namespace}, pages of ${pageSize}`);
    const loadBefore = (await import('node:os')).loadavg();
    const r = await benchListClustersScale({
      env: sandbox.functionEnv,
      key: sandbox.key,
      kube: sandbox.kube,
      custom: sandbox.custom,
      sandbox: sandbox.sandbox,
      namespace: sandbox.namespace,
      clusters,
      walks: Number(process.env.BENCH_WALKS ?? 3),
      settleDeadlineMs: Number(process.env.BENCH_SETTLE_MS ?? 900_000),
      log,
    });
    const loadAfter = (await import('node:os')).loadavg();
    const s = r.seed;
    console.log(
      s.created > 0
        ? `seed: ${s.created} created in ${(s.createMs / 1000).toFixed(1)} s (${(s.created / (s.createMs / 1000)).toFixed(0)}/s), ${s.settled} with a phase ${(s.settleMs / 1000).toFixed(0)} s later`
        : `seed: reused ${s.existing} Clusters, ${s.settled} with a phase`,
    );
    console.log(`rows: ${rowsText(r.rows)}`);
    console.log(`first page  (1/${r.pages})   ${pageText(r.first)}`);
    console.log(`middle page (${r.middle.page}/${r.pages})  ${pageText(r.middle)}`);
    console.log(`last page   (${r.pages}/${r.pages})  ${pageText(r.last)}`);
    for (const t of r.stretches) console.log(`pages ${t.pages}: median ${t.ms.toFixed(0)} ms (raw ${t.rawMs.toFixed(0)} ms), heap +${mibText(t.heapGrowthBytes)}`);
    console.log(`all pages: median ${r.pageMedianMs.toFixed(0)} ms, slowest ${r.pageMaxMs.toFixed(0)} ms, most heap +${mibText(r.heapGrowthMaxBytes)}; cursor ${r.first.cursorChars} chars`);
    console.log(`full walk ${(r.walkMs / 1000).toFixed(1)} s, raw LIST walk ${(r.rawWalkMs / 1000).toFixed(1)} s (${(r.walkMs / r.rawWalkMs).toFixed(2)}×)`);
    console.log(`a page of ${pageSize}: ${r.pageTextTokens} text tokens, ${r.pageStructuredTokens} structured tokens; process RSS peak ${mib(r.rssPeakBytes)}`);
    console.log(`load average (1 min) ${loadBefore[0]!.toFixed(1)} before, ${loadAfter[0]!.toFixed(1)} after, on ${(await import('node:os')).cpus().length} cores`);
  } finally {
    await sandbox.close();
  }
  process.exit(0);
}
