/**
 * `up`, `down`, stale detection and `up` after `down` on a sandbox of its own (own data folder and
 * ports), so the shared test sandbox keeps running meanwhile — which also proves two sandboxes run
 * side by side.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../sandbox/layout.ts';
import { kubectl } from '../../sandbox/manifests.ts';
import { Sandbox } from '../../sandbox/sandbox.ts';
import { testPortBase, testSandbox } from '../support/sandbox.ts';
import { eventually } from '../support/wait.ts';

/**
 * 15000 below the test sandbox's: 6000 by default, the one block of the repo's plan below the ephemeral
 * ports that no other sandbox uses (bench 11000, npm start 16000, tests 21000, the scale benches 26000,
 * where this test used to collide with them).
 */
const lifecyclePortBase = testPortBase - 15000;
const sandbox = new Sandbox({ dataDir: join(repoRoot, '.capi-mcp', 'test-lifecycle'), portBase: lifecyclePortBase });
const logs: string[] = [];
const log = (line: string) => logs.push(line);

/** Pids of every process on the machine whose command line mentions this sandbox's data folder. */
function processesUsing(dir: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function clusterClasses(): Promise<string[]> {
  const { stdout } = await kubectl(['--kubeconfig', sandbox.paths.kubeconfig, 'get', 'clusterclasses', '-n', 'default', '-o', 'name']);
  return stdout.trim().split('\n');
}

describe('sandbox lifecycle', () => {
  before(async () => {
    await sandbox.reset();
  });
  after(async () => {
    await sandbox.reset();
  });

  it('comes up from an empty data folder with every component running', async () => {
    const status = await sandbox.up(log);
    assert.equal(status.healthy, true);
    assert.equal(status.phase, 'ready');
    assert.deepEqual(
      status.processes.filter((p) => p.alive).map((p) => p.name).sort(),
      ['capd-manager', 'capi-manager', 'etcd', 'kube-apiserver', 'kube-controller-manager', 'kubeadm-bootstrap-manager', 'kubeadm-control-plane-manager'],
    );
    assert.deepEqual(await clusterClasses(), ['clusterclass.cluster.x-k8s.io/in-memory']);
    const { stdout } = await kubectl(['--kubeconfig', sandbox.paths.kubeconfig, 'get', 'crds', '-o', 'name']);
    assert.ok(stdout.trim().split('\n').length >= 50, `expected the CAPI, in-memory and CAPA CRDs, got:\n${stdout}`);
  });

  it('runs beside the shared test sandbox', async () => {
    assert.equal((await testSandbox().status()).healthy, true);
    assert.notEqual(testSandbox().apiServerUrl, sandbox.apiServerUrl);
  });

  it('reuses a healthy sandbox instead of starting another', async () => {
    const pidsBefore = (await sandbox.status()).processes.map((p) => p.pid);
    logs.length = 0;
    const pidsAfter = (await sandbox.up(log)).processes.map((p) => p.pid);
    assert.deepEqual(pidsAfter, pidsBefore);
    assert.ok(logs.some((l) => l.includes('reusing')), logs.join('\n'));
  });

  it('detects a crashed component and restarts the sandbox cleanly', async () => {
    const victim = (await sandbox.status()).processes.find((p) => p.name === 'capi-manager')!;
    process.kill(victim.pid, 'SIGKILL');
    await eventually('the sandbox to notice the crash', async () => {
      const { healthy } = await sandbox.status();
      return { done: !healthy, value: undefined, seen: `healthy: ${healthy}` };
    }, { timeoutMs: 10_000, intervalMs: 100 });
    logs.length = 0;
    const status = await sandbox.up(log);
    assert.equal(status.healthy, true);
    assert.ok(logs.some((l) => l.includes('found a stale sandbox')), logs.join('\n'));
    assert.notEqual(status.processes.find((p) => p.name === 'capi-manager')!.pid, victim.pid);
  });

  it('down leaves no process behind', async () => {
    const pids = (await sandbox.status()).processes.map((p) => p.pid);
    assert.ok(processesUsing(sandbox.paths.root).length >= 7);
    const stopped = await sandbox.down();
    assert.equal(stopped.length, 7);
    assert.deepEqual(processesUsing(sandbox.paths.root), []);
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
    assert.equal((await sandbox.status()).healthy, false);
  });

  it('comes up again after down, keeping its objects', async () => {
    const status = await sandbox.up(log);
    assert.equal(status.healthy, true);
    assert.deepEqual(await clusterClasses(), ['clusterclass.cluster.x-k8s.io/in-memory']);
  });
});
