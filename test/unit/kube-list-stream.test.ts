/**
 * readListStream (shared/kube/list-stream.ts): a List answer read in pieces of any size gives the items
 * and metadata a whole-answer JSON.parse gives, whatever the strings hold and wherever the pieces break.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ListScanner, readListStream } from '../../shared/kube/list-stream.ts';
import { CapiMcpError, ErrorCode } from '../../shared/errors.ts';

/** The bytes of `text` in pieces of `size`, as a stream delivers them (multi-byte characters split too). */
async function* bytesOf(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const tricky = {
  apiVersion: 'cluster.x-k8s.io/v1beta2',
  items: [
    {
      apiVersion: 'cluster.x-k8s.io/v1beta2',
      kind: 'Cluster',
      metadata: {
        name: 'a',
        annotations: { quote: 'say "}],{"items":[', slash: 'C:\\dir\\', both: '\\"', unicode: 'π ☃ 𝄞 ünïcødé', control: 'tab\there\nnewline\u0000' },
        managedFields: [{ manager: 'm', fieldsV1: { 'f:status': { 'k:{"type":"Available"}': {} } } }],
      },
      spec: { topology: { variables: [{ name: 'items', value: { items: [[], {}, null, 1.5e3, true] } }] } },
      status: { conditions: [{ type: 'Available', status: 'False', message: '* A:\n  b' }] },
    },
    { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name: 'b' } },
    { metadata: { name: '' } },
  ],
  kind: 'ClusterList',
  metadata: { continue: 'eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ==', resourceVersion: '42', remainingItemCount: 7 },
};

describe('readListStream', () => {
  it('reads the items and metadata JSON.parse reads, for every piece size', async () => {
    const text = JSON.stringify(tricky);
    for (const size of [1, 2, 3, 5, 7, 64, text.length]) {
      const read = await readListStream(bytesOf(text, size), (item) => item);
      assert.deepEqual(read, { items: tricky.items, metadata: tricky.metadata }, `pieces of ${size} bytes`);
    }
  });

  /** Reads `list` in two pieces, cut at every point, each time expecting its items and metadata. */
  function readsAtEveryCut(list: { items: unknown[]; metadata: unknown }): void {
    const text = JSON.stringify(list);
    for (let cut = 0; cut <= text.length; cut++) {
      const scanner = new ListScanner((item) => item);
      scanner.push(text.slice(0, cut));
      scanner.push(text.slice(cut));
      assert.deepEqual(scanner.end(), { items: list.items, metadata: list.metadata }, `cut at ${cut}`);
    }
  }

  it('reads the same at every point where a second piece may start', () => {
    readsAtEveryCut(tricky);
  });

  it('hands each item to keep once, in order, and returns what keep returns', async () => {
    const seen: string[] = [];
    const read = await readListStream(bytesOf(JSON.stringify(tricky), 10), (item) => {
      const name = (item as { metadata: { name: string } }).metadata.name;
      seen.push(name);
      return name.length;
    });
    assert.deepEqual(seen, ['a', 'b', '']);
    assert.deepEqual(read.items, [1, 1, 0]);
  });

  it('reads the metadata wherever it stands, and top-level fields it does not use', async () => {
    const text = '{ "kind" : "List", "metadata" : {"continue":"x"}, "n": -1.5e-3, "t": true, "z": null, "o": {"items":[1]}, "a": [["items"]], "items" : [ {"k":1} , {"k":2} ] }';
    assert.deepEqual(await readListStream(bytesOf(text, 4), (i) => i), { items: [{ k: 1 }, { k: 2 }], metadata: { continue: 'x' } });
    assert.deepEqual(await readListStream(bytesOf('{"items":[]}', 3), (i) => i), { items: [], metadata: {} });
  });

  it('reads any JSON List of any objects exactly as JSON.parse, in pieces of any size', async () => {
    const list = fc.record({ apiVersion: fc.string(), items: fc.array(fc.dictionary(fc.string(), fc.jsonValue()), { maxLength: 6 }), kind: fc.string(), metadata: fc.dictionary(fc.string(), fc.jsonValue()) });
    await fc.assert(
      fc.asyncProperty(list, fc.integer({ min: 1, max: 40 }), fc.boolean(), async (value, size, spaced) => {
        const text = JSON.stringify(value, null, spaced ? 1 : undefined);
        const expected = JSON.parse(text);
        assert.deepEqual(await readListStream(bytesOf(text, size), (i) => i), { items: expected.items, metadata: expected.metadata });
      }),
      { numRuns: 500 },
    );
  });

  // Items of a custom resource List begin alike ({"apiVersion":…,"kind":…,"metadata":{); from the second on,
  // the reader guesses where each ends from where the next begins, and JSON.parse checks the guess.
  const cluster = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name }, ...extra });
  /** An object inside an item that begins as an item does, so the text that begins the next item is found inside it. */
  const lookalike = { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name: 'inside' }, spec: { paused: true } };
  const clusters = {
    apiVersion: 'cluster.x-k8s.io/v1beta2',
    items: [
      cluster('a'),
      cluster('b', { spec: { topology: { variables: [{ name: 'v', value: [{}, lookalike, lookalike] }] } } }),
      cluster('c', { metadata: { name: 'c', annotations: { text: '},{"apiVersion":"cluster.x-k8s.io/v1beta2","kind":"Cluster","metadata":{' } } }),
      cluster('d', { status: { conditions: [{ type: 'Available', status: 'True' }] } }),
      cluster('e'),
    ],
    kind: 'ClusterList',
    metadata: { continue: 'x', resourceVersion: '7' },
  };

  it('reads the items of a custom resource List as JSON.parse does, with objects inside that begin as items do', async () => {
    const text = JSON.stringify(clusters);
    for (const size of [1, 3, 16, 50, 200, text.length]) {
      assert.deepEqual(await readListStream(bytesOf(text, size), (item) => item), { items: clusters.items, metadata: clusters.metadata }, `pieces of ${size} bytes`);
    }
    readsAtEveryCut(clusters);
  });

  it('parses each item of a List that holds no lookalike once, and gives up guessing after one wrong guess', async () => {
    const plain = { ...clusters, items: Array.from({ length: 50 }, (_, i) => cluster(`c${i}`, { spec: { paused: i % 2 === 0 } })) };
    // The second item holds many objects that begin as items do: each would be a wrong guess.
    const hostile = { ...plain, items: [plain.items[0], cluster('h', { spec: { topology: { variables: [{ name: 'v', value: Array(200).fill(lookalike) }] } } }), ...plain.items.slice(1)] };
    for (const [list, itemParses] of [[plain, 50], [hostile, 51 + 1]] as const) {
      const parse = JSON.parse;
      let objectParses = 0;
      JSON.parse = ((text: string, reviver?: never) => {
        if (text.startsWith('{')) objectParses++;
        return parse(text, reviver);
      }) as typeof JSON.parse;
      try {
        const read = await readListStream(bytesOf(JSON.stringify(list), 4096), (item) => item);
        assert.deepEqual(read.items, list.items);
      } finally {
        JSON.parse = parse;
      }
      // One parse per item and one for the List's metadata; the hostile List adds its one wrong guess.
      assert.equal(objectParses, itemParses + 1, `${list.items.length} items`);
    }
  });

  it('reads items that do not begin as the first one did as they arrive, holding no more than one of them', () => {
    // Nothing ever matches what the first item began with, so no guess is ever settled by a next item.
    const text = JSON.stringify({ items: [cluster('a'), ...Array.from({ length: 2000 }, (_, i) => ({ ...cluster(`b${i}`), kind: 'Other' }))] });
    let kept = 0;
    const scanner = new ListScanner((item) => ++kept && item);
    const pieces = text.match(/[\s\S]{1,1024}/g)!;
    for (const piece of pieces.slice(0, -1)) scanner.push(piece);
    assert.ok(kept >= 1990, `${kept} of 2001 items read before the last piece`);
    assert.ok((scanner as unknown as { text: string }).text.length < 70 * 1024, 'the text held is one item and a guess, not the answer');
    scanner.push(pieces.at(-1)!);
    assert.equal(scanner.end().items.length, 2001);
  });

  it('reads any List of objects that begin as items do exactly as JSON.parse, in pieces of any size', async () => {
    const start = fc.record({ apiVersion: fc.constantFrom('v1', 'a/b'), kind: fc.constantFrom('K', 'Cluster'), metadata: fc.dictionary(fc.string(), fc.jsonValue()) });
    const item = fc.tuple(start, fc.dictionary(fc.string(), fc.oneof(fc.jsonValue(), start, fc.array(start, { maxLength: 3 })))).map(([head, rest]) => ({ ...rest, ...head }));
    const list = fc.record({ apiVersion: fc.string(), items: fc.array(item, { maxLength: 8 }), kind: fc.string(), metadata: fc.dictionary(fc.string(), fc.jsonValue()) });
    await fc.assert(
      fc.asyncProperty(list, fc.integer({ min: 1, max: 200 }), async (value, size) => {
        const text = JSON.stringify(value);
        const expected = JSON.parse(text);
        assert.deepEqual(await readListStream(bytesOf(text, size), (i) => i), { items: expected.items, metadata: expected.metadata });
      }),
      { numRuns: 500 },
    );
  });

  const malformed: [string, string][] = [
    ['an empty answer', ''],
    ['an array', '[{"items":[]}]'],
    ['a string', '"items"'],
    ['an answer cut off inside an item', '{"items":[{"metadata":{"name":"a"'],
    ['an answer cut off inside a string', '{"items":[],"kind":"Li'],
    ['an item that is not an object', '{"items":[{"a":1},2]}'],
    ['an item that is a string', '{"items":["x"]}'],
    ['text after the list', '{"items":[]} {}'],
    ['a closing bracket too many', '{"items":[]}}'],
    ['an answer cut off in the second item', '{"items":[{"apiVersion":"v","kind":"K","metadata":{}},{"apiVersion":"v","kind":"K","metadata":{"name":"b"'],
    ['an answer cut off after an item it guessed', '{"items":[{"apiVersion":"v","kind":"K","metadata":{}},{"apiVersion":"v","kind":"K","metadata":{}},{"apiVersion":"v","kind":"K","metadata":{}}'],
  ];
  for (const [name, text] of malformed) {
    it(`fails with Upstream on ${name}`, async () => {
      await assert.rejects(readListStream(bytesOf(text, 3), (i) => i), (error: unknown) => error instanceof CapiMcpError && error.code === ErrorCode.Upstream);
    });
  }

  it('fails as JSON.parse does on an item that is not JSON', async () => {
    await assert.rejects(readListStream(bytesOf('{"items":[{"a":tru}]}', 3), (i) => i), SyntaxError);
    const second = '{"items":[{"apiVersion":"v","kind":"K","metadata":{}},{"apiVersion":"v","kind":"K","metadata":{},"a":tru},{"apiVersion":"v","kind":"K","metadata":{}}]}';
    await assert.rejects(readListStream(bytesOf(second, 3), (i) => i), SyntaxError);
  });
});
