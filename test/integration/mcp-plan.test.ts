/**
 * Plan before change, on the test sandbox's real API server and controllers (issue 14, item 2): for each
 * tool that starts operations, `dry_run: true` changes nothing — the resourceVersion of the Cluster and of
 * every object of it stay as they were, and no operation is listed — and says what the real call then
 * does: the same fields changed, the Machines it said would go are the ones that went. plan_upgrade refuses
 * a skipped minor and names the Machines the real upgrade then replaced. One cluster of the in-memory
 * ClusterClass lives through create → scale up → scale down → upgrade → delete.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inMemoryClusterClass } from '../../sandbox/recipe.ts';
import { inMemoryCreateArgs } from '../support/clusters.ts';
import { connectV2, startTestServer, textOf, type TestClient } from '../support/mcp.ts';
import { useNamespace } from '../support/sandbox.ts';
import { eventually, settled, writtenState } from '../support/wait.ts';
import { followOperation } from '../support/operations.ts';

const ns = await useNamespace('mcp-plan', { withClusterClass: true });
const url = await startTestServer();
const name = 'plan-1';
let client: TestClient;
before(async () => {
  client = await connectV2(url);
});
after(() => client.close());

const kinds: readonly [string, string][] = [
  ['cluster.x-k8s.io/v1beta2', 'Cluster'],
  ['cluster.x-k8s.io/v1beta2', 'MachineDeployment'],
  ['cluster.x-k8s.io/v1beta2', 'MachineSet'],
  ['cluster.x-k8s.io/v1beta2', 'Machine'],
  ['controlplane.cluster.x-k8s.io/v1beta2', 'KubeadmControlPlane'],
  ['infrastructure.cluster.x-k8s.io/v1beta2', 'DevCluster'],
  ['infrastructure.cluster.x-k8s.io/v1beta2', 'DevMachine'],
];

/** `Kind/name → what a write changes` (writtenState) of every object of these kinds in the namespace. */
async function resourceVersions(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [apiVersion, kind] of kinds) {
    for (const o of (await ns.objects.list(apiVersion, kind, ns.name)).items) out[`${kind}/${o.metadata!.name}`] = writtenState(o);
  }
  return out;
}

async function operationIds(): Promise<string[]> {
  const result = await client.callTool({ name: 'list_operations', arguments: { namespace: ns.name, name } });
  return result.structuredContent.operations.map((o: { operation_id: string }) => o.operation_id);
}

async function machines(): Promise<any[]> {
  return (await ns.objects.list('cluster.x-k8s.io/v1beta2', 'Machine', ns.name, undefined, undefined, undefined, undefined, `cluster.x-k8s.io/cluster-name=${name}`)).items;
}

const machineNames = async () => (await machines()).map((m) => m.metadata.name as string).sort();

async function readCluster(): Promise<any> {
  return ns.objects.read({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name, namespace: ns.name } });
}

const followToEnd = (operationId: string, timeoutMs?: number) => followOperation(client, operationId, timeoutMs);

/**
 * Calls `tool` with `args` and dry_run, asserting it changed nothing and started nothing; returns its plan.
 * Then makes the real call and follows it to SUCCEEDED.
 */
async function planThenApply(tool: string, args: Record<string, unknown>, timeoutMs?: number) {
  // Note: an object already being deleted (the old MachineSet of a rollout that just converged) may go
  // inside the dry run's window: the controllers finishing an earlier deletion, not the call's. So the
  // before is taken once nothing is on its way out, and the controllers have stopped writing.
  await eventually('the namespace to finish its deletions', async () => {
    const going = Object.entries(await resourceVersions()).filter(([, state]) => JSON.parse(state).deleting !== null).map(([object]) => object);
    return { done: going.length === 0, value: undefined, seen: `being deleted: ${going.join(', ')}` };
  }, { timeoutMs: 120_000, intervalMs: 1000 });
  const versionsBefore = await settled('the namespace', resourceVersions);
  const operationsBefore = await operationIds();
  const planned = await client.callTool({ name: tool, arguments: { ...args, dry_run: true } });
  assert.equal(planned.isError, undefined, textOf(planned));
  const plan = planned.structuredContent.plan;
  assert.ok(plan, `a plan: ${JSON.stringify(planned.structuredContent)}`);
  assert.equal(planned.structuredContent.operation_id, undefined);
  assert.deepEqual(await resourceVersions(), versionsBefore, 'the dry run changed no object');
  assert.deepEqual(await operationIds(), operationsBefore, 'the dry run started (and listed) no operation');
  assert.match(textOf(planned), new RegExp(`Next: to make it, call ${tool} `));
  const machinesBefore = await machineNames();
  const started = await client.callTool({ name: tool, arguments: args });
  assert.equal(started.isError, undefined, textOf(started));
  const done = await followToEnd(started.structuredContent.operation_id, timeoutMs);
  assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
  return { plan, machinesBefore, machinesAfter: await machineNames() };
}

describe('dry_run, then the real call', () => {
  it('create_cluster: plans the Cluster the API server accepted, creates nothing; the real create makes exactly that topology', async () => {
    const { plan } = await planThenApply('create_cluster', inMemoryCreateArgs(ns.name, name));
    const v = inMemoryClusterClass.kubernetesVersion;
    for (const line of [
      `Cluster ${ns.name}/${name}: spec.topology.classRef.name (none) → in-memory`,
      `Cluster ${ns.name}/${name}: spec.topology.version (none) → ${v}`,
      `Cluster ${ns.name}/${name}: spec.topology.controlPlane.replicas (none) → 1`,
    ]) assert.ok(plan.changes.includes(line), `${line} in ${plan.changes.join('\n')}`);
    assert.deepEqual(plan.machines, ['control plane: create 1 Machine(s)', 'worker pool "md-0": create 1 Machine(s)']);
    const topology = (await readCluster()).spec.topology;
    assert.deepEqual([topology.classRef.name, topology.version, topology.controlPlane.replicas, topology.workers.machineDeployments.map((p: any) => [p.name, p.replicas])], ['in-memory', v, 1, [['md-0', 1]]]);
    assert.equal((await machines()).length, 2);
  });

  it('scale_cluster up: plans the replica count and the Machine it creates; the real scale sets that count and adds one Machine', async () => {
    const { plan, machinesBefore, machinesAfter } = await planThenApply('scale_cluster', { namespace: ns.name, name, worker_pools: [{ name: 'md-0', replicas: 2 }] });
    assert.deepEqual(plan.changes, [`Cluster ${ns.name}/${name}: spec.topology.workers.machineDeployments[md-0].replicas 1 → 2`]);
    assert.deepEqual(plan.machines, ['worker pool "md-0": create 1 Machine(s) (1 → 2)']);
    assert.equal((await readCluster()).spec.topology.workers.machineDeployments[0].replicas, 2);
    assert.equal(machinesAfter.length, machinesBefore.length + 1);
    assert.ok(machinesBefore.every((m) => machinesAfter.includes(m)), 'nothing removed');
  });

  it('scale_cluster down: names the Machine its MachineSet removes, and the real scale removes that one', async () => {
    const { plan, machinesBefore, machinesAfter } = await planThenApply('scale_cluster', { namespace: ns.name, name, worker_pools: [{ name: 'md-0', replicas: 1 }] });
    assert.deepEqual(plan.changes, [`Cluster ${ns.name}/${name}: spec.topology.workers.machineDeployments[md-0].replicas 2 → 1`]);
    assert.equal(plan.removed.length, 1, plan.machines.join('\n'));
    assert.deepEqual(machinesBefore.filter((m) => !machinesAfter.includes(m)), plan.removed);
  });

  it('plan_upgrade refuses a skipped minor, and names the Machines the real upgrade then replaces; upgrade_cluster with dry_run names the same', async () => {
    const [major, minor, patch] = inMemoryClusterClass.kubernetesVersion.slice(1).split('.').map(Number);
    const skipped = await client.callTool({ name: 'plan_upgrade', arguments: { namespace: ns.name, name, kubernetes_version: `v${major}.${minor! + 2}.0` } });
    assert.equal(skipped.isError, true, textOf(skipped));
    assert.match(textOf(skipped), new RegExp(`skips a minor version from v${major}\\.${minor}\\.${patch}: upgrade to v${major}\\.${minor! + 1}\\.x first`));

    const target = `v${major}.${minor}.${patch! + 1}`;
    const planned = await client.callTool({ name: 'plan_upgrade', arguments: { namespace: ns.name, name, kubernetes_version: target } });
    assert.equal(planned.isError, undefined, textOf(planned));
    assert.deepEqual(planned.structuredContent.blockers, [], textOf(planned));
    assert.deepEqual([...planned.structuredContent.replaced].sort(), await machineNames());

    const { plan, machinesBefore, machinesAfter } = await planThenApply('upgrade_cluster', { namespace: ns.name, name, kubernetes_version: target }, 400_000);
    assert.deepEqual(plan.changes, [`Cluster ${ns.name}/${name}: spec.topology.version v${major}.${minor}.${patch} → ${target}`]);
    assert.deepEqual([...plan.replaced].sort(), [...planned.structuredContent.replaced].sort());
    assert.deepEqual(machinesBefore.filter((m) => !machinesAfter.includes(m)), [...plan.replaced].sort(), 'the Machines replaced are the ones planned');
    assert.ok((await machines()).every((m) => m.spec.version === target));

    const again = await client.callTool({ name: 'plan_upgrade', arguments: { namespace: ns.name, name } });
    assert.match(again.structuredContent.estimate, /^about \S+: the median of 1 finished upgrade of this cluster$/);
  });

  it('delete_cluster: names every Machine that goes, deletes nothing; the real delete removes those', async () => {
    const { plan, machinesBefore, machinesAfter } = await planThenApply('delete_cluster', { namespace: ns.name, name, confirm: name });
    assert.deepEqual(plan.changes, [`Cluster ${ns.name}/${name}: deleted, with everything Cluster API created for it`]);
    assert.deepEqual([...plan.removed].sort(), machinesBefore);
    assert.deepEqual(machinesAfter, []);
  });
});
