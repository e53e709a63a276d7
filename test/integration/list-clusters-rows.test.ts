/**
 * list_clusters reads each Cluster as it arrives and keeps only what its row needs (capi/summary.ts
 * summaryFields, kube/list-stream.ts): its rows must be exactly those of the whole objects. Clusters of
 * every state the real controllers give them on the test sandbox — Available, provisioning, paused,
 * deleting, without a topology — listed whole with an admin client and summarized, against the tool's
 * page, field by field.
 */
import { after, before, describe, it } from 'node:test';
import { PatchStrategy } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { summarizeCluster, type ClusterSummary } from '../../shared/capi/summary.ts';
import type { KubeObject } from '../../shared/kube/types.ts';
import { provisionedCluster, stuckCluster } from '../support/clusters.ts';
import { connectV2, startTestServer, textOf, type TestClient } from '../support/mcp.ts';
import { useNamespace } from '../support/sandbox.ts';
import { eventually } from '../support/wait.ts';

const hold = 'capi-mcp.io/test-hold';
// Registered before useNamespace's own cleanup, which waits for every Cluster to go: the paused one and
// the one held in Deleting only go once released.
after(async () => {
  await ns.objects.patch({ ...clusterRef('paused'), spec: { paused: false } } as never, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch).catch(() => undefined);
  await ns.objects.patch({ ...clusterRef('deleting'), metadata: { ...clusterRef('deleting').metadata, finalizers: null } } as never, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch).catch(() => undefined);
});
const ns = await useNamespace('list-rows', { withClusterClass: true });
const url = await startTestServer();
const clusterRef = (name: string) => ({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name, namespace: ns.name } });
let client: TestClient;


before(async () => {
  client = await connectV2(url);
  await Promise.all([
    ...Array.from({ length: 40 }, (_, i) => ns.objects.create(stuckCluster(ns.name, `stuck-${String(i).padStart(2, '0')}`, { i: String(i) }))),
    ns.objects.create({ ...stuckCluster(ns.name, 'paused'), spec: { ...stuckCluster(ns.name, 'paused').spec, paused: true } }),
    ns.objects.create({ ...stuckCluster(ns.name, 'deleting'), metadata: { ...stuckCluster(ns.name, 'deleting').metadata, finalizers: [hold] } }),
  ]);
  await provisionedCluster(ns, 'available', 0);
  await ns.objects.delete(clusterRef('deleting'));
  // Settled: every Cluster but the paused one (which no controller reconciles: it has no status) has a phase.
  await eventually('every Cluster has a phase', async () => {
    const items = (await ns.objects.list('cluster.x-k8s.io/v1beta2', 'Cluster', ns.name)).items as KubeObject[];
    const phases = items.filter((c) => c.metadata.name !== 'paused').map((c) => c.status?.phase);
    return { done: items.length === 43 && phases.every(Boolean) && phases.includes('Deleting'), value: undefined, seen: phases.join(',') };
  });
});
after(() => client.close());

/** The rows of whole objects, as list_clusters made them before it kept only summaryFields. */
async function wholeObjectRows(now: Date): Promise<ClusterSummary[]> {
  const items = (await ns.objects.list('cluster.x-k8s.io/v1beta2', 'Cluster', ns.name)).items as KubeObject[];
  return items.map((c) => summarizeCluster(c, now));
}

const withoutAge = ({ ageSeconds: _age, ...row }: ClusterSummary) => row;

/**
 * list_clusters' rows, walked in pages of `limit`, with the whole objects' rows read just before and just
 * after the walk. Note: the controllers keep writing these Clusters (on a loaded machine the Available one
 * flaps while the simulated etcd is slow to list its members), so a walk is compared only with a moment
 * when nothing changed across it: the two whole reads equal.
 */
async function walkWhileSettled(limit: number): Promise<{ rows: ClusterSummary[]; whole: ClusterSummary[] }> {
  return eventually(`a walk in pages of ${limit} during which no Cluster changed`, async () => {
    const before = await wholeObjectRows(new Date());
    const rows: ClusterSummary[] = [];
    let cursor: string | undefined;
    do {
      const result = await client.callTool({ name: 'list_clusters', arguments: { namespace: ns.name, limit, ...(cursor ? { cursor } : {}) } });
      assert.equal(result.isError, undefined, textOf(result));
      rows.push(...(result.structuredContent.clusters as ClusterSummary[]));
      cursor = result.structuredContent.next_cursor;
    } while (cursor);
    const whole = await wholeObjectRows(new Date());
    return { done: isDeepStrictEqual(before.map(withoutAge), whole.map(withoutAge)), value: { rows, whole }, seen: 'a Cluster changed during the walk' };
  }, { timeoutMs: 120_000, intervalMs: 1000 });
}

describe('list_clusters rows', () => {
  it('are those of the whole objects, for Clusters of every state, on one page and across pages', async () => {
    for (const limit of [200, 7]) {
      const { rows, whole } = await walkWhileSettled(limit);
      assert.deepEqual(rows.map(withoutAge), whole.map(withoutAge), `pages of ${limit}`);
      // The age is the same creationTimestamp read at another moment.
      for (const [i, row] of rows.entries()) assert.ok(Math.abs((row.ageSeconds ?? 0) - (whole[i]!.ageSeconds ?? 0)) <= 5, row.name);
    }
  });

  it('cover every state the fixtures set up', async () => {
    // Note: the Available one may be flapping (see walkWhileSettled); its row is read once it is Available.
    const byName = await eventually('the rows, with the provisioned Cluster Available', async () => {
      const rows = new Map((await wholeObjectRows(new Date())).map((r) => [r.name, r]));
      return { done: rows.get('available')?.available === true, value: rows, seen: JSON.stringify(rows.get('available')) };
    }, { timeoutMs: 120_000, intervalMs: 1000 });
    assert.equal(byName.get('available')?.clusterClass, 'in-memory');
    assert.equal(byName.get('paused')?.paused, true);
    assert.equal(byName.get('deleting')?.deleting, true);
    assert.match(byName.get('deleting')?.notAvailableReason ?? '', /^Deleting/);
    assert.match(byName.get('stuck-00')?.notAvailableReason ?? '', /^InfrastructureReady/);
    assert.equal(byName.get('stuck-00')?.clusterClass, undefined);
  });
});
