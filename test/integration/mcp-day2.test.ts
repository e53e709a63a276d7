/**
 * The day-2 operations through a real MCP client on the test sandbox (issue 14, item 3): pause_cluster and
 * resume_cluster, rollout_cluster and remediate_machine, each followed to convergence by the real
 * controllers, its dry run changing nothing, and its refusals deleting nothing. Each cluster is created
 * by create_cluster (so capi-mcp's field managers own what the later changes take over) and has its own
 * sequence; the three sequences run side by side. Reports wall time and Machines replaced per operation.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { inMemoryCreateArgs } from '../support/clusters.ts';
import { connectV2, startTestServer, textOf, type TestClient } from '../support/mcp.ts';
import { followOperation } from '../support/operations.ts';
import { useNamespace } from '../support/sandbox.ts';
import { eventually, settled, writtenState } from '../support/wait.ts';

const ns = await useNamespace('mcp-day2', { withClusterClass: true });
const url = await startTestServer();
let client: TestClient;
after(() => client?.close());

const names = { paused: 'd2-pause', rolled: 'd2-roll', remediated: 'd2-fix' } as const;
let created: Promise<unknown>;
before(async () => {
  client = await connectV2(url);
  created = Promise.all([
    createdThroughMcp(names.paused, 1),
    createdThroughMcp(names.rolled, 2),
    createdThroughMcp(names.remediated, 2),
  ]);
  created.catch(() => undefined);
});

async function createdThroughMcp(name: string, workers: number) {
  const started = await client.callTool({ name: 'create_cluster', arguments: inMemoryCreateArgs(ns.name, name, { workers: [{ class: 'default-worker', name: 'md-0', replicas: workers }] }) });
  assert.equal(started.isError, undefined, textOf(started));
  const done = await followOperation(client, started.structuredContent.operation_id);
  assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
}

const call = (name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: { namespace: ns.name, ...args } });

async function readObject(kind: string, name: string, apiVersion = 'cluster.x-k8s.io/v1beta2'): Promise<any> {
  return ns.objects.read({ apiVersion, kind, metadata: { name, namespace: ns.name } });
}

async function machinesOf(cluster: string): Promise<any[]> {
  const list = await ns.objects.list('cluster.x-k8s.io/v1beta2', 'Machine', ns.name, undefined, undefined, undefined, undefined, `cluster.x-k8s.io/cluster-name=${cluster}`);
  return list.items as any[];
}

const poolOf = (m: any) => (m.metadata.labels['cluster.x-k8s.io/control-plane'] !== undefined ? 'control plane' : m.metadata.labels['topology.cluster.x-k8s.io/deployment-name']);
const namesOf = (machines: any[], pool: string) => machines.filter((m) => poolOf(m) === pool).map((m) => m.metadata.name as string).sort();
const condition = (o: any, type: string) => o.status?.conditions?.find((c: any) => c.type === type)?.status;

/** `Kind/name → what a write changes` (writtenState) of the cluster's Cluster and Machines. */
async function versionsOf(cluster: string): Promise<Record<string, string>> {
  const out: Record<string, string> = { Cluster: writtenState(await readObject('Cluster', cluster)) };
  for (const m of await machinesOf(cluster)) out[`Machine/${m.metadata.name}`] = writtenState(m);
  return out;
}

/** Calls `tool` with dry_run: it answers a plan, and the cluster's objects keep their resourceVersions. */
async function plannedOnly(tool: string, cluster: string, args: Record<string, unknown>) {
  const before = await settled(`cluster ${cluster}`, () => versionsOf(cluster));
  const result = await call(tool, { name: cluster, ...args, dry_run: true });
  assert.equal(result.isError, undefined, textOf(result));
  assert.equal(result.structuredContent.operation_id, undefined, 'no operation');
  assert.deepEqual(await versionsOf(cluster), before, 'the dry run changed nothing');
  return result.structuredContent.plan;
}

/** Makes the real call and follows it to SUCCEEDED; reports its wall time. */
async function converged(t: TestContext, tool: string, cluster: string, args: Record<string, unknown>, timeoutMs = 300_000) {
  const at = Date.now();
  const started = await call(tool, { name: cluster, ...args });
  assert.equal(started.isError, undefined, textOf(started));
  const done = await followOperation(client, started.structuredContent.operation_id, timeoutMs);
  assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
  const seconds = (Date.now() - at) / 1000;
  return { done, seconds, report: (what: string) => t.diagnostic(`${tool}: ${seconds.toFixed(1)} s; ${what}; last observed: ${done.last_observed}`) };
}

describe('day-2 operations on the sandbox', { concurrency: true }, () => {
  before(async () => {
    await created;
  });

  describe('pause_cluster and resume_cluster', { concurrency: false }, () => {
    const name = names.paused;

    it('pause_cluster with dry_run plans spec.paused and changes nothing', async () => {
      const plan = await plannedOnly('pause_cluster', name, {});
      assert.deepEqual(plan.changes, [`Cluster ${ns.name}/${name}: spec.paused (none) → true`]);
      assert.match(plan.machines[0], /^no Machine changes; the topology, control plane, MachineDeployment/);
    });

    it('pauses: the operation ends once the controllers report the Cluster paused, and its MachineDeployment reports it too', async (t) => {
      const { report } = await converged(t, 'pause_cluster', name, {});
      const cluster = await readObject('Cluster', name);
      assert.equal(cluster.spec.paused, true);
      assert.equal(condition(cluster, 'Paused'), 'True');
      // Note: every CAPI controller stops on the Cluster's spec.paused; the MachineDeployment's condition is
      // its controller's report of that, written on its own schedule (later than the Cluster's under load).
      await eventually('the MachineDeployment to report Paused', async () => {
        const [md] = (await ns.objects.list('cluster.x-k8s.io/v1beta2', 'MachineDeployment', ns.name, undefined, undefined, undefined, undefined, `cluster.x-k8s.io/cluster-name=${name}`)).items as any[];
        return { done: condition(md, 'Paused') === 'True', value: undefined, seen: String(condition(md, 'Paused')) };
      }, { timeoutMs: 60_000, intervalMs: 500 });
      report('0 Machines replaced');
    });

    it('refuses to pause a paused cluster, and diagnose_cluster names the pause with resume_cluster as the next step', async () => {
      const again = await call('pause_cluster', { name });
      assert.equal(again.isError, true);
      assert.match(textOf(again), /^InvalidInput: cannot pause cluster .*: it is paused already/);
      const diagnosis = await call('diagnose_cluster', { name });
      const [top] = diagnosis.structuredContent.findings;
      assert.equal(top.cause, 'paused');
      assert.deepEqual(top.next.args, { namespace: ns.name, name });
      assert.equal(top.next.text, `call resume_cluster with namespace=${ns.name} name=${name} if the pause is over (ask whoever paused it)`);
    });

    it('resume_cluster with dry_run plans spec.paused back to false and changes nothing', async () => {
      const plan = await plannedOnly('resume_cluster', name, {});
      assert.deepEqual(plan.changes, [`Cluster ${ns.name}/${name}: spec.paused true → false`]);
      assert.equal(plan.call, `resume_cluster ${JSON.stringify({ namespace: ns.name, name })} without dry_run`);
    });

    it('resumes: the operation ends once the controllers reconcile again, and the diagnosis comes clean', async (t) => {
      const { report } = await converged(t, 'resume_cluster', name, {});
      const cluster = await readObject('Cluster', name);
      assert.equal(cluster.spec.paused, false);
      assert.equal(condition(cluster, 'Paused'), 'False');
      // Note: the controllers reconcile again from here, and on a loaded machine a converged Cluster can read
      // not Available for a moment (test/support/clusters.ts availableCluster): the diagnosis is waited for.
      await eventually('a clean diagnosis', async () => {
        const diagnosis = await call('diagnose_cluster', { name });
        return { done: diagnosis.structuredContent.findings.length === 0, value: undefined, seen: textOf(diagnosis) };
      }, { timeoutMs: 60_000, intervalMs: 1000 });
      report('0 Machines replaced');
    });

    it('refuses to resume a cluster that is not paused', async () => {
      const result = await call('resume_cluster', { name });
      assert.equal(result.isError, true);
      assert.match(textOf(result), /^InvalidInput: cannot resume cluster .*: it is not paused/);
    });
  });

  describe('rollout_cluster', { concurrency: false }, () => {
    const name = names.rolled;

    it('refuses a worker pool that does not exist, changing nothing', async () => {
      const before = await settled(`cluster ${name}`, () => versionsOf(name));
      const result = await call('rollout_cluster', { name, target: 'md-9' });
      assert.equal(result.isError, true);
      assert.match(textOf(result), /worker pool "md-9" does not exist \(the cluster has: md-0\)/);
      assert.deepEqual(await versionsOf(name), before);
    });

    it('plans, then replaces every Machine of the worker pool and none of the control plane', async (t) => {
      const before = await machinesOf(name);
      const plan = await plannedOnly('rollout_cluster', name, { target: 'md-0' });
      assert.deepEqual(plan.replaced, namesOf(before, 'md-0'));
      assert.equal(plan.changes.length, 1);
      assert.match(plan.changes[0], /^Cluster .*: spec\.topology\.workers\.machineDeployments\[md-0\]\.rollout\.after \(none\) → \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const { report } = await converged(t, 'rollout_cluster', name, { target: 'md-0' });
      const after = await machinesOf(name);
      const workersAfter = namesOf(after, 'md-0');
      assert.equal(workersAfter.length, 2);
      assert.deepEqual(workersAfter.filter((m) => namesOf(before, 'md-0').includes(m)), [], 'no worker Machine of before is left');
      assert.deepEqual(namesOf(after, 'control plane'), namesOf(before, 'control plane'), 'the control plane was not touched');
      assert.ok(after.every((m) => m.spec.version === before[0].spec.version), 'the version did not change');
      report(`${namesOf(before, 'md-0').length} Machines replaced`);
    });
  });

  describe('remediate_machine and a control-plane rollout', { concurrency: false }, () => {
    const name = names.remediated;

    it('refuses the last control-plane Machine and one that does not exist, deleting nothing', async () => {
      const before = await settled(`cluster ${name}`, () => versionsOf(name));
      const [cp] = namesOf(await machinesOf(name), 'control plane');
      const last = await call('remediate_machine', { name, machine: cp });
      assert.equal(last.isError, true);
      assert.match(textOf(last), new RegExp(`^InvalidInput: cannot remediate cluster .*: Machine ${cp} is the last control-plane Machine`));
      const missing = await call('remediate_machine', { name, machine: 'no-such-machine' });
      assert.match(textOf(missing), /^NotFound: Machine .*\/no-such-machine not found\nNext: call get_cluster to see the cluster's Machines$/);
      assert.deepEqual(await versionsOf(name), before);
    });

    it('plans, then replaces exactly the one worker Machine, the pool back at 2 ready', async (t) => {
      const before = await machinesOf(name);
      const [victim, kept] = namesOf(before, 'md-0');
      const plan = await plannedOnly('remediate_machine', name, { machine: victim });
      assert.deepEqual(plan.replaced, [victim]);
      const { report } = await converged(t, 'remediate_machine', name, { machine: victim });
      const workers = (await machinesOf(name)).filter((m) => poolOf(m) === 'md-0');
      assert.equal(workers.length, 2);
      assert.ok(!workers.some((m) => m.metadata.name === victim), `${victim} is gone`);
      assert.ok(workers.some((m) => m.metadata.name === kept), `${kept} was kept`);
      assert.ok(workers.every((m) => condition(m, 'Ready') === 'True'), 'both workers are Ready');
      report('1 Machine replaced');
    });

    it('rolls out the control plane: its one Machine replaced, the workers kept', async (t) => {
      const before = await machinesOf(name);
      const { report } = await converged(t, 'rollout_cluster', name, { target: 'control_plane' });
      const after = await machinesOf(name);
      const cpAfter = namesOf(after, 'control plane');
      assert.equal(cpAfter.length, 1);
      assert.notDeepEqual(cpAfter, namesOf(before, 'control plane'));
      assert.deepEqual(namesOf(after, 'md-0'), namesOf(before, 'md-0'), 'the workers were not touched');
      report('1 Machine replaced');
    });
  });
});
