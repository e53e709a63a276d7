/**
 * scale_cluster on a cluster without a ClusterClass: the tool scales its MachineDeployment and its
 * KubeadmControlPlane directly (a topology cluster is scaled through its topology instead), and the
 * operation follows the real controllers until the new machines are ready.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classicCluster, clusterObjects } from '../support/clusters.ts';
import { connectV2, startTestServer, textOf, type TestClient } from '../support/mcp.ts';
import { useNamespace } from '../support/sandbox.ts';
import { eventually } from '../support/wait.ts';

const ns = await useNamespace('classic', { withClusterClass: true });
const url = await startTestServer();
let client: TestClient;
before(async () => {
  client = await connectV2(url);
  await classicCluster(ns, 'classic-1', 1);
});
after(() => client.close());

async function followToEnd(operationId: string) {
  return eventually('the operation to end', async () => {
    const view = (await client.callTool({ name: 'get_operation', arguments: { operation_id: operationId } })).structuredContent;
    return { done: view.status !== 'RUNNING', value: view, seen: JSON.stringify(view) };
  }, { timeoutMs: 240_000, intervalMs: 2000 });
}

describe('scale_cluster without a ClusterClass', () => {
  it('scales the MachineDeployment 1 → 2 and the operation ends when both workers are ready', async () => {
    const started = await client.callTool({ name: 'scale_cluster', arguments: { namespace: ns.name, name: 'classic-1', worker_pools: [{ name: 'classic-1-md-0', replicas: 2 }] } });
    assert.equal(started.isError, undefined, textOf(started));
    const done = await followToEnd(started.structuredContent.operation_id);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    const [md] = await clusterObjects(ns, 'MachineDeployment', 'classic-1');
    assert.equal(md!.spec.replicas, 2);
    assert.equal(md!.metadata!.managedFields!.some((f) => f.manager === 'capi-mcp-scale'), true, 'applied as the scale field manager');
    const machines = await clusterObjects(ns, 'Machine', 'classic-1');
    assert.equal(machines.filter((m) => m.metadata?.labels?.['capi-mcp.io/pool'] === 'md-0').length, 2);
  });

  it('names the MachineDeployments when asked for a pool that does not exist, and an even control plane is refused', async () => {
    const unknown = await client.callTool({ name: 'scale_cluster', arguments: { namespace: ns.name, name: 'classic-1', worker_pools: [{ name: 'md-9', replicas: 2 }] } });
    assert.equal(unknown.isError, true);
    assert.match(textOf(unknown), /worker pool "md-9" does not exist: without a ClusterClass, pools are the cluster's MachineDeployments \(it has: classic-1-md-0\)/);
    const even = await client.callTool({ name: 'scale_cluster', arguments: { namespace: ns.name, name: 'classic-1', control_plane_replicas: 2 } });
    assert.equal(even.isError, true);
    assert.match(textOf(even), /must be odd/);
  });
});
