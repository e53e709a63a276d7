/**
 * The Cluster API core manager of a bench's own sandbox, restarted with another client-side rate limit.
 *
 * Why: a Cluster the controllers have not seen has no phase, and with 10,000 new stuck Clusters the core
 * manager gave 5 a second their first phase (measured: 1,001 of 10,000 after 67 s, at its defaults of 100
 * requests/s, burst 200). Each new stuck Cluster draws ≈4 writes from it (the API server's counters over
 * 500: 1.2 PATCHes and 2.9 status PATCHes each within 35 s), plus a live read of the missing DevCluster,
 * and every stuck Cluster is requeued ("Could not find DevCluster, requeuing") into the same budget, so the
 * first pass slows as the namespace grows. Restarted at 300/500 it did 35–50 a second, falling to ≈10 as
 * the shared machine's load rose to 12. Note: whether the higher limit or the restart itself (an empty
 * work queue, the informer's list taken in one pass) made the difference is not isolated. The seeding then
 * restarts it at the defaults, so what the bench measures runs beside the controllers a management cluster
 * has. A fresh sandbox, without the backlog, gave 1,000 new Clusters a phase in 43 s at the defaults.
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

/** The manager's own defaults (`capi-manager --help`: `--kube-api-qps` 100, `--kube-api-burst` 200). */
export const defaultManagerRate = { qps: 100, burst: 200 } as const;

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
