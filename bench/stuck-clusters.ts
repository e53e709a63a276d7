/**
 * The Clusters the list benches walk: many Clusters in one namespace that no controller can provision
 * (each names a DevCluster that does not exist), each created through the API server and Cluster API's
 * webhooks as a user's would be, then left to the controllers until every one has a phase, so a listing
 * reads objects with the status a real management cluster holds: phase Provisioning, not Available, first
 * cause "InfrastructureReady: DevCluster does not exist".
 *
 * What bounds the seeding (measured on the scale sandbox, 2 cores shared with other test runs):
 * - Creating: the API server's CPU, ≈3 ms a create on its own (a dry run: authn, both webhooks,
 *   admission), ≈9 ms with the controllers' writes each Cluster draws (a finalizer PATCH through the
 *   webhooks again, ≈3 status PATCHes); the Cluster API managers took ≈3 ms, etcd ≈1 ms. client-node's
 *   own calls opened a TLS connection each and cost the bench 3.8 ms a create on the same 2 cores; over a
 *   KubeClient, whose connections are kept, 1.3 ms. So creates go over one KubeClient, 16 in flight at a
 *   time (no batch waits for its slowest create): 10,000 in 70 s (142/s), where batches of 50 through
 *   client-node made 31/s.
 * - The phase: the core manager's first pass, 5 new Clusters a second with 10,000 queued, see
 *   manager-rate.ts. On the scale sandbox the seeding restarts it with a raised rate limit for the first
 *   pass (10,000 within 13½ minutes of the last create at a load of 8–12, instead of a projected half hour
 *   and more) and restarts it at its defaults before anything is measured.
 * A namespace kept by an earlier run (BENCH_KEEP=1) is topped up to the count, not seeded again.
 */
import { performance } from 'node:perf_hooks';
import type { Sandbox } from '../sandbox/sandbox.ts';
import type { KubeClient, KubeObject } from '../shared/kube/client.ts';
import { Kinds } from '../shared/kube/kinds.ts';
import { defaultManagerRate, restartCoreManager } from './manager-rate.ts';

export interface SeedOptions {
  readonly log: (line: string) => void;
  /** Creates in flight at once; the API server's CPU, not this, bounds the rate past a few. */
  readonly concurrency?: number;
  /** How long to wait for every Cluster to have a phase. */
  readonly settleDeadlineMs?: number;
  /**
   * Past the deadline: fail (the default), or go on with the Clusters as they are, `settled` saying how
   * many have a phase (`npm run bench` on its shared sandbox, where the controllers keep their default pace).
   */
  readonly partialSettle?: boolean;
  /**
   * The bench's own sandbox holding the namespace: its core manager then runs with a raised API rate
   * limit from the last create until every Cluster has a phase, and with the default again after (see
   * manager-rate.ts). Without it the controllers' default pace, 5 new Clusters a second.
   */
  readonly sandbox?: Sandbox;
}

export interface SeedResult {
  /** Clusters created by this run (0 when a kept namespace already held them). */
  readonly created: number;
  /** Clusters the namespace held before. */
  readonly existing: number;
  readonly createMs: number;
  /** From the last create until every Cluster had a phase (the controllers' first pass), or the deadline. */
  readonly settleMs: number;
  /** Clusters with a phase when the seeding returned. */
  readonly settled: number;
}

/** The core manager's API rate while the controllers take the new Clusters on (35–50 Clusters/s at first on 2 loaded cores). */
const seedingRate = { qps: 300, burst: 500 } as const;

/** The name of the `i`th Cluster; zero-padded, so the API server's name order is creation order. */
export const stuckClusterName = (i: number) => `c-${String(i).padStart(5, '0')}`;

/** The `i`th stuck Cluster of `namespace`. */
export function stuckCluster(namespace: string, i: number): KubeObject {
  return {
    apiVersion: 'cluster.x-k8s.io/v1beta2',
    kind: 'Cluster',
    metadata: { name: stuckClusterName(i), namespace },
    spec: { infrastructureRef: { apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'DevCluster', name: `missing-${i}` } },
  };
}

/**
 * Makes `namespace` hold `count` stuck Clusters with a phase: creates those of the first `count` names
 * it lacks (none when it already holds `count` or more), then waits for the controllers.
 */
export async function seedStuckClusters(kube: KubeClient, namespace: string, count: number, options: SeedOptions): Promise<SeedResult> {
  const { log, concurrency = 16, settleDeadlineMs = 600_000 } = options;
  const present = new Set<string>();
  await forEachPage(kube, namespace, (items) => items.forEach((c) => present.add(c.metadata.name)));
  const missing = present.size >= count ? [] : Array.from({ length: count }, (_, i) => i).filter((i) => !present.has(stuckClusterName(i)));
  if (present.size > 0) log(`namespace ${namespace} holds ${present.size} Clusters; creating ${missing.length}`);
  const total = present.size + missing.length;

  const t0 = performance.now();
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let i = next++; i < missing.length; i = next++) {
      await kube.create(stuckCluster(namespace, missing[i]!), { fieldManager: 'capi-mcp-bench' });
      if (++done % 1000 === 0) log(`  created ${done} Clusters (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, missing.length) }, worker));
  const createMs = performance.now() - t0;
  if (missing.length > 0) log(`created ${missing.length} Clusters in ${(createMs / 1000).toFixed(1)} s (${(missing.length / (createMs / 1000)).toFixed(0)}/s)`);

  // Note: raised after the creates, not before: the webhooks are down while the manager restarts, and
  // the creates, measured at their rate with the controllers at the default pace, would share the API
  // server with a faster first pass for no gain on 2 cores.
  const faster = options.sandbox && (await withPhase(kube, namespace)) < total ? options.sandbox : undefined;
  // A dry-run create proves that the restarted manager's webhooks admit Clusters again.
  const admits = () => kube.create({ ...stuckCluster(namespace, 0), metadata: { name: 'webhook-probe', namespace } }, { fieldManager: 'capi-mcp-bench', dryRun: true });
  let settleMs = 0;
  let settled = 0;
  try {
    if (faster) {
      log(`restarting the core manager at ${seedingRate.qps} requests/s (burst ${seedingRate.burst}) for the controllers' first pass`);
      await restartCoreManager(faster, seedingRate, admits);
    }
    ({ settleMs, settled } = await untilAllHavePhase(kube, namespace, total, settleDeadlineMs, options.partialSettle ?? false, log));
  } finally {
    if (faster) {
      await restartCoreManager(faster, defaultManagerRate, admits);
      log(`core manager back at Cluster API's default rate (${defaultManagerRate.qps} requests/s, burst ${defaultManagerRate.burst})`);
    }
  }
  log(`${settled === total ? 'all' : settled} of ${total} Clusters have a phase ${(settleMs / 1000).toFixed(1)} s after the last create`);
  return { created: missing.length, existing: present.size, createMs, settleMs, settled };
}

/** Waits until `total` Clusters of the namespace have a phase, or the deadline. */
async function untilAllHavePhase(kube: KubeClient, namespace: string, total: number, deadlineMs: number, partial: boolean, log: (line: string) => void) {
  const t0 = performance.now();
  let lastLog = t0;
  for (;;) {
    const settled = await withPhase(kube, namespace);
    if (settled >= total || (partial && performance.now() - t0 > deadlineMs)) return { settleMs: performance.now() - t0, settled };
    if (performance.now() - t0 > deadlineMs) {
      throw new Error(`only ${settled} of ${total} Clusters in ${namespace} had a phase after ${(deadlineMs / 1000).toFixed(0)} s: the controllers have not seen the rest`);
    }
    if (performance.now() - lastLog > 20_000) {
      log(`  ${settled} of ${total} Clusters have a phase (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      lastLog = performance.now();
    }
    await new Promise((r) => setTimeout(r, 5000));
  }
}

/**
 * How many Clusters of the namespace have a phase.
 *
 * Note: each item is cut to its name and phase as it arrives, so 10,000 full objects are never held
 * at once, and the check runs every few seconds, not faster: it reads the whole namespace each time, from
 * the API server the controllers are waiting on. The controllers take Clusters in no useful order (a
 * restarted manager in its informer's), so no prefix of the name order tells how far they got.
 */
async function withPhase(kube: KubeClient, namespace: string): Promise<number> {
  let settled = 0;
  await forEachPage(kube, namespace, (items) => void (settled += items.filter((c) => c.status?.phase).length));
  return settled;
}

/** Pages of 500 Clusters of `namespace`, name and phase only. */
async function forEachPage(kube: KubeClient, namespace: string, onPage: (items: KubeObject[]) => void): Promise<void> {
  const keep = (c: KubeObject): KubeObject => ({ metadata: { name: c.metadata.name }, status: { phase: c.status?.phase } });
  let continueToken: string | undefined;
  do {
    const page = await kube.list(Kinds.Cluster, { namespace, limit: 500, keep, ...(continueToken ? { continueToken } : {}) });
    onPage(page.items);
    continueToken = page.continueToken;
  } while (continueToken);
}
