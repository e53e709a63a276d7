/**
 * create_cluster and get_operation through a real MCP client, with the synthesized state machine run by
 * the local engine against the test sandbox's real controllers: a create is followed to SUCCEEDED, 50
 * concurrent identical creates make one Cluster and one operation, and invalid requests fail at once
 * with the reason while creating nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { availableCluster, stuckCluster, inMemoryCreateArgs } from '../support/clusters.ts';
import { connectV2, startTestServer, textOf, type TestClient } from '../support/mcp.ts';
import { useNamespace } from '../support/sandbox.ts';
import { eventually } from '../support/wait.ts';

const ns = await useNamespace('mcp-ops', { withClusterClass: true });
// `<ns>-<suffix>`: with cluster `x-y` there and `<suffix>-x-y` in ns, the pair that shared ids before
// ids covered namespace and name (as team-a/x-y and team/a-x-y did).
const inner = await useNamespace(ns.name);
const url = await startTestServer();
let client: TestClient;
before(async () => {
  client = await connectV2(url);
});
after(() => client.close());

const request = (name: string, overrides: Record<string, any> = {}) => inMemoryCreateArgs(ns.name, name, overrides);

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
    await availableCluster(ns, 'op-1');
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

  it("rejects a variable value that breaks the ClusterClass's schema, naming the variable and the rule", async () => {
    // A copy of the sandbox's class that declares one typed variable (the webhook checks the schema itself).
    const base: any = await ns.objects.read({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'ClusterClass', metadata: { name: 'in-memory', namespace: ns.name } });
    await ns.objects.create({
      apiVersion: base.apiVersion,
      kind: 'ClusterClass',
      metadata: { name: 'in-memory-vars', namespace: ns.name },
      spec: { ...base.spec, variables: [{ name: 'workerCount', required: false, schema: { openAPIV3Schema: { type: 'integer', minimum: 1, maximum: 10 } } }] },
    } as never);
    const result = await client.callTool({ name: 'create_cluster', arguments: request('bad-var', { cluster_class: 'in-memory-vars', variables: { workerCount: 11 } }) });
    assert.equal(result.isError, true, textOf(result));
    assert.match(textOf(result), /variable "workerCount": must be <= 10/);
    assert.equal((await clusterNames()).includes('bad-var'), false);
  });

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

async function followToEnd(operationId: string, timeoutMs = 240_000) {
  return eventually(`operation ${operationId} to end`, async () => {
    const result = await client.callTool({ name: 'get_operation', arguments: { operation_id: operationId } });
    return { done: result.structuredContent.status !== 'RUNNING', value: result.structuredContent, seen: textOf(result) };
  }, { timeoutMs, intervalMs: 2000 });
}

describe('delete_cluster', () => {
  const protectedCases: [string, Record<string, string>, Record<string, string>, RegExp][] = [
    ['a cluster with the prevent-deletion label', { 'capi-mcp.io/prevent-deletion': 'true' }, {}, /capi-mcp\.io\/prevent-deletion=true/],
    ['a cluster managed by Flux', { 'kustomize.toolkit.fluxcd.io/name': 'clusters' }, {}, /managed by Flux \(Kustomization\)/],
    ['a cluster managed by Argo CD', {}, { 'argocd.argoproj.io/tracking-id': 'fleet:cluster.x-k8s.io/Cluster:ns/x' }, /managed by Argo CD/],
  ];
  for (const [what, labels, annotations, reason] of protectedCases) {
    it(`never deletes ${what}`, async () => {
      const name = `keep-${Object.keys({ ...labels, ...annotations })[0]!.split('.')[0]!.replace(/[^a-z]/g, '')}`;
      const manifest: any = stuckCluster(ns.name, name, labels);
      manifest.metadata.annotations = annotations;
      await ns.objects.create(manifest);
      const result = await client.callTool({ name: 'delete_cluster', arguments: { namespace: ns.name, name, confirm: name } });
      assert.equal(result.isError, true, textOf(result));
      assert.match(textOf(result), reason);
      assert.ok((await clusterNames()).includes(name), 'the cluster is still there');
    });
  }

  it('refuses without confirm equal to the name', async () => {
    const result = await client.callTool({ name: 'delete_cluster', arguments: { namespace: ns.name, name: 'op-1', confirm: 'yes' } });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /confirm must equal the cluster name "op-1"/);
    assert.ok((await clusterNames()).includes('op-1'));
  });

  it('deletes a cluster and its Machines, followed to SUCCEEDED', async () => {
    const started = await client.callTool({ name: 'delete_cluster', arguments: { namespace: ns.name, name: 'op-1', confirm: 'op-1' } });
    assert.equal(started.isError, undefined, textOf(started));
    const id = started.structuredContent.operation_id;
    const done = await eventually('the delete operation to end', async () => {
      const view = (await client.callTool({ name: 'get_operation', arguments: { operation_id: id } })).structuredContent;
      return { done: view.status !== 'RUNNING', value: view, seen: JSON.stringify(view) };
    }, { timeoutMs: 180_000, intervalMs: 2000 });
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    assert.equal((await clusterNames()).includes('op-1'), false);
    const machines = await ns.objects.list('cluster.x-k8s.io/v1beta2', 'Machine', ns.name, undefined, undefined, undefined, undefined, 'cluster.x-k8s.io/cluster-name=op-1');
    assert.equal(machines.items.length, 0);
  });

  it('re-creates a cluster deleted earlier under the same name, as a new operation', async () => {
    const first = (await client.callTool({ name: 'list_operations', arguments: { namespace: ns.name, name: 'op-1' } })).structuredContent.operations;
    const create = await client.callTool({ name: 'create_cluster', arguments: request('op-1') });
    assert.equal(create.isError, undefined, textOf(create));
    assert.ok(!first.some((o: any) => o.operation_id === create.structuredContent.operation_id), 'a fresh operation id');
    assert.match(create.structuredContent.operation_id, /-g2$/);
  });
});

describe('list_operations and cancel_operation', () => {
  it('lists the operations of a cluster, newest first', async () => {
    const result = await client.callTool({ name: 'list_operations', arguments: { namespace: ns.name, name: 'op-1' } });
    const actions = result.structuredContent.operations.map((o: any) => `${o.action}:${o.status}`);
    assert.deepEqual(actions.slice(1), ['delete:SUCCEEDED', 'create:SUCCEEDED']);
    assert.match(actions[0], /^create:/);
  });

  it('cancels a running operation and says what was already applied', async () => {
    const running = (await client.callTool({ name: 'list_operations', arguments: { namespace: ns.name, name: 'op-1', status: 'RUNNING' } })).structuredContent.operations;
    assert.equal(running.length, 1, 'the re-create is still running');
    await eventually('the re-create to pass Apply', async () => {
      const view = (await client.callTool({ name: 'get_operation', arguments: { operation_id: running[0].operation_id } })).structuredContent;
      return { done: view.current_step !== 'Apply', value: view, seen: JSON.stringify(view) };
    });
    const result = await client.callTool({ name: 'cancel_operation', arguments: { operation_id: running[0].operation_id } });
    assert.equal(result.isError, undefined, textOf(result));
    assert.equal(result.structuredContent.status, 'ABORTED');
    assert.equal(result.structuredContent.applied, true);
    assert.match(textOf(result), /was already applied; the controllers carry on with it — call delete_cluster/);
    const again = await client.callTool({ name: 'cancel_operation', arguments: { operation_id: running[0].operation_id } });
    assert.equal(again.isError, true);
    assert.match(textOf(again), /already ended ABORTED/);
  });
});

describe('operation ids', () => {
  it('gives the deletes of team-a/x-y and team/a-x-y (so named here) ids that share no generations', async () => {
    const suffix = inner.name.slice(ns.name.length + 1);
    const pair = [
      { namespace: inner.name, name: 'x-y' },
      { namespace: ns.name, name: `${suffix}-x-y` },
    ];
    for (const { namespace, name } of pair) await ns.objects.create(stuckCluster(namespace, name) as never);
    const ids: string[] = [];
    for (const { namespace, name } of pair) {
      const started = await client.callTool({ name: 'delete_cluster', arguments: { namespace, name, confirm: name } });
      assert.equal(started.isError, undefined, textOf(started));
      ids.push(started.structuredContent.operation_id);
    }
    const bases = ids.map((id) => id.replace(/-g\d+$/, ''));
    assert.notEqual(bases[0], bases[1], ids.join(' and '));
    assert.deepEqual(ids, bases, 'each is the first run of its own operation');
    for (const id of ids) assert.equal((await followToEnd(id)).status, 'SUCCEEDED');
  });
});
