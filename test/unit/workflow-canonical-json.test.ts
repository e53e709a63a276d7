/** canonicalJson: the one serialization that identifies operations, whatever order their keys were built in. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson } from '../../shared/workflows/canonical-json.ts';

describe('canonicalJson', () => {
  const cases: [string, unknown, unknown][] = [
    ['sorts the keys of an object', { b: 1, a: 2 }, { a: 2, b: 1 }],
    ['sorts the keys of nested objects', { x: { d: 1, c: { f: 1, e: 2 } } }, { x: { c: { e: 2, f: 1 }, d: 1 } }],
    ['sorts the keys of objects inside arrays', [{ b: 1, a: 2 }], [{ a: 2, b: 1 }]],
    ['sorts keys that look like numbers the same way', { '10': 1, b: 2, '2': 3 }, { b: 2, '2': 3, '10': 1 }],
    ['leaves out undefined fields, as JSON does', { a: 1, b: undefined }, { a: 1 }],
  ];
  for (const [what, value, reordered] of cases) {
    it(what, () => assert.equal(canonicalJson(value), canonicalJson(reordered)));
  }

  it('keeps the order of arrays', () => {
    assert.notEqual(canonicalJson([1, 2]), canonicalJson([2, 1]));
  });

  it('writes sorted keys without whitespace', () => {
    assert.equal(canonicalJson({ b: [true, null, 'x'], a: { d: 1.5, c: -1 } }), '{"a":{"c":-1,"d":1.5},"b":[true,null,"x"]}');
  });

  it('keeps a "__proto__" key that came from parsed JSON', () => {
    assert.equal(canonicalJson(JSON.parse('{"b":1,"__proto__":{"x":1}}')), '{"__proto__":{"x":1},"b":1}');
  });

  it('tells apart strings that would collide if joined', () => {
    assert.notEqual(canonicalJson(['team-a', 'x-y']), canonicalJson(['team', 'a-x-y']));
  });
});
