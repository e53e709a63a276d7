/**
 * scale_cluster and upgrade_cluster through a real MCP client, with the synthesized state machine run by
 * the local engine against the test sandbox's real controllers: a worker pool scaled from 1 to 3 and an
 * upgrade to the next patch version (each on a cluster of its own, side by side), each followed to
 * SUCCEEDED once the Machines are ready, and refusals that change nothing. Its own file (and cluster) so it runs beside mcp-operations.test.ts, not after it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inMemoryCreateArgs } from '../support/clusters.ts';
import { connectV2, startTestServer, textOf, type TestClient } from '../support/mcp.ts';
import { useNamespace } from '../support/sandbox.ts';
import { eventually } from '../support/wait.ts';

const ns = await useNamespace('mcp-scale-up', { withClusterClass: true });
const url = await startTestServer();
let client: TestClient;
before(async () => {
  client = await connectV2(url);
});
after(() => client.close());

async function followToEnd(operationId: string, timeoutMs = 240_000) {
  return eventually(`operation ${operationId} to end`, async () => {
    const result = await client.callTool({ name: 'get_operation', arguments: { operation_id: operationId } });
    return { done: result.structuredContent.status !== 'RUNNING', value: result.structuredContent, seen: textOf(result) };
  }, { timeoutMs, intervalMs: 2000 });
}

async function created(name: string) {
  const create = await client.callTool({ name: 'create_cluster', arguments: inMemoryCreateArgs(ns.name, name) });
  assert.equal(create.isError, undefined, textOf(create));
  assert.equal((await followToEnd(create.structuredContent.operation_id)).status, 'SUCCEEDED');
}

const machineVersions = async (cluster: string) => {
  const list = await ns.objects.list('cluster.x-k8s.io/v1beta2', 'Machine', ns.name, undefined, undefined, undefined, undefined, `cluster.x-k8s.io/cluster-name=${cluster}`);
  return list.items.map((m: any) => `${m.metadata.labels['cluster.x-k8s.io/deployment-name'] ? 'worker' : 'cp'}:${m.spec.version}:${m.status?.conditions?.find((c: any) => c.type === 'Ready')?.status}`).sort();
};

// Note: the scale (and the refusals, which must see its cluster unchanged) and the upgrade each have a
// cluster of their own, created together, and run side by side: the upgrade replacing machines one by one
// is this file's longest wait.
describe('scale_cluster and upgrade_cluster', { concurrency: true }, () => {
  before(async () => {
    await Promise.all([created('op-2'), created('op-3')]);
  });

  describe('on op-2: a scale, then refusals that change nothing', { concurrency: false }, () => {
    it('scales a worker pool from 1 to 3 and succeeds once the new Machines are ready', async () => {
      const started = await client.callTool({ name: 'scale_cluster', arguments: { namespace: ns.name, name: 'op-2', worker_pools: [{ name: 'md-0', replicas: 3 }] } });
      assert.equal(started.isError, undefined, textOf(started));
      const done = await followToEnd(started.structuredContent.operation_id);
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
      assert.deepEqual(await machineVersions('op-2'), ['cp:v1.35.0:True', 'worker:v1.35.0:True', 'worker:v1.35.0:True', 'worker:v1.35.0:True']);
    });

    const refusals: [string, string, Record<string, unknown>, RegExp][] = [
      ['an unknown worker pool', 'scale_cluster', { worker_pools: [{ name: 'gpu', replicas: 1 }] }, /worker pool "gpu" does not exist \(the cluster has: md-0\)/],
      ['an even control plane', 'scale_cluster', { control_plane_replicas: 4 }, /must be odd/],
      ['a scale with nothing to change', 'scale_cluster', {}, /give worker_pools and\/or control_plane_replicas/],
      ['a downgrade', 'upgrade_cluster', { kubernetes_version: 'v1.34.3' }, /older than the current v1\.35\.0: downgrades are not supported/],
      ['a skipped minor version', 'upgrade_cluster', { kubernetes_version: 'v1.37.0' }, /skips a minor version from v1\.35\.0: upgrade to v1\.36\.x first/],
      ['the version it already runs', 'upgrade_cluster', { kubernetes_version: 'v1.35.0' }, /already runs v1\.35\.0/],
    ];
    for (const [what, tool, args, reason] of refusals) {
      it(`${tool} refuses ${what}, changing nothing`, async () => {
        const machinesBefore = await machineVersions('op-2');
        const result = await client.callTool({ name: tool, arguments: { namespace: ns.name, name: 'op-2', ...args } });
        assert.equal(result.isError, true, textOf(result));
        assert.match(textOf(result), reason);
        assert.deepEqual(await machineVersions('op-2'), machinesBefore);
      });
    }
  });

  it('upgrades op-3 to the next patch version and succeeds once every Machine runs it', async () => {
    const started = await client.callTool({ name: 'upgrade_cluster', arguments: { namespace: ns.name, name: 'op-3', kubernetes_version: 'v1.35.1' } });
    assert.equal(started.isError, undefined, textOf(started));
    const done = await followToEnd(started.structuredContent.operation_id, 400_000);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    assert.deepEqual(await machineVersions('op-3'), ['cp:v1.35.1:True', 'worker:v1.35.1:True']);
  });
});
