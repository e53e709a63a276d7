/**
 * list_clusters at scale: a namespace of many stuck Clusters (2,000 unless told otherwise) walked a
 * page of 200 at a time through the MCP Lambda handler in this process (API Gateway REST events), to
 * see whether a page costs the same at the start, the middle and the end of a large listing — it
 * should: each page is one API server LIST with `limit` and the previous page's `continue`, so its cost
 * follows the page, not the namespace. Per page: wall time, response bytes, the cursor's length, and the
 * heap the page grew by (from a collected heap, the highest sampled while the page ran).
 *
 * Note: 2,000 because 10,000 does not fit a bench's two minutes on 2 cores: the Clusters are created
 * through the API server and Cluster API's webhooks, 31 a second over 5,000 (160 s, slowing as the
 * controllers take each new one on), before anything is measured. SCALING.md has the 5,000 run and the
 * extrapolation.
 *
 * `node bench/list-clusters-scale.ts` runs it alone (sandbox of its own, see scale-sandbox.ts);
 * `BENCH_SCALE_CLUSTERS` sets the number of Clusters.
 */
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { CustomObjectsApi } from '@kubernetes/client-node';
import type { BenchKey } from './access.ts';
import { invoke, loadLambdaHandler, withEmfCounted, type LambdaHandler } from './lambda-handler.ts';
import { createStuckClusters, type SeedResult } from './scale-sandbox.ts';
import { tokensOf } from './tokens.ts';

export interface ListScaleSetup {
  readonly env: Readonly<Record<string, string>>;
  readonly key: BenchKey;
  readonly custom: CustomObjectsApi;
  readonly namespace: string;
  readonly clusters: number;
  /** Full walks of the listing; each page's figures are the median over them. */
  readonly walks: number;
  /** How long to wait for the controllers to give the new Clusters a phase before measuring. */
  readonly settleDeadlineMs: number;
  readonly log: (line: string) => void;
}

export interface PageFigures {
  readonly page: number;
  readonly ms: number;
  readonly bodyBytes: number;
  readonly heapGrowthBytes: number;
  readonly cursorChars: number;
}

export interface ListScaleResult {
  readonly seed: SeedResult;
  readonly pageSize: number;
  readonly pages: number;
  readonly first: PageFigures;
  readonly middle: PageFigures;
  readonly last: PageFigures;
  /** Median and slowest page over the whole walk (per-page medians over the walks). */
  readonly pageMedianMs: number;
  readonly pageMaxMs: number;
  readonly walkMs: number;
  readonly rssPeakBytes: number;
  /** o200k_base tokens of a full page of 200: the text the model reads, and the structured content. */
  readonly pageTextTokens: number;
  readonly pageStructuredTokens: number;
}

const pageSize = 200;

export async function benchListClustersScale(setup: ListScaleSetup): Promise<ListScaleResult> {
  const seed = await createStuckClusters(setup.custom, setup.namespace, setup.clusters, { log: setup.log, settleDeadlineMs: setup.settleDeadlineMs });
  const handler = await loadLambdaHandler(setup.env, 'bench-list-scale');
  const collect = garbageCollector();
  let rssPeak = process.memoryUsage.rss();

  const { result } = await withEmfCounted(async () => {
    // The first call of a module instance loads the kube client; a page of one pays for it here.
    const warm = await invoke(handler, setup.key, 'tools/call', { name: 'list_clusters', arguments: { namespace: setup.namespace, limit: 1 } });
    if (warm.failure) throw new Error(`list_clusters through the Lambda handler is not answered with a result: ${warm.failure}`);
    const walks: PageFigures[][] = [];
    let walkMs = 0;
    let firstPage: any;
    for (let w = 0; w < setup.walks; w++) {
      const t0 = performance.now();
      const pages = await walk(handler, setup, collect, (page) => (firstPage ??= page));
      walkMs = w === 0 ? performance.now() - t0 : Math.min(walkMs, performance.now() - t0);
      walks.push(pages);
      rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
      setup.log(`  walk ${w + 1}: ${pages.length} pages in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    const pages = walks[0]!.map((_, i) => medianPage(walks.map((pagesOfWalk) => pagesOfWalk[i]!)));
    const sortedMs = pages.map((p) => p.ms).sort((a, b) => a - b);
    return {
      pages,
      walkMs,
      pageMedianMs: sortedMs[Math.floor(sortedMs.length / 2)]!,
      pageMaxMs: sortedMs[sortedMs.length - 1]!,
      pageTextTokens: tokensOf(firstPage.content[0].text as string),
      pageStructuredTokens: tokensOf(firstPage.structuredContent),
    };
  });
  const { pages } = result;
  return {
    seed,
    pageSize,
    pages: pages.length,
    first: pages[0]!,
    middle: pages[Math.floor(pages.length / 2)]!,
    last: pages[pages.length - 1]!,
    pageMedianMs: result.pageMedianMs,
    pageMaxMs: result.pageMaxMs,
    walkMs: result.walkMs,
    rssPeakBytes: rssPeak,
    pageTextTokens: result.pageTextTokens,
    pageStructuredTokens: result.pageStructuredTokens,
  };
}

/** One full walk, page by page, each from a collected heap. */
async function walk(handler: LambdaHandler, setup: ListScaleSetup, collect: () => void, onFirst: (page: any) => void): Promise<PageFigures[]> {
  const pages: PageFigures[] = [];
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
    if (pages.length === 0) onFirst(page);
    seen += page.structuredContent.clusters.length;
    cursor = page.structuredContent.next_cursor;
    pages.push({ page: pages.length + 1, ms: answer.ms, bodyBytes: answer.bodyBytes, heapGrowthBytes: heapPeak - heapBefore, cursorChars: cursor?.length ?? 0 });
  } while (cursor);
  if (seen !== setup.clusters) throw new Error(`the walk saw ${seen} clusters, expected ${setup.clusters}`);
  return pages;
}

function medianPage(samples: readonly PageFigures[]): PageFigures {
  const median = (pick: (p: PageFigures) => number) => [...samples].map(pick).sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
  return { page: samples[0]!.page, ms: median((p) => p.ms), bodyBytes: median((p) => p.bodyBytes), heapGrowthBytes: median((p) => p.heapGrowthBytes), cursorChars: median((p) => p.cursorChars) };
}

/** The V8 collector, so each page starts from a collected heap (exposed at run time; the bench needs no flag). */
function garbageCollector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

/** How a page is shown in the bench's table. */
export function pageText(p: PageFigures): string {
  return `${p.ms.toFixed(0)} ms, ${kib(p.bodyBytes)} answer, heap +${(p.heapGrowthBytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** `node bench/list-clusters-scale.ts`: this measurement alone, on a sandbox of its own. */
if (import.meta.main) {
  const { openScaleSandbox } = await import('./scale-sandbox.ts');
  const { mib } = await import('./lambda-concurrency.ts');
  const sandbox = await openScaleSandbox('list-scale');
  try {
    const clusters = Number(process.env.BENCH_SCALE_CLUSTERS ?? 2000);
    const log = (l: string) => console.log(`[bench] ${l}`);
    log(`list_clusters over ${clusters} Clusters, pages of ${pageSize}`);
    const r = await benchListClustersScale({
      env: sandbox.functionEnv,
      key: sandbox.key,
      custom: sandbox.custom,
      namespace: sandbox.namespace,
      clusters,
      walks: Number(process.env.BENCH_WALKS ?? 3),
      settleDeadlineMs: Number(process.env.BENCH_SETTLE_MS ?? 30_000),
      log,
    });
    console.log(`seed: ${r.seed.created} created in ${(r.seed.createMs / 1000).toFixed(1)} s (${(r.seed.created / (r.seed.createMs / 1000)).toFixed(0)}/s); ${r.seed.settled} with a phase after ${(r.seed.settleMs / 1000).toFixed(0)} s`);
    console.log(`first page  (1/${r.pages})   ${pageText(r.first)}`);
    console.log(`middle page (${r.middle.page}/${r.pages})  ${pageText(r.middle)}`);
    console.log(`last page   (${r.pages}/${r.pages})  ${pageText(r.last)}`);
    console.log(`all pages: median ${r.pageMedianMs.toFixed(0)} ms, slowest ${r.pageMaxMs.toFixed(0)} ms; full walk ${(r.walkMs / 1000).toFixed(1)} s; cursor ${r.first.cursorChars} chars`);
    console.log(`a page of ${pageSize}: ${r.pageTextTokens} text tokens, ${r.pageStructuredTokens} structured tokens; process RSS peak ${mib(r.rssPeakBytes)}`);
  } finally {
    await sandbox.close();
  }
  process.exit(0);
}
