/**
 * The AWS path through MCP, end to end on the test sandbox's AWS profile: CAPA's own manager reconciles an
 * aws-ec2 cluster that create_cluster made into the emulated account (moto), and delete_cluster leaves the
 * account as it found it. Nothing here or in the product knows the account is emulated; the only emulator
 * knowledge is the inventory's excuse of moto's leftover network interfaces (test/support/aws-inventory.ts).
 *
 * Two clusters run side by side, each in a region of its own so that each compares a whole region before and
 * after: one is followed through create (dry run, then real), its network, load balancer and control-plane
 * instance, its operation ending at its timeout with the honest reason (no emulated instance runs a kubelet, so
 * the control plane never initializes) and its delete; the other is deleted while CAPA is still building it.
 * Every wait watches a condition.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { awsClassicCluster, instancesOf as instancesIn, ownedTag, vpcsOf as vpcsIn } from '../support/aws-capa.ts';
import { created, leftovers, perKind, readInventory, removed, type Inventory, type InventoryKind } from '../support/aws-inventory.ts';
import { callOk, connectV2, startTestServer, textOf, type TestClient } from '../support/mcp.ts';
import { followOperation } from '../support/operations.ts';
import { testSandbox, useNamespace } from '../support/sandbox.ts';
import { eventually, seconds } from '../support/wait.ts';

const ns = await useNamespace('aws-ec2', { withAwsEc2Class: true });
const endpoint = testSandbox().awsEndpoint;
const instancesOf = (region: string, cluster: string) => instancesIn(endpoint, region, cluster);
const vpcsOf = (region: string, cluster: string) => vpcsIn(endpoint, region, cluster);
const url = await startTestServer();
let client: TestClient;
before(async () => {
  client = await connectV2(url);
});
after(() => client?.close());

/** The shortest timeout create_cluster takes: the operation ends while the test still runs. */
const createTimeoutSeconds = 60;

const createArgs = (name: string, region: string) => ({
  namespace: ns.name,
  name,
  cluster_class: 'aws-ec2',
  kubernetes_version: 'v1.34.2',
  workers: [{ class: 'default-worker', name: 'md-0', replicas: 1 }],
  variables: { region },
  timeout_seconds: createTimeoutSeconds,
});

/**
 * A cluster name of this run: CAPA tags by cluster name, and the account keeps the records of earlier runs'
 * deleted instances and gateways (as AWS does for a while) under the same tags.
 */
const runName = (prefix: string) => `${prefix}-${ns.name.slice(-6)}`;

const call = (name: string, args: Record<string, unknown>) => callOk(client, name, args);

/** Deletes `name` through MCP (dry run, then with its confirm) and follows the operation to its end. */
async function deleteThroughMcp(name: string): Promise<{ view: any; ms: number }> {
  const plan = await call('delete_cluster', { namespace: ns.name, name, confirm: name, dry_run: true });
  assert.match(textOf(plan), /deleted, with everything Cluster API created for it/);
  const t0 = Date.now();
  const started = await call('delete_cluster', { namespace: ns.name, name, confirm: name });
  const view = await followOperation(client, started.structuredContent.operation_id, 180_000);
  return { view, ms: Date.now() - t0 };
}

/** Asserts the region is as `before` but for moto's leftovers of what was made since; returns them for the report. */
async function assertNothingLeftBehind(region: string, before: Inventory) {
  const after = await readInventory(endpoint, region);
  const left = leftovers(before, after);
  assert.deepEqual(left.orphans, [], `orphans in ${region}`);
  assert.deepEqual(left.lost, [], `resources of ${region} that were there before and are gone`);
  return { after, left };
}

describe('aws-ec2 through MCP, reconciled by CAPA into the emulated account', { concurrency: 3 }, () => {
  describe('a cluster followed through create and delete', { concurrency: 1 }, () => {
    const name = runName('life');
    const region = 'us-west-2';
    let before: Inventory;
    let during: Inventory;
    let createdAt: number;
    let createOperation: string;

    it('dry run: create_cluster answers with its plan and nothing appears in the management cluster or the account', async (t) => {
      before = await readInventory(endpoint, region);
      t.diagnostic(`${region} before: ${perKind(before)}`);
      const plan = await call('create_cluster', { ...createArgs(name, region), dry_run: true });
      assert.match(textOf(plan), /server-side dry run/);
      // Note: this cluster only; the scale test beside it makes a Cluster of its own in the same namespace.
      const clusters = await ns.objects.list('cluster.x-k8s.io/v1beta2', 'Cluster', ns.name);
      assert.deepEqual(clusters.items.map((c) => c.metadata?.name).filter((n) => n === name), []);
      assert.deepEqual(leftovers(before, await readInventory(endpoint, region)), { orphans: [], lost: [], motoQuirks: [], records: [] });
    });

    it("create_cluster: CAPA builds the network, the API server's load balancer and the control-plane instance, each tagged with the cluster", async (t) => {
      createdAt = Date.now();
      const started = await call('create_cluster', createArgs(name, region));
      assert.equal(started.structuredContent.status, 'RUNNING');
      createOperation = started.structuredContent.operation_id;
      const [instance] = await eventually(`the control-plane instance of ${name} running in ${region}`, async () => {
        const instances = await instancesOf(region, name);
        return { done: instances.some((i) => i.State?.Name === 'running'), value: instances, seen: JSON.stringify(instances.map((i) => i.State?.Name)) };
      }, { timeoutMs: 120_000, intervalMs: 1000 });
      assert.equal(instance!.State?.Name, 'running');
      t.diagnostic(`create → control-plane instance running: ${seconds(Date.now() - createdAt)}`);
      assert.equal(instance!.Tags?.find((tag) => tag.Key === 'sigs.k8s.io/cluster-api-provider-aws/role')?.Value, 'control-plane');

      during = await readInventory(endpoint, region);
      const made = created(before, during);
      t.diagnostic(`created in ${region}: ${perKind(made)}`);
      const zones = made.natGateways.length;
      assert.ok(zones >= 1, 'a NAT gateway per availability zone');
      assert.deepEqual(
        { vpcs: made.vpcs.length, internetGateways: made.internetGateways.length, subnets: made.subnets.length, elasticIps: made.elasticIps.length },
        { vpcs: 1, internetGateways: 1, subnets: 2 * zones, elasticIps: zones },
        'a VPC with a public and a private subnet per zone, each public one with a NAT gateway and its address',
      );
      // A route table per subnet, and the VPC's main one; CAPA's four security groups, and the VPC's default one.
      assert.equal(made.routeTables.length, 2 * zones + 1);
      assert.equal(made.securityGroups.length, 5);
      assert.deepEqual(made.classicLoadBalancers.map((lb) => lb.id), [`${name}-apiserver`]);
      assert.deepEqual(made.instances.map((i) => i.id), [instance!.InstanceId]);
      assert.ok(made.volumes.length >= 1, 'the instance has its root volume');
      assert.ok(made.secrets.length >= 1, "the instance's bootstrap data waits in Secrets Manager");
      assert.deepEqual({ loadBalancers: made.loadBalancers.length, targetGroups: made.targetGroups.length }, { loadBalancers: 0, targetGroups: 0 });

      const tagged: InventoryKind[] = ['vpcs', 'subnets', 'internetGateways', 'natGateways', 'elasticIps', 'routeTables', 'instances', 'classicLoadBalancers'];
      const untagged = tagged.flatMap((kind) => made[kind].filter((r) => r.tags[ownedTag(name)] !== 'owned').map((r) => `${kind} ${r.id}`));
      // The VPC's main route table and default security group are the VPC's, not CAPA's: tagged by nobody.
      assert.deepEqual(untagged.filter((r) => !r.startsWith('routeTables')), []);
      assert.ok(made.securityGroups.filter((g) => g.tags[ownedTag(name)] === 'owned').length === 4, JSON.stringify(made.securityGroups));
    });

    it("get_cluster shows the AWSCluster ready by CAPA's conditions, and each Machine waiting on the control plane's initialization", async (t) => {
      // Both Machines exist once CAPA's control-plane instance runs; their reasons settle a moment later.
      const waiting = (o: any) => o.kind === 'Machine' && o.ready === false && /Waiting for Cluster control plane to be initialized/.test(o.reason ?? '');
      const view = await eventually(`get_cluster of ${name} with both Machines waiting on the control plane`, async () => {
        const result = await call('get_cluster', { namespace: ns.name, name });
        return { done: result.structuredContent.objects.filter(waiting).length === 2, value: result, seen: textOf(result) };
      }, { timeoutMs: 30_000 });
      t.diagnostic(textOf(view));
      const objects = view.structuredContent.objects as any[];
      assert.equal(objects.find((o) => o.kind === 'AWSCluster')?.ready, true, JSON.stringify(objects));

      // What get_cluster's "ready" stands on: CAPA's own conditions of the AWSCluster and the AWSMachines.
      const conditionsOf = (o: any) => (o.status?.conditions ?? []).map((c: any) => `${c.type}=${c.status}${c.reason ? ` ${c.reason}` : ''}`);
      const list = async (kind: string) =>
        (await ns.objects.list('infrastructure.cluster.x-k8s.io/v1beta2', kind, ns.name, undefined, undefined, undefined, undefined, `cluster.x-k8s.io/cluster-name=${name}`)).items as any[];
      const [awsCluster] = await list('AWSCluster');
      const awsMachines = await list('AWSMachine');
      t.diagnostic(`AWSCluster ${awsCluster.metadata.name}: ${conditionsOf(awsCluster).join(', ')}`);
      for (const m of awsMachines) t.diagnostic(`AWSMachine ${m.metadata.name}: ${conditionsOf(m).join(', ')}`);
      const network = ['VpcReady', 'SubnetsReady', 'InternetGatewayReady', 'NatGatewaysReady', 'RouteTablesReady', 'ClusterSecurityGroupsReady', 'LoadBalancerReady', 'Ready'];
      for (const type of network) assert.ok(conditionsOf(awsCluster).includes(`${type}=True`), `AWSCluster ${type}: ${conditionsOf(awsCluster)}`);
      const isControlPlane = (m: any) => m.metadata.labels?.['cluster.x-k8s.io/control-plane'] !== undefined;
      const controlPlane = awsMachines.filter(isControlPlane);
      const workers = awsMachines.filter((m) => !isControlPlane(m));
      assert.equal(controlPlane.length, 1);
      for (const type of ['InstanceReady', 'ELBAttached', 'SecurityGroupsReady']) assert.ok(conditionsOf(controlPlane[0]).includes(`${type}=True`), `${type}: ${conditionsOf(controlPlane[0])}`);
      assert.equal(workers.length, 1);
      assert.ok(conditionsOf(workers[0]).includes('InstanceReady=False WaitingForBootstrapData'), `${conditionsOf(workers[0])}`);
    });

    it('the create operation ends at its timeout with the reason: the control plane never initializes', async (t) => {
      const view = await followOperation(client, createOperation, 180_000);
      t.diagnostic(`create operation: ${view.status} after ${seconds(Date.now() - createdAt)}: ${JSON.stringify(view)}`);
      assert.notEqual(view.status, 'SUCCEEDED');
      assert.match(JSON.stringify(view), /not converged after \d+s \(timeout 60s\)/);
      assert.match(JSON.stringify(view), /initializ/i);
    });

    it('diagnose_cluster names the uninitialized control plane as the cause', async (t) => {
      const result = await call('diagnose_cluster', { namespace: ns.name, name });
      t.diagnostic(textOf(result));
      const [top] = result.structuredContent.findings;
      assert.ok(top, textOf(result));
      assert.match(`${top.cause} ${top.summary}`, /initializ/i);
    });

    it('delete_cluster: the operation succeeds and the account is as before, but for moto\'s own leftovers of the deleted', async (t) => {
      const { view, ms } = await deleteThroughMcp(name);
      assert.equal(view.status, 'SUCCEEDED', JSON.stringify(view));
      t.diagnostic(`delete_cluster → SUCCEEDED: ${seconds(ms)}`);
      const { after: end, left } = await assertNothingLeftBehind(region, before);
      const deleted = removed(during, end);
      t.diagnostic(`deleted in ${region}: ${perKind(deleted)}`);
      t.diagnostic(`moto's leftovers (${left.motoQuirks.length}): ${left.motoQuirks.map((q) => `${q.id}: ${q.why}`).join('; ')}`);
      t.diagnostic(`records of the deleted (${left.records.length}): ${left.records.join(', ')}`);
      const made = created(before, during);
      // Each made resource went, but the network interfaces moto keeps: one per NAT gateway, the instance's primary.
      for (const kind of Object.keys(made) as InventoryKind[]) {
        if (kind === 'networkInterfaces') continue;
        assert.equal(deleted[kind].length, made[kind].length, `${kind}: ${made[kind].length} made, ${deleted[kind].length} deleted`);
      }
      assert.equal(left.motoQuirks.length, made.natGateways.length + 1);
      assert.deepEqual([...left.records].sort(), [...made.natGateways.map((g) => `natGateways ${g.id}`), ...made.instances.map((i) => `instances ${i.id}`)].sort());
    });
  });

  describe('a cluster deleted while CAPA is still building it', { concurrency: 1 }, () => {
    const name = runName('early');
    const region = 'us-east-2';
    let before: Inventory;

    it('delete_cluster right after CAPA made its VPC: the operation succeeds and the account is as before, but for moto\'s own leftovers', async (t) => {
      before = await readInventory(endpoint, region);
      const t0 = Date.now();
      await call('create_cluster', createArgs(name, region));
      await eventually(`CAPA to start building ${name} in ${region}`, async () => {
        const vpcs = await vpcsOf(region, name);
        return { done: vpcs.length > 0, value: undefined, seen: `${vpcs.length} VPCs` };
      }, { timeoutMs: 90_000, intervalMs: 500 });
      const running = (await instancesOf(region, name)).filter((i) => i.State?.Name === 'running');
      t.diagnostic(`create → VPC: ${seconds(Date.now() - t0)}; instances running then: ${running.length}`);
      assert.deepEqual(running, [], 'still provisioning: no instance runs yet');
      const provisional = created(before, await readInventory(endpoint, region));
      t.diagnostic(`made when the delete was asked: ${perKind(provisional)}`);

      const { view, ms } = await deleteThroughMcp(name);
      assert.equal(view.status, 'SUCCEEDED', JSON.stringify(view));
      t.diagnostic(`delete_cluster → SUCCEEDED: ${seconds(ms)}`);
      const { left } = await assertNothingLeftBehind(region, before);
      t.diagnostic(`moto's leftovers (${left.motoQuirks.length}): ${left.motoQuirks.map((q) => `${q.id}: ${q.why}`).join('; ')}`);
      t.diagnostic(`records of the deleted (${left.records.length}): ${left.records.join(', ')}`);
    });
  });

  describe('a cluster scaled through CAPA: workers whose bootstrap data is given', { concurrency: 1 }, () => {
    const name = runName('scale');
    const pool = `${name}-md-0`;
    const region = 'us-east-1';
    let before: Inventory;
    let oneWorker: Inventory;

    /** The worker instances of `name` by state, once `done` holds of them. */
    async function workersWhen(what: string, done: (states: Record<string, string[]>) => boolean) {
      return eventually(`${what} (${name} in ${region})`, async () => {
        const byState: Record<string, string[]> = {};
        for (const i of await instancesOf(region, name)) (byState[i.State?.Name ?? 'unknown'] ??= []).push(i.InstanceId!);
        return { done: done(byState), value: byState, seen: JSON.stringify(byState) };
      }, { timeoutMs: 150_000, intervalMs: 1000 });
    }

    /** scale_cluster through MCP (dry run, then real), following the operation to its end. */
    async function scaleThroughMcp(replicas: number, t: { diagnostic(s: string): void }, settled: (states: Record<string, string[]>) => boolean) {
      const args = { namespace: ns.name, name, worker_pools: [{ name: pool, replicas }], timeout_seconds: createTimeoutSeconds };
      const plan = await call('scale_cluster', { ...args, dry_run: true });
      assert.match(textOf(plan), new RegExp(`${pool}`));
      const t0 = Date.now();
      const started = await call('scale_cluster', args);
      const states = await workersWhen(`${replicas} worker instances running`, settled);
      t.diagnostic(`scale_cluster to ${replicas} → instances as asked: ${seconds(Date.now() - t0)}: ${JSON.stringify(states)}`);
      const view = await followOperation(client, started.structuredContent.operation_id, 180_000);
      t.diagnostic(`scale operation: ${view.status} after ${seconds(Date.now() - t0)}: ${JSON.stringify(view)}`);
      return { states, view };
    }

    it('a worker of a cluster without a control plane gets its instance from CAPA', async (t) => {
      before = await readInventory(endpoint, region);
      const t0 = Date.now();
      await awsClassicCluster(ns, name, region, 1, 'v1.34.2');
      const states = await workersWhen('one worker instance running', (s) => s.running?.length === 1);
      t.diagnostic(`cluster → worker instance running: ${seconds(Date.now() - t0)}`);
      oneWorker = await readInventory(endpoint, region);
      const made = created(before, oneWorker);
      t.diagnostic(`created in ${region}: ${perKind(made)}`);
      assert.deepEqual(made.instances.map((i) => i.id), states.running);
      assert.equal(made.instances[0]!.tags['sigs.k8s.io/cluster-api-provider-aws/role'], 'node');
    });

    it('scale_cluster to 3: CAPA runs two more instances; the operation ends at its timeout, the workers never joining', async (t) => {
      const { states, view } = await scaleThroughMcp(3, t, (s) => s.running?.length === 3);
      assert.equal(states.running!.length, 3);
      assert.equal(created(oneWorker, await readInventory(endpoint, region)).instances.length, 2);
      assert.notEqual(view.status, 'SUCCEEDED');
      assert.match(JSON.stringify(view), /not converged after \d+s \(timeout 60s\)/);
    });

    it('scale_cluster to 1: CAPA terminates two of the three', async (t) => {
      const { states } = await scaleThroughMcp(1, t, (s) => s.running?.length === 1 && s.terminated?.length === 2);
      assert.equal(states.running!.length, 1);
      assert.equal(states.terminated!.length, 2);
    });

    it("delete_cluster: the operation succeeds and the account is as before, but for moto's own leftovers of the deleted", async (t) => {
      const { view, ms } = await deleteThroughMcp(name);
      assert.equal(view.status, 'SUCCEEDED', JSON.stringify(view));
      t.diagnostic(`delete_cluster → SUCCEEDED: ${seconds(ms)}`);
      const { left } = await assertNothingLeftBehind(region, before);
      t.diagnostic(`moto's leftovers (${left.motoQuirks.length}): ${left.motoQuirks.map((q) => `${q.id}: ${q.why}`).join('; ')}`);
      assert.equal((await instancesOf(region, name)).filter((i) => i.State?.Name !== 'terminated').length, 0);
    });
  });
});
