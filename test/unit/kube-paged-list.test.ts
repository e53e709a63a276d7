/**
 * listPage (shared/kube/paged-list.ts) against a fake API server with the real one's limit/continue
 * semantics: a limited listing reads only its namespaces, in the order given, a page spans them, and
 * where a page stops is exactly where the next one starts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeClient, KubeObject, ListOptions } from '../../shared/kube/client.ts';
import { Kinds } from '../../shared/kube/kinds.ts';
import { listPage, type PagePosition } from '../../shared/kube/paged-list.ts';

const cluster = (namespace: string, name: string): KubeObject => ({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { namespace, name } });

/** Sorted by namespace/name as etcd keys are; a continue token is the next index, opaque to the code under test. */
function fakeKube(objects: KubeObject[]) {
  const sorted = [...objects].sort((x, y) => `${x.metadata.namespace}/${x.metadata.name}`.localeCompare(`${y.metadata.namespace}/${y.metadata.name}`));
  const calls: ListOptions[] = [];
  const kube = {
    async list(_ref, options = {}) {
      calls.push(options);
      const inScope = sorted.filter((o) => !options.namespace || o.metadata.namespace === options.namespace);
      const start = options.continueToken ? Number(options.continueToken) : 0;
      const end = options.limit ? start + options.limit : inScope.length;
      const items = inScope.slice(start, end);
      return { items, ...(end < inScope.length ? { continueToken: String(end) } : {}) };
    },
  } as Partial<KubeClient> as KubeClient;
  return { kube, calls };
}

const world = [
  cluster('a', 'a1'),
  cluster('a', 'a2'),
  cluster('a', 'a3'),
  cluster('b', 'b1'),
  cluster('b', 'b2'),
  cluster('hidden', 'h1'),
  cluster('hidden', 'h2'),
  cluster('z', 'z1'),
];
const names = (items: KubeObject[]) => items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);

async function walkAll(namespaces: readonly string[] | undefined, limit: number) {
  const { kube, calls } = fakeKube(world);
  const pages: { items: string[]; next?: PagePosition }[] = [];
  let from: PagePosition | undefined;
  do {
    const page = await listPage(kube, Kinds.Cluster, { ...(namespaces ? { namespaces } : {}), limit, ...(from ? { from } : {}) });
    pages.push({ items: names(page.items), ...(page.next ? { next: page.next } : {}) });
    from = page.next;
  } while (from && pages.length < 20);
  return { pages, calls };
}

describe('listPage', () => {
  const cases: [string, readonly string[] | undefined, number, string[][]][] = [
    ['an unlimited listing pages cluster-wide', undefined, 3, [['a/a1', 'a/a2', 'a/a3'], ['b/b1', 'b/b2', 'hidden/h1'], ['hidden/h2', 'z/z1']]],
    ['pages of one walk the namespaces one object at a time', ['a', 'b'], 1, [['a/a1'], ['a/a2'], ['a/a3'], ['b/b1'], ['b/b2']]],
    ['a page spans from one namespace into the next', ['a', 'b'], 2, [['a/a1', 'a/a2'], ['a/a3', 'b/b1'], ['b/b2']]],
    ['a page that ends with a namespace starts the next page at the following one', ['a', 'b'], 3, [['a/a1', 'a/a2', 'a/a3'], ['b/b1', 'b/b2']]],
    ['one page holds everything the limit allows', ['a', 'b'], 50, [['a/a1', 'a/a2', 'a/a3', 'b/b1', 'b/b2']]],
    ['namespaces are walked in the order given', ['z', 'a'], 2, [['z/z1', 'a/a1'], ['a/a2', 'a/a3']]],
    ['an empty namespace is passed over', ['a', 'empty', 'b'], 4, [['a/a1', 'a/a2', 'a/a3', 'b/b1'], ['b/b2']]],
    ['no namespaces list nothing', [], 5, [[]]],
  ];
  for (const [what, namespaces, limit, expected] of cases) {
    it(what, async () => {
      const { pages, calls } = await walkAll(namespaces, limit);
      assert.deepEqual(pages.map((p) => p.items), expected);
      if (namespaces) assert.ok(calls.every((c) => c.namespace !== undefined && namespaces.includes(c.namespace)), 'only the given namespaces are read');
      else assert.ok(calls.every((c) => c.namespace === undefined));
      assert.ok(calls.every((c) => c.limit !== undefined && c.limit <= limit), 'no LIST asks for more than the page has room for');
    });
  }

  it('says where the next page starts: the namespace reached and its continue token', async () => {
    const { pages } = await walkAll(['a', 'b'], 2);
    assert.deepEqual(pages.map((p) => p.next), [{ namespace: 'a', continueToken: '2' }, { namespace: 'b', continueToken: '1' }, undefined]);
  });

  it('refuses to start in a namespace the listing does not walk', async () => {
    const { kube, calls } = fakeKube(world);
    await assert.rejects(listPage(kube, Kinds.Cluster, { namespaces: ['a', 'b'], limit: 2, from: { namespace: 'hidden' } }), /not one of the namespaces/);
    assert.equal(calls.length, 0);
  });

  it('passes the label selector to every LIST', async () => {
    const { kube, calls } = fakeKube(world);
    await listPage(kube, Kinds.Cluster, { namespaces: ['a', 'b'], labelSelector: 'team=x', limit: 5 });
    assert.ok(calls.length === 2 && calls.every((c) => c.labelSelector === 'team=x'));
  });

  it('passes what to keep of each object to every LIST, cluster-wide or namespace by namespace', async () => {
    const keep = (item: KubeObject) => item;
    for (const namespaces of [undefined, ['a', 'b']]) {
      const { kube, calls } = fakeKube(world);
      await listPage(kube, Kinds.Cluster, { ...(namespaces ? { namespaces } : {}), limit: 4, keep });
      assert.ok(calls.length > 0 && calls.every((c) => c.keep === keep));
    }
  });
});
