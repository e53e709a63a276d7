/**
 * create_cluster and get_operation through a real MCP client, with the synthesized state machine run by
 * the local engine against the test sandbox's real controllers: a create is followed to SUCCEEDED, 50
 * concurrent identical creates make one Cluster and one operation, and invalid requests fail at once
 * with the reason while creating nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connectV2, startTestServer, textOf, type TestClient } from '../support/mcp.ts';
import { useNamespace } from '../support/sandbox.ts';
import { eventually } from '../support/wait.ts';

const ns = await useNamespace('mcp-ops', { withClusterClass: true });
const url = await startTestServer();
let client: TestClient;
before(async () => {
  client = await connectV2(url);
});
after(() => client.close());

const request = (name: string, overrides: Record<string, unknown> = {}) => ({
  namespace: ns.name,
  name,
  cluster_class: 'in-memory',
  kubernetes_version: 'v1.35.0',
  control_plane_replicas: 1,
  workers: [{ class: 'default-worker', name: 'md-0', replicas: 1 }],
  ...overrides,
});

async function clusterNames(): Promise<string[]> {
  const list = await ns.objects.list('cluster.x-k8s.io/v1beta2', 'Cluster', ns.name);
  return list.items.map((c) => c.metadata!.name!).sort();
}

describe('create_cluster', () => {
  it('returns at once with an operation that get_operation follows to SUCCEEDED', async () => {
    const started = await client.callTool({ name: 'create_cluster', arguments: request('op-1') });
    assert.equal(started.isError, undefined, textOf(started));
    assert.equal(started.structuredContent.status, 'RUNNING');
    assert.match(textOf(started), /Next: call get_operation/);
    const id = started.structuredContent.operation_id;
    const done = await eventually('the create operation to end', async () => {
      const result = await client.callTool({ name: 'get_operation', arguments: { operation_id: id } });
      const view = result.structuredContent;
      return { done: view.status !== 'RUNNING', value: view, seen: textOf(result) };
    }, { timeoutMs: 240_000, intervalMs: 2000 });
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    assert.match(done.last_observed, /Available with control plane 1\/1 and workers 1\/1/);
    const cluster: any = await ns.objects.read({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name: 'op-1', namespace: ns.name } });
    assert.ok(cluster.status.conditions.some((c: any) => c.type === 'Available' && c.status === 'True'));
  });

  it('refuses to create a cluster that already exists', async () => {
    const result = await client.callTool({ name: 'create_cluster', arguments: request('op-1') });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /Conflict: cluster .*op-1 already exists/);
  });

  it('turns 50 concurrent identical requests into one cluster and one operation', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => client.callTool({ name: 'create_cluster', arguments: request('op-2') })));
    const failures = results.filter((r) => r.isError).map(textOf);
    assert.deepEqual(failures, []);
    const ids = new Set(results.map((r) => r.structuredContent.operation_id));
    assert.equal(ids.size, 1, [...ids].join(', '));
    await eventually('op-2 to exist', async () => {
      const names = await clusterNames();
      return { done: names.includes('op-2'), value: names, seen: names.join(', ') };
    });
    assert.deepEqual((await clusterNames()).filter((n) => n.startsWith('op-2')), ['op-2']);
  });

  const invalid: [string, Record<string, unknown>, RegExp][] = [
    ['an unknown ClusterClass', { cluster_class: 'no-such-class' }, /ClusterClass .*no-such-class does not exist[\s\S]*capi:\/\/clusterclasses/],
    ['an unknown worker class', { workers: [{ class: 'gpu', name: 'md-0', replicas: 1 }] }, /class "gpu" is not in ClusterClass in-memory \(it has: default-worker\)/],
    ['an undefined variable', { variables: { region: 'eu-west-1' } }, /variable "region" is not defined by ClusterClass in-memory/],
    ['an even control plane', { control_plane_replicas: 2 }, /must be odd/],
    ['a malformed version', { kubernetes_version: '1.35' }, /must look like v1\.35\.0/],
    ['a name that is not a DNS label', { name: 'Bad_Name' }, /name/],
    ['duplicate worker pool names', { workers: [{ class: 'default-worker', name: 'a', replicas: 1 }, { class: 'default-worker', name: 'a', replicas: 1 }] }, /unique/],
  ];
  for (const [what, overrides, reason] of invalid) {
    it(`rejects ${what} at once, creating nothing`, async () => {
      const name = typeof overrides.name === 'string' ? overrides.name : `bad-${what.replace(/[^a-z]+/g, '-').slice(0, 30)}`.replace(/-$/, '');
      const result = await client.callTool({ name: 'create_cluster', arguments: request(name, { ...overrides, name }) });
      assert.equal(result.isError, true, textOf(result));
      assert.match(textOf(result), reason);
      assert.equal((await clusterNames()).includes(name), false);
    });
  }

  it("rejects what only the API server knows is wrong, with the API server's reason", async () => {
    const result = await client.callTool({ name: 'create_cluster', arguments: request('bad-labels', { labels: { 'bad key!': 'x' } }) });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /InvalidInput: the API server rejected cluster .*bad-labels: .*metadata\.labels/);
    assert.equal((await clusterNames()).includes('bad-labels'), false);
  });
});

describe('get_operation', () => {
  it('says an unknown operation is not found', async () => {
    const result = await client.callTool({ name: 'get_operation', arguments: { operation_id: 'create-nope-0000000000' } });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /NotFound: operation create-nope-0000000000 not found/);
  });
});
