/**
 * list_clusters (shared/mcp/tools/list-clusters.ts) against a fake management cluster: the row of each
 * Cluster and its first cause, the phase filter, and paging — a caller limited to namespaces is answered
 * from those namespaces alone (never one cluster-wide LIST), behind cursors sealed to its key and query.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Caller } from '../../shared/auth/scopes.ts';
import { ErrorCode } from '../../shared/errors.ts';
import type { KubeObject } from '../../shared/kube/client.ts';
import { listClusters } from '../../shared/mcp/tools/list-clusters.ts';
import { obj } from '../fixtures/objects.ts';
import { apiFailure, callTool, FakeKube, fakeToolDeps, labelled, refusal } from '../support/fake-kube.ts';

/** A provisioned, available Cluster of quick-start, created two hours before the fake clock. */
const available = (namespace: string, name: string) =>
  obj('Cluster', name, namespace)
    .spec({ topology: { classRef: { name: 'quick-start' }, version: 'v1.34.1' } })
    .status({ phase: 'Provisioned', controlPlane: { readyReplicas: 3, desiredReplicas: 3 }, workers: { readyReplicas: 2, desiredReplicas: 2 } })
    .condition('Available', 'True')
    .build();

/** Provisioning: its infrastructure is ready, its control plane not initialized, so the remote probe fails too. */
const provisioning = (namespace: string, name: string) =>
  obj('Cluster', name, namespace)
    .spec({ topology: { classRef: { name: 'quick-start' }, version: 'v1.34.1' } })
    .status({ phase: 'Provisioning', controlPlane: { readyReplicas: 0, desiredReplicas: 3 }, workers: { readyReplicas: 0, desiredReplicas: 2 } })
    .condition('Available', 'False', 'NotAvailable', '* RemoteConnectionProbe: Remote connection not established yet')
    .condition('RemoteConnectionProbe', 'False', 'ProbeFailed', 'Remote connection not established yet')
    .condition('InfrastructureReady', 'True')
    .condition('ControlPlaneInitialized', 'False', 'NotInitialized', '* Control plane not yet initialized\n* waiting for the first machine')
    .createdAt('2026-11-25T11:55:00Z')
    .build();

function world(objects: KubeObject[], caller: Partial<Caller> = {}) {
  return fakeToolDeps({ kube: new FakeKube().add(...objects), caller });
}

describe('list_clusters', () => {
  it('writes one row per Cluster, explaining one that is not available by its first cause, not its symptom', async () => {
    // Prepare
    const { deps } = world([available('team-a', 'ready'), provisioning('team-a', 'young')]);

    // Act
    const { structured, text } = await callTool(listClusters, {}, deps);

    // Assess
    assert.equal(
      text,
      [
        'team-a/ready Provisioned quick-start v1.34.1 cp 3/3 workers 2/2 2h',
        'team-a/young Provisioning quick-start v1.34.1 cp 0/3 workers 0/2 5m — ControlPlaneInitialized: Control plane not yet initialized',
      ].join('\n'),
    );
    assert.equal(structured.scanned, 2);
    assert.equal(structured.next_cursor, undefined);
    assert.deepEqual(structured.clusters[1], {
      namespace: 'team-a',
      name: 'young',
      phase: 'Provisioning',
      clusterClass: 'quick-start',
      version: 'v1.34.1',
      controlPlane: { ready: 0, desired: 3 },
      workers: { ready: 0, desired: 2 },
      available: false,
      notAvailableReason: 'ControlPlaneInitialized: Control plane not yet initialized',
      paused: false,
      deleting: false,
      ageSeconds: 300,
      createdAt: '2026-11-25T11:55:00Z',
    });
  });

  const filters: { name: string; objects: KubeObject[]; args: Record<string, unknown>; rows: string[]; text?: string }[] = [
    { name: 'the phase asked for, with scanned counting the page', objects: [available('team-a', 'a'), provisioning('team-a', 'b')], args: { phase: 'Provisioning' }, rows: ['team-a/b'] },
    { name: 'nothing on a page with none in the phase, saying so', objects: [available('team-a', 'a')], args: { phase: 'Provisioning' }, rows: [], text: 'no Provisioning clusters on this page' },
    { name: 'nothing when there are no clusters', objects: [], args: {}, rows: [], text: 'no clusters' },
    {
      name: 'the clusters a label selector selects',
      objects: [labelled(available('team-a', 'prod-1'), { env: 'prod' }), labelled(available('team-a', 'dev-1'), { env: 'dev' }), available('team-a', 'none')],
      args: { label_selector: 'env in (prod,staging)' },
      rows: ['team-a/prod-1'],
    },
    { name: 'one namespace when asked for it', objects: [available('team-a', 'a'), available('team-b', 'b')], args: { namespace: 'team-b' }, rows: ['team-b/b'] },
  ];
  for (const c of filters) {
    it(`lists ${c.name}`, async () => {
      const { deps } = world(c.objects);
      const { structured, text } = await callTool(listClusters, c.args, deps);
      assert.deepEqual(structured.clusters.map((s) => `${s.namespace}/${s.name}`), c.rows);
      if (c.text) assert.equal(text, c.text);
    });
  }

  it("answers a caller limited to namespaces from those alone, page by page, in one fixed order, never with one cluster-wide LIST", async () => {
    // Prepare: team-c's clusters sort between and after the caller's.
    const objects = [
      ...['a1', 'a2', 'a3'].map((n) => available('team-a', n)),
      ...['b1', 'b2'].map((n) => available('team-b', n)),
      ...['c1', 'c2', 'c3', 'c4', 'c5'].map((n) => available('team-c', n)),
      available('team-ab', 'lookalike'),
    ];
    const { deps, kube } = world(objects, { namespaces: ['team-b', 'team-a'] });

    // Act
    const pages: { rows: string[]; scanned: number }[] = [];
    let cursor: string | undefined;
    do {
      const { structured, text } = await callTool(listClusters, { limit: 2, ...(cursor ? { cursor } : {}) }, deps);
      pages.push({ rows: structured.clusters.map((s) => `${s.namespace}/${s.name}`), scanned: structured.scanned });
      cursor = structured.next_cursor;
      if (cursor) assert.match(text, new RegExp(`\nmore: call list_clusters with cursor="${cursor}"$`));
    } while (cursor && pages.length < 10);

    // Assess
    assert.deepEqual(pages, [
      { rows: ['team-a/a1', 'team-a/a2'], scanned: 2 },
      { rows: ['team-a/a3', 'team-b/b1'], scanned: 2 },
      { rows: ['team-b/b2'], scanned: 1 },
    ]);
    assert.deepEqual(kube.calls.filter((c) => c.verb === 'list' && c.namespace === undefined), [], 'no cluster-wide LIST');
    assert.deepEqual([...new Set(kube.calls.map((c) => c.namespace))].sort(), ['team-a', 'team-b']);
  });

  it('pages an unlimited caller with one cluster-wide LIST per page', async () => {
    const { deps, kube } = world(['x1', 'x2', 'x3'].map((n) => available('team-c', n)));
    const first = await callTool(listClusters, { limit: 2 }, deps);
    const second = await callTool(listClusters, { limit: 2, cursor: first.structured.next_cursor }, deps);
    assert.deepEqual(second.structured.clusters.map((s) => s.name), ['x3']);
    assert.deepEqual(kube.calls.map((c) => [c.namespace, c.limit, c.continueToken === undefined]), [[undefined, 2, true], [undefined, 2, false]]);
  });

  const cursors: { name: string; replay: (deps: ReturnType<typeof world>['deps'], cursor: string) => Promise<unknown>; message: string }[] = [
    {
      name: "another key's",
      replay: (_deps, cursor) => callTool(listClusters, { limit: 1, cursor }, world([], { keyId: 'keybbbbbbbbb' }).deps),
      message: 'cursor was issued to another API key',
    },
    { name: 'one of a listing with other arguments', replay: (deps, cursor) => callTool(listClusters, { limit: 2, cursor }, deps), message: 'cursor belongs to a listing with other arguments' },
    { name: 'an altered', replay: (deps, cursor) => callTool(listClusters, { limit: 1, cursor: `${cursor.slice(0, -4)}AAAA` }, deps), message: 'cursor is not one that list_clusters returned' },
  ];
  for (const c of cursors) {
    it(`refuses ${c.name} cursor before listing anything`, async () => {
      // Prepare
      const { deps, kube } = world([available('team-a', 'a'), available('team-a', 'b')]);
      const { structured } = await callTool(listClusters, { limit: 1 }, deps);
      const listed = kube.calls.length;

      // Act
      const error = await refusal(c.replay(deps, structured.next_cursor!));

      // Assess
      assert.equal(error.code, ErrorCode.InvalidInput);
      assert.equal(error.message, c.message);
      assert.equal(kube.calls.length, listed, 'no LIST for a refused cursor');
    });
  }

  it('refuses a cursor whose continue token the API server has expired (410), with the way to start over', async () => {
    // Prepare
    const { deps, kube } = world([available('team-a', 'a'), available('team-a', 'b')]);
    const { structured } = await callTool(listClusters, { limit: 1 }, deps);
    kube.failOn({ verb: 'list' }, apiFailure('list clusters in all namespaces', 410, { reason: 'Expired', message: 'The provided continue parameter is too old' }));

    // Act
    const error = await refusal(callTool(listClusters, { limit: 1, cursor: structured.next_cursor }, deps));

    // Assess
    assert.equal(error.code, ErrorCode.InvalidInput);
    assert.equal(error.message, 'the cursor has expired (the listing is too old)');
    assert.equal(error.hint, 'call list_clusters again without cursor to restart from the first page');
  });

  it('keeps the code of a LIST the identity may not make, with context', async () => {
    const { deps, kube } = world([]);
    kube.failOn({ verb: 'list' }, apiFailure('list clusters in all namespaces', 403, { message: 'clusters.cluster.x-k8s.io is forbidden' }));
    const error = await refusal(callTool(listClusters, {}, deps));
    assert.equal(error.code, ErrorCode.Forbidden);
    assert.equal(error.message, 'failed to list clusters: failed to list clusters in all namespaces: clusters.cluster.x-k8s.io is forbidden');
  });

  const selectors: { name: string; selector: string; valid: boolean }[] = [
    { name: 'a set-based selector', selector: 'env in (prod,staging),!legacy', valid: true },
    { name: 'a selector with a quote', selector: "env='prod'", valid: false },
    { name: 'a selector over 1024 characters', selector: `a=${'b'.repeat(1023)}`, valid: false },
  ];
  for (const c of selectors) {
    it(`${c.valid ? 'accepts' : 'refuses'} ${c.name} in its arguments`, () => {
      assert.equal(listClusters.inputSchema.safeParse({ label_selector: c.selector }).success, c.valid);
    });
  }
});

describe('list_clusters across the fleet (management_cluster "*")', () => {
  /** Three management clusters: sandbox (2 Clusters), east (3), and west, whose API server refuses every call. */
  function fleet(caller: Partial<Caller> = {}) {
    const east = new FakeKube().add(available('team-a', 'e1'), available('team-a', 'e2'), provisioning('team-b', 'e3'));
    const west = new FakeKube().add(available('team-a', 'w1'));
    west.failOn({ verb: 'list' }, apiFailure('list Cluster', 503, { message: 'connection refused' }));
    return fakeToolDeps({ kube: new FakeKube().add(available('team-a', 's1'), available('team-a', 's2')), others: { east, west }, caller });
  }

  it('walks every management cluster in order, each row naming its own, and one that fails is a row of unreachable', async () => {
    const { deps } = fleet();
    const { structured, text } = await callTool(listClusters, { management_cluster: '*' }, deps);
    assert.deepEqual(structured.clusters.map((c) => `${c.management_cluster}:${c.namespace}/${c.name}`), ['sandbox:team-a/s1', 'sandbox:team-a/s2', 'east:team-a/e1', 'east:team-a/e2', 'east:team-b/e3']);
    assert.deepEqual(structured.unreachable?.map((u) => u.management_cluster), ['west']);
    assert.match(structured.unreachable![0]!.error, /^Upstream: /);
    assert.equal(structured.scanned, 5);
    assert.equal(structured.next_cursor, undefined);
    assert.match(text, /^\[sandbox\] team-a\/s1 Provisioned/);
    assert.match(text, /\n\[west\] unreachable: Upstream: /);
  });

  it('pages across management clusters: every row once, in order, whatever the page size', async () => {
    for (const limit of [1, 2, 3, 4]) {
      const { deps } = fleet();
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const { structured } = await callTool(listClusters, { management_cluster: '*', limit, ...(cursor ? { cursor } : {}) }, deps);
        assert.ok(structured.clusters.length <= limit);
        seen.push(...structured.clusters.map((c) => `${c.management_cluster}:${c.name}`));
        cursor = structured.next_cursor;
        assert.ok(++pages < 20, 'the walk ends');
      } while (cursor);
      assert.deepEqual(seen, ['sandbox:s1', 'sandbox:s2', 'east:e1', 'east:e2', 'east:e3'], `limit ${limit}`);
    }
  });

  it('walks only the management clusters and namespaces a limited key may use', async () => {
    const { deps, kube } = fleet({ managementClusters: ['east', 'west'], namespaces: ['team-b'] });
    const { structured } = await callTool(listClusters, { management_cluster: '*' }, deps);
    assert.deepEqual(structured.clusters.map((c) => `${c.management_cluster}:${c.namespace}/${c.name}`), ['east:team-b/e3']);
    assert.deepEqual(structured.unreachable?.map((u) => u.management_cluster), ['west']);
    assert.deepEqual(kube.calls, [], 'the default management cluster, which the key may not use, is not asked');
  });

  it('refuses "*" on a tool that reads one management cluster', async () => {
    const { getCluster } = await import('../../shared/mcp/tools/get-cluster.ts');
    const parsed = getCluster.inputSchema.safeParse({ namespace: 'team-a', name: 's1', management_cluster: '*' });
    assert.equal(parsed.success, false);
  });
});
