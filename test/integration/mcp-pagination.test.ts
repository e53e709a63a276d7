/**
 * list_clusters pages through many Clusters with the API server's own limit/continue: every cluster
 * comes back exactly once, pages never exceed the limit, and cursors cannot be replayed against another
 * query. 260 real Cluster objects on the test sandbox (left Pending: their infrastructure never exists).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stuckCluster } from '../support/clusters.ts';
import { askingAgainOnReadTimeout, connectV2, startTestServer, textOf, type TestClient } from '../support/mcp.ts';
import { useNamespace } from '../support/sandbox.ts';

const total = 260;
const ns = await useNamespace('mcp-pages');
const url = await startTestServer();
let client: TestClient;

before(async () => {
  client = await connectV2(url);
  const names = Array.from({ length: total }, (_, i) => `c-${String(i).padStart(3, '0')}`);
  for (let i = 0; i < names.length; i += 20) {
    await Promise.all(names.slice(i, i + 20).map((n, j) => ns.objects.create(stuckCluster(ns.name, n, { shard: String((i + j) % 2) }))));
  }
});
after(() => client.close());

/**
 * A page, asked again (with the same cursor) when the answer is a read's Timeout: what the error tells an
 * agent to do. Note: on a loaded 2-core CI machine the API server took over 10 s to answer a page of 200,
 * three times in a row, while three other test files ran: its watch caches were thousands of revisions
 * behind etcd, so a consistent LIST waited for them, then read etcd (kube-apiserver.log: "Too large resource
 * version", the etcd Range cancelled at the deadline). What this file tests is the paging, not the API
 * server's speed (bench/ measures that), and a cursor that can be asked again is part of the paging.
 */
function page(args: Record<string, unknown>, attempts = 4) {
  return askingAgainOnReadTimeout('list_clusters', () => client.callTool({ name: 'list_clusters', arguments: args }), (r) => (r.isError === true ? textOf(r) : ''), attempts);
}

async function walk(args: Record<string, unknown>) {
  const seen: string[] = [];
  const pageSizes: number[] = [];
  let cursor: string | undefined;
  do {
    const result = await page({ ...args, ...(cursor ? { cursor } : {}) });
    assert.equal(result.isError, undefined, textOf(result));
    const rows = result.structuredContent.clusters as { name: string }[];
    seen.push(...rows.map((r) => r.name));
    pageSizes.push(rows.length);
    cursor = result.structuredContent.next_cursor;
    if (cursor) assert.match(textOf(result), /more: call list_clusters with cursor=/);
  } while (cursor);
  return { seen, pageSizes };
}

describe('list_clusters pagination over 260 clusters', () => {
  it('returns each cluster exactly once with the default page size of 50', async () => {
    const { seen, pageSizes } = await walk({ namespace: ns.name });
    assert.equal(seen.length, total);
    assert.equal(new Set(seen).size, total);
    assert.deepEqual(pageSizes, [50, 50, 50, 50, 50, 10]);
  });

  it('returns each cluster exactly once at the maximum page size of 200', async () => {
    const { seen, pageSizes } = await walk({ namespace: ns.name, limit: 200 });
    assert.equal(new Set(seen).size, total);
    assert.deepEqual(pageSizes, [200, 60]);
  });

  it('pages a label-selected subset', async () => {
    const { seen } = await walk({ namespace: ns.name, label_selector: 'shard=1', limit: 37 });
    assert.equal(seen.length, total / 2);
    assert.ok(seen.every((n) => Number(n.slice(2)) % 2 === 1));
  });

  it('refuses a page size above 200', async () => {
    const result = await client.callTool({ name: 'list_clusters', arguments: { namespace: ns.name, limit: 1000 } });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /limit/);
  });

  it('refuses a cursor replayed with other arguments', async () => {
    const first = await page({ namespace: ns.name, limit: 10 });
    const cursor = first.structuredContent.next_cursor;
    const replayed = await client.callTool({ name: 'list_clusters', arguments: { namespace: ns.name, limit: 20, cursor } });
    assert.equal(replayed.isError, true);
    assert.match(textOf(replayed), /cursor belongs to a listing with other arguments/);
  });

  it('refuses a cursor it did not issue', async () => {
    const result = await client.callTool({ name: 'list_clusters', arguments: { namespace: ns.name, cursor: 'bm90LWEtY3Vyc29y' } });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /cursor is not one that list_clusters returned/);
  });

  it('keeps a cluster row compact', async () => {
    const result = await page({ namespace: ns.name, limit: 50 });
    const rows = textOf(result).split('\n').filter((l) => l.startsWith(`${ns.name}/`));
    assert.equal(rows.length, 50);
    // Token counts are measured by the benchmark; here the row must stay one short line.
    assert.ok(rows.every((r) => r.length <= 160), rows.find((r) => r.length > 160));
  });
});
