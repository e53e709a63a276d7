/**
 * The Cluster API core manager of a bench's own sandbox, restarted with another client-side rate limit.
 *
 * Why: a Cluster the controllers have not seen has no phase, and the core manager sees new Clusters at
 * the rate its API client allows: `--kube-api-qps` 20 (burst 30) by default, and each new stuck Cluster
 * costs it ≈4 requests (the referenced DevCluster read live, a finalizer PATCH, status PATCHes, an Event),
 * so 5 Clusters a second — measured: 1,000 of 10,000 new Clusters had a phase 67 s after the last create,
 * with the manager at 17% of a core. Worse, every stuck Cluster is requeued ("Could not find DevCluster,
 * requeuing") and takes its turn again in the same 5 a second, so the first pass slows as the namespace
 * grows. The seeding raises the limit for the first pass, then puts the default back, so what the bench
 * measures runs beside the controllers a real management cluster has.
 *
 * Note: the Sandbox class stops and starts only the API server; this restarts one manager with the same
 * command line `up` gives it (sandbox/flags.ts managerSpec) plus the rate flags, tracked by the same pid
 * file, so `down` stops it as any other. Its webhooks do not answer while it restarts: no creates then.
 */
import { join } from 'node:path';
import { ensureBinaries } from '../sandbox/build.ts';
import { managerNames, managerSpec } from '../sandbox/flags.ts';
import { ensurePki } from '../sandbox/pki.ts';
import { httpStatus } from '../sandbox/probes.ts';
import { startProcess, stopProcesses } from '../sandbox/processes.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';

/** The manager that reconciles Clusters and serves their webhooks. */
const coreManager = 'capi-manager';

/** Cluster API's defaults (`--kube-api-qps`, `--kube-api-burst`). */
export const defaultManagerRate = { qps: 20, burst: 30 } as const;

/**
 * Restarts the core manager with `rate` (the defaults when omitted), and waits until it is ready and its
 * webhooks admit a dry-run Cluster.
 */
export async function restartCoreManager(sandbox: Sandbox, rate: { qps: number; burst: number } = defaultManagerRate, admits: () => Promise<unknown>): Promise<void> {
  const { paths, ports } = sandbox;
  const binary = join((await ensureBinaries(() => {})).bin, coreManager);
  const pki = await ensurePki(paths.pki, managerNames);
  await stopProcesses(paths.pids, [coreManager], 10_000, [coreManager]);
  const spec = managerSpec(coreManager, binary, paths, ports, pki);
  await startProcess({ ...spec, args: [...spec.args, `--kube-api-qps=${rate.qps}`, `--kube-api-burst=${rate.burst}`] }, paths.pids, paths.logs);
  const deadline = Date.now() + 180_000;
  const health = `http://127.0.0.1:${ports.managers[coreManager]!.health}/readyz`;
  for (;;) {
    const ready = (await httpStatus(health).catch(() => 0)) === 200 && (await admits().then(() => true, () => false));
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`${coreManager} did not become ready after its restart: ${await sandbox.logTail(coreManager)}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
