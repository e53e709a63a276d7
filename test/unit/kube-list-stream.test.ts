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

  it('reads the same at every point where a second piece may start', () => {
    const text = JSON.stringify(tricky);
    for (let cut = 0; cut <= text.length; cut++) {
      const scanner = new ListScanner((item) => item);
      scanner.push(text.slice(0, cut));
      scanner.push(text.slice(cut));
      assert.deepEqual(scanner.end(), { items: tricky.items, metadata: tricky.metadata }, `cut at ${cut}`);
    }
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
  ];
  for (const [name, text] of malformed) {
    it(`fails with Upstream on ${name}`, async () => {
      await assert.rejects(readListStream(bytesOf(text, 3), (i) => i), (error: unknown) => error instanceof CapiMcpError && error.code === ErrorCode.Upstream);
    });
  }

  it('fails as JSON.parse does on an item that is not JSON', async () => {
    await assert.rejects(readListStream(bytesOf('{"items":[{"a":tru}]}', 3), (i) => i), SyntaxError);
  });
});
