/**
 * scale_cluster on a cluster without a ClusterClass: the tool scales its MachineDeployment and its
 * KubeadmControlPlane directly (a topology cluster is scaled through its topology instead), and the
 * operation follows the real controllers until the new machines are ready. A count another field manager
 * set is not taken (the fixture's objects are created by someone else): the scale answers Conflict until
 * the count is handed over to capi-mcp.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { classicCluster, clusterObjects } from '../support/clusters.ts';
import { connectV2, startTestServer, textOf, type TestClient } from '../support/mcp.ts';
import { testSandbox, useNamespace } from '../support/sandbox.ts';
import { eventually, settled } from '../support/wait.ts';

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
  it('refuses to take the replica count whoever created the MachineDeployment set, naming that manager; nothing changes', async () => {
    // Note: taken once the controllers have stopped writing it: capi-manager's first writes to a new
    // MachineDeployment add its own entry, and one inside the call's window is not the call's.
    const before = await settled('the MachineDeployment', async () => (await clusterObjects(ns, 'MachineDeployment', 'classic-1'))[0]);
    const result = await client.callTool({ name: 'scale_cluster', arguments: { namespace: ns.name, name: 'classic-1', worker_pools: [{ name: 'classic-1-md-0', replicas: 2 }] } });
    assert.equal(result.isError, true, textOf(result));
    assert.match(textOf(result), /Conflict: the API server rejected the scale of MachineDeployment .*classic-1-md-0: failed to validate MachineDeployment .*: field manager "[^"]+" owns \.spec\.replicas/);
    const [after] = await clusterObjects(ns, 'MachineDeployment', 'classic-1');
    assert.equal(after!.spec.replicas, 1);
    assert.deepEqual(after!.metadata!.managedFields!.map((f) => f.manager), before!.metadata!.managedFields!.map((f) => f.manager));
  });

  it('scales the MachineDeployment 2 → 3 once a person handed its count to capi-mcp, and the operation ends when all three workers are ready', async () => {
    // The hand-over: a person sets the count once as capi-mcp's scale manager, forced. Note: forcing the
    // same value would only share the field (SSA moves ownership when a value changes), so it is 1 → 2.
    const handOver = promisify(execFile)('kubectl', ['--kubeconfig', testSandbox().paths.kubeconfig, 'apply', '--server-side', '--force-conflicts', '--field-manager=capi-mcp-scale', '-f', '-']);
    handOver.child.stdin!.end(JSON.stringify({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'MachineDeployment', metadata: { name: 'classic-1-md-0', namespace: ns.name }, spec: { replicas: 2 } }));
    await handOver;
    const started = await client.callTool({ name: 'scale_cluster', arguments: { namespace: ns.name, name: 'classic-1', worker_pools: [{ name: 'classic-1-md-0', replicas: 3 }] } });
    assert.equal(started.isError, undefined, textOf(started));
    const done = await followToEnd(started.structuredContent.operation_id);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    const [md] = await clusterObjects(ns, 'MachineDeployment', 'classic-1');
    assert.equal(md!.spec.replicas, 3);
    const owners = md!.metadata!.managedFields!.filter((f) => JSON.stringify(f.fieldsV1 ?? {}).includes('"f:replicas"')).map((f) => f.manager);
    // Note: capi-manager may co-own the count once its controller has written the same value back.
    assert.ok(owners.includes('capi-mcp-scale') && !owners.includes('kubernetes-client-javascript'), `the count is capi-mcp-scale’s, no longer its creator’s: ${owners.join(', ')}`);
    const machines = await clusterObjects(ns, 'Machine', 'classic-1');
    assert.equal(machines.filter((m) => m.metadata?.labels?.['capi-mcp.io/pool'] === 'md-0').length, 3);
  });

  it('scales it again (3 → 2) once handed over: Cluster API\'s own controllers writing the count back take nothing from capi-mcp', async () => {
    const started = await client.callTool({ name: 'scale_cluster', arguments: { namespace: ns.name, name: 'classic-1', worker_pools: [{ name: 'classic-1-md-0', replicas: 2 }] } });
    assert.equal(started.isError, undefined, textOf(started));
    const done = await followToEnd(started.structuredContent.operation_id);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    const [md] = await clusterObjects(ns, 'MachineDeployment', 'classic-1');
    assert.equal(md!.spec.replicas, 2);
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
