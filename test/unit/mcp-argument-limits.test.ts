/** argumentBoundsProblem: the bounds every tool call's arguments are held to before a handler runs, table-driven. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { argumentBoundsProblem, maxArgumentBytes, maxArgumentDepth } from '../../shared/mcp/argument-limits.ts';

/** `leaf` wrapped in `levels` arrays. */
const nested = (levels: number, leaf: unknown = 'bottom'): unknown => Array.from({ length: levels }).reduce<unknown>((inner) => [inner], leaf);

describe('argumentBoundsProblem', () => {
  const table: [string, unknown, string | undefined][] = [
    ['accepts ordinary arguments', { namespace: 'default', name: 'web', workers: [{ class: 'md', name: 'a', replicas: 2 }], variables: { region: 'eu-west-1', list: [1, true, null] } }, undefined],
    ['accepts a string of exactly the bound', { variables: { ca: 'a'.repeat(maxArgumentBytes) } }, undefined],
    ['names a string one byte over, by its path', { variables: { ca: 'a'.repeat(maxArgumentBytes + 1) } }, `argument variables.ca is ${maxArgumentBytes + 1} bytes; at most 65536`],
    ['counts bytes, not characters', { variables: { emoji: '🙂'.repeat(maxArgumentBytes / 4 + 1) } }, `argument variables.emoji is ${maxArgumentBytes + 4} bytes; at most 65536`],
    ['names array positions', { workers: [{ name: 'a' }, { name: 'b'.repeat(70_000) }] }, 'argument workers[1].name is 70000 bytes; at most 65536'],
    ['names a top-level argument', { kubernetes_version: 'v'.repeat(70_000) }, 'argument kubernetes_version is 70000 bytes; at most 65536'],
    ['refuses an over-long key, naming where it is', { variables: { free: { ['k'.repeat(70_000)]: 1 } } }, 'argument variables.free has a key of 70000 bytes; at most 65536'],
    ['cuts long keys in a path to 40 characters', { variables: { ['n'.repeat(100)]: 'x'.repeat(70_000) } }, `argument variables.${'n'.repeat(40)}… is 70000 bytes; at most 65536`],
    ['accepts nesting down to the bound', { variables: { deep: nested(maxArgumentDepth - 2) } }, undefined],
    ['refuses nesting past the bound, naming the argument and its entry', { variables: { deep: nested(maxArgumentDepth) } }, 'argument variables.deep nests deeper than 32 levels'],
    ['refuses nesting far too deep for a recursive reader, without recursing itself', { variables: { deep: nested(200_000) } }, 'argument variables.deep nests deeper than 32 levels'],
    ['accepts no arguments at all', undefined, undefined],
  ];
  for (const [name, args, expected] of table) it(name, () => assert.equal(argumentBoundsProblem(args), expected));
});
