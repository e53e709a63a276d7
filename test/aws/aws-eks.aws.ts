/**
 * aws-eks through MCP, reconciled by CAPA's real manager into the emulated account (moto), as far as it goes:
 * create_cluster makes CAPA build the network and the EKS cluster itself; there CAPA stops, as moto's
 * CreateCluster returns no cluster security group (AWS always makes one), and the create operation ends at its
 * timeout. This file records that wall — the EKS cluster in the account, the AWSManagedControlPlane's own
 * condition naming it — and that delete_cluster still removes everything the create made.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DescribeClusterCommand, EKSClient, ListClustersCommand } from '@aws-sdk/client-eks';
import { created, leftovers, perKind, readInventory, type Inventory } from '../support/aws-inventory.ts';
import { callOk, connectV2, startTestServer, textOf, type TestClient } from '../support/mcp.ts';
import { followOperation } from '../support/operations.ts';
import { testSandbox, useNamespace } from '../support/sandbox.ts';
import { eventually, seconds } from '../support/wait.ts';

const ns = await useNamespace('aws-eks', { withAwsEksClass: true });
const endpoint = testSandbox().awsEndpoint;
// Note: a region of its own; the AWS tests run side by side and each compares whole regions before and after.
const region = 'eu-west-1';
const eks = new EKSClient({ endpoint, region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
const url = await startTestServer();
let client: TestClient;
before(async () => {
  client = await connectV2(url);
});
after(() => client?.close());

const name = `eks-${ns.name.slice(-6)}`;
const call = (tool: string, args: Record<string, unknown>) => callOk(client, tool, args);

/** The EKS clusters of the region that CAPA made for this cluster (it names them after namespace and control plane). */
async function eksClustersOf(): Promise<string[]> {
  const { clusters = [] } = await eks.send(new ListClustersCommand({}));
  return clusters.filter((c) => c.startsWith(`${ns.name}_`));
}

async function managedControlPlane(): Promise<any> {
  const list = await ns.objects.list('controlplane.cluster.x-k8s.io/v1beta2', 'AWSManagedControlPlane', ns.name);
  return list.items[0];
}

describe('aws-eks through MCP, reconciled by CAPA into the emulated account, as far as the emulator goes', { concurrency: 1 }, () => {
  let before: Inventory;
  let createOperation: string;
  let createdAt: number;

  it('create_cluster: CAPA builds the network and the EKS cluster in the account', async (t) => {
    before = await readInventory(endpoint, region);
    createdAt = Date.now();
    const started = await call('create_cluster', {
      namespace: ns.name,
      name,
      cluster_class: 'aws-eks',
      kubernetes_version: 'v1.34.0',
      workers: [{ class: 'default-worker', name: 'md-0', replicas: 1 }],
      variables: { region },
      timeout_seconds: 60,
    });
    createOperation = started.structuredContent.operation_id;
    const [cluster] = await eventually(`the EKS cluster of ${name} in ${region}`, async () => {
      const clusters = await eksClustersOf();
      return { done: clusters.length === 1, value: clusters, seen: JSON.stringify(clusters) };
    }, { timeoutMs: 180_000, intervalMs: 2000 });
    t.diagnostic(`create → EKS cluster ${cluster} in the account: ${seconds(Date.now() - createdAt)}`);
    const described = await eks.send(new DescribeClusterCommand({ name: cluster! }));
    assert.equal(described.cluster?.version, '1.34');
    t.diagnostic(`created in ${region}: ${perKind(created(before, await readInventory(endpoint, region)))}`);
  });

  it("stops where the emulator does: the AWSManagedControlPlane's condition names the missing cluster security group", async (t) => {
    const condition = await eventually('the control plane to report the missing security group', async () => {
      const conditions: any[] = (await managedControlPlane())?.status?.conditions ?? [];
      const found = conditions.find((c) => /security group/i.test(c.message ?? ''));
      return { done: found !== undefined, value: found, seen: JSON.stringify(conditions.map((c) => `${c.type}=${c.status} ${c.reason ?? ''}: ${c.message ?? ''}`)) };
    }, { timeoutMs: 120_000, intervalMs: 2000 });
    t.diagnostic(`AWSManagedControlPlane ${condition.type}=${condition.status} ${condition.reason}: ${condition.message}`);
    // What an agent sees: CAPA's Ready only counts steps ("8 of 11 completed"); both tools name the failing one.
    const view = await call('get_cluster', { namespace: ns.name, name });
    t.diagnostic(textOf(view));
    assert.match(textOf(view), /AWSManagedControlPlane\/\S+ NOT READY \(EKSControlPlaneReady: failed reconciling security groups: no security group for EKS cluster\)/);
    const diagnosis = await call('diagnose_cluster', { namespace: ns.name, name });
    t.diagnostic(textOf(diagnosis));
    assert.match(textOf(diagnosis), /control-plane-not-initialized/);
    assert.match(textOf(diagnosis), /EKSControlPlaneReady=False EKSControlPlaneReconciliationFailed.*no security group for EKS cluster/);
  });

  it('the create operation ends at its timeout, not converged', async () => {
    const view = await followOperation(client, createOperation, 180_000);
    assert.notEqual(view.status, 'SUCCEEDED', JSON.stringify(view));
    assert.match(JSON.stringify(view), /not converged|timed out|timeout/i);
  });

  it('delete_cluster: the EKS cluster and the network go, and the region is as before but for moto\'s own leftovers', async (t) => {
    const t0 = Date.now();
    const started = await call('delete_cluster', { namespace: ns.name, name, confirm: name });
    const view = await followOperation(client, started.structuredContent.operation_id, 300_000);
    assert.equal(view.status, 'SUCCEEDED', JSON.stringify(view));
    t.diagnostic(`delete_cluster → SUCCEEDED: ${seconds(Date.now() - t0)}`);
    assert.deepEqual(await eksClustersOf(), []);
    const left = leftovers(before, await readInventory(endpoint, region));
    assert.deepEqual(left.orphans, [], 'orphans');
    assert.deepEqual(left.lost, [], 'lost');
    t.diagnostic(`moto's leftovers (${left.motoQuirks.length}): ${left.motoQuirks.map((q) => `${q.id}: ${q.why}`).join('; ')}`);
  });
});
