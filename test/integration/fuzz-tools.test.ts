/**
 * Hostile input against every tool, over HTTP, with fast-check: ≥1,000 generated calls per tool (11,000+
 * in all) mixing plausible values with wrong types, huge and empty strings, path traversal, label-selector
 * and newline injection, control characters, unicode and unknown fields — in a namespace that holds the
 * in-memory ClusterClass, so create_cluster calls get past the class lookup to the variables, worker
 * pools, labels and the server-side dry run, and some are accepted.
 *
 * The oracle, for every call while the sandbox answers: an HTTP 200 with a result, a schema refusal
 * (-32602 / input validation) or a refusal with one of the codes a caller can cause (InvalidInput,
 * NotFound, Forbidden, Conflict). An Upstream, Timeout or Internal outcome (a foreign exception: a bug),
 * where a read's Timeout counts once the same call timed out three times, any other protocol error, a stack trace, or an audit record with reason Internal is a failure, printed
 * with the input and fast-check's seed and path. CAPI_MCP_FUZZ_SEED (and CAPI_MCP_FUZZ_PATH) replay a run.
 *
 * Afterwards: the operations the accepted calls started are cancelled and the Clusters they created are
 * deleted; every object that existed in the namespace before (the fixture cluster, the ClusterClass and its
 * templates) has its original resourceVersion and no deletionTimestamp, and no Cluster this file could
 * have created exists anywhere.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { PatchStrategy } from '@kubernetes/client-node';
import { tools } from '../../shared/mcp/registry.ts';
import { authHeaders, testAuthPaths } from '../support/auth.ts';
import { inMemoryCreateArgs, reportedCluster, stuckCluster } from '../support/clusters.ts';
import { askingAgainOnReadTimeout, modernRpc, startTestServer, textOf } from '../support/mcp.ts';
import { useNamespace } from '../support/sandbox.ts';
import { eventually } from '../support/wait.ts';

const runsPerTool = 1000;
const seed = process.env.CAPI_MCP_FUZZ_SEED ? Number(process.env.CAPI_MCP_FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const path = process.env.CAPI_MCP_FUZZ_PATH;
const ns = await useNamespace('fuzz', { withClusterClass: true });
const url = await startTestServer();
const className = 'in-memory';

const callTool = (name: string, args: unknown) => modernRpc(url, authHeaders().authorization, 'tools/call', { name, arguments: args }, name);

/**
 * `callTool`, asked again (3 attempts) while the answer is a read's Timeout: generated calls list the whole
 * sandbox (no namespace, up to 300 a page), which on a loaded machine can outlast the client's deadline while
 * a GET still answers; the API server's moment, not a bug of the tool. Three Timeouts still fail.
 */
const callToolPatiently = (name: string, args: unknown): ReturnType<typeof callTool> =>
  askingAgainOnReadTimeout(name, () => callTool(name, args), (answer) => (answer.body.result?.isError ? textOf(answer.body.result) : ''), 3);

/** Objects this file must leave exactly as they were: the fixture and the class with its templates. */
const watchedKinds = [
  ['cluster.x-k8s.io/v1beta2', 'Cluster'],
  ['cluster.x-k8s.io/v1beta2', 'ClusterClass'],
  ['infrastructure.cluster.x-k8s.io/v1beta2', 'DevClusterTemplate'],
  ['infrastructure.cluster.x-k8s.io/v1beta2', 'DevMachineTemplate'],
  ['controlplane.cluster.x-k8s.io/v1beta2', 'KubeadmControlPlaneTemplate'],
  ['bootstrap.cluster.x-k8s.io/v1beta2', 'KubeadmConfigTemplate'],
] as const;

async function snapshot(): Promise<Map<string, string>> {
  const objects = new Map<string, string>();
  for (const [apiVersion, kind] of watchedKinds) {
    for (const o of (await ns.objects.list(apiVersion, kind, ns.name)).items) {
      objects.set(`${kind}/${o.metadata?.name}`, `rv=${o.metadata?.resourceVersion}${o.metadata?.deletionTimestamp ? ' deleting' : ''}`);
    }
  }
  return objects;
}

/** The snapshot once the controllers stopped writing (class status, owner references, fixture conditions). */
async function settledSnapshot(): Promise<Map<string, string>> {
  let last = await snapshot();
  return eventually('the fuzz namespace settled', async () => {
    await sleep(3000);
    const now = await snapshot();
    const done = JSON.stringify([...now]) === JSON.stringify([...last]);
    last = now;
    return { done, value: now, seen: JSON.stringify([...now]) };
  }, { timeoutMs: 120_000, intervalMs: 0 });
}

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

// Variable names come from the class itself (the in-memory class defines none today) plus names it does not define.
const clusterClass = (await ns.objects.read({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'ClusterClass', metadata: { name: className, namespace: ns.name } })) as {
  spec?: { variables?: { name: string }[] };
};
const variableNames = [...(clusterClass.spec?.variables ?? []).map((v) => v.name), 'workerCount', 'imageRepository', 'x'.repeat(254)];

const workerPool = fc.record({
  class: fc.oneof({ weight: 4, arbitrary: fc.constant('default-worker') }, { weight: 1, arbitrary: fc.constantFrom('bogus-worker', 'Default-Worker') }),
  name: fc.constantFrom('md-0', 'md-1', 'x'.repeat(63)),
  replicas: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 2 }) }, { weight: 1, arbitrary: fc.constantFrom(-1, 100, 101) }),
});

/**
 * Values that pass the schemas, so generated calls also reach the handlers and the API server; mostly
 * valid ones, since fast-check's integers lean to small numbers and edges.
 */
const plausible: Record<string, fc.Arbitrary<unknown>> = {
  namespace: fc.constantFrom(ns.name, ns.name, 'kube-system', 'no-such-namespace'),
  // fuzz-new is what accepted creates create: scale, upgrade and delete then find a topology cluster.
  name: fc.constantFrom('fuzz-target', 'fuzz-new', 'no-such-cluster', 'a'),
  confirm: fc.constantFrom('fuzz-target', 'fuzz-new', 'nope'),
  // rollout_cluster and remediate_machine: the control plane, a pool accepted creates make, and what does not exist.
  target: fc.constantFrom('control_plane', 'md-0', 'md-9'),
  machine: fc.constantFrom('no-such-machine', 'fuzz-target'),
  cluster_class: fc.constantFrom(className, className, className, 'no-such-class'),
  // Shaped right but not all valid: a leading zero and a number past uint64 are not semantic versions.
  kubernetes_version: fc.constantFrom('v1.35.0', 'v1.36.0', 'v1.30.0', 'v1.35.00', 'v99999999999999999999.0.0'),
  control_plane_replicas: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(1, 3) }, { weight: 1, arbitrary: fc.integer({ min: -3, max: 9 }) }),
  timeout_seconds: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(60, 600, 1800) }, { weight: 1, arbitrary: fc.integer({ min: -5, max: 8000 }) }),
  management_cluster: fc.constantFrom('sandbox', 'sandbox', 'no-such-management-cluster'),
  // Mostly unique pool names; sometimes a duplicate, which the schema refuses.
  workers: fc.oneof({ weight: 4, arbitrary: fc.uniqueArray(workerPool, { selector: (w) => w.name, maxLength: 3 }) }, { weight: 1, arbitrary: fc.array(workerPool, { maxLength: 3 }) }),
  worker_pools: fc.array(fc.record({ name: fc.constantFrom('md-0', 'md-9'), replicas: fc.integer({ min: -1, max: 101 }) }), { maxLength: 2 }),
  variables: fc.oneof(
    { weight: 3, arbitrary: fc.constant({}) },
    { weight: 1, arbitrary: fc.dictionary(fc.constantFrom(...variableNames), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 }) },
  ),
  // Reserved prefixes (refused by capi-mcp), keys and values the API server refuses, and fine ones.
  labels: fc.dictionary(
    fc.constantFrom('team.example.com/owner', 'app', 'capi-mcp.io/prevent-deletion', 'cluster.x-k8s.io/cluster-name', 'cni', 'app.kubernetes.io/instance', 'bad key', 'a/b/c', 'UPPER.example.com/x'),
    fc.constantFrom('web', '', 'has space', '-x', 'a'.repeat(63)),
    { maxKeys: 2 },
  ),
  limit: fc.integer({ min: -1, max: 300 }),
  operation_id: fc.constantFrom('create-x-0123456789', 'nope'),
  label_selector: fc.constantFrom('app=web', 'capi-mcp.io/test=true', 'x in (a)'),
};

const mostly = <T>(usual: T, ...others: T[]) => fc.oneof({ weight: 6, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: fc.constantFrom(...others) });

/**
 * Per tool. create_cluster: mostly the right namespace, class and management cluster; names are the
 * fixture (Conflict) or one of a few fresh ones; and versions and labels are more often ones only the API
 * server refuses than valid ones, so each fresh name reaches the dry run a few times before a call with
 * it is accepted, and accepted calls create few Clusters.
 */
const plausibleFor: Record<string, Record<string, fc.Arbitrary<unknown>>> = {
  create_cluster: {
    namespace: mostly(ns.name, 'kube-system', 'no-such-namespace'),
    name: fc.constantFrom('fuzz-target', 'fuzz-new', 'fuzz-new-1', 'fuzz-new-2', 'fuzz-new-3'),
    cluster_class: mostly(className, 'no-such-class'),
    management_cluster: mostly('sandbox', 'no-such-management-cluster'),
    kubernetes_version: fc.constantFrom('v1.35.0', 'v1.35.00', 'v99999999999999999999.0.0'),
    variables: fc.oneof({ weight: 6, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: fc.dictionary(fc.constantFrom(...variableNames), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 }) }),
    labels: fc.oneof(
      { weight: 1, arbitrary: fc.constantFrom({}, { 'team.example.com/owner': 'web' }) },
      { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('capi-mcp.io/prevent-deletion', 'cluster.x-k8s.io/cluster-name', 'cni'), fc.constant('x'), { minKeys: 1, maxKeys: 1 }) },
      { weight: 6, arbitrary: fc.constantFrom({ 'bad key': 'x' }, { 'a/b/c': 'x' }, { 'UPPER.example.com/x': 'x' }, { app: 'has space' }, { app: '-x' }) },
    ),
  },
};

const createExamples: [unknown][] = [
  [inMemoryCreateArgs(ns.name, 'fuzz-new-1', { labels: { app: 'has space' } })],
  [inMemoryCreateArgs(ns.name, 'fuzz-new-2', { labels: { 'team.example.com/owner': 'web' } })],
];

function argumentsFor(tool: (typeof tools)[number]): fc.Arbitrary<unknown> {
  const shape = tool.inputSchema.shape as Record<string, { safeParse(v: unknown): { success: boolean } }>;
  const keys = Object.keys(shape);
  const values = { ...plausible, ...plausibleFor[tool.name] };
  // create_cluster needs every field right to get to the dry run, so its plausible values weigh more.
  const weight = tool.name === 'create_cluster' ? 40 : 3;
  const field = (key: string) => fc.oneof({ weight, arbitrary: values[key] ?? hostile }, { weight: 1, arbitrary: hostile }, { weight: 1, arbitrary: wrongType });
  const fields = Object.fromEntries(keys.map((k) => [k, field(k)]));
  const object = fc.record(fields, { requiredKeys: [] });
  // Most calls carry every field the schema requires, so they get past the schema to the handler (and
  // create_cluster calls carry labels, mostly ones only the API server refuses: see plausibleFor).
  const required = keys.filter((k) => !shape[k]!.safeParse(undefined).success || (tool.name === 'create_cluster' && k === 'labels'));
  const complete = fc.record(fields, { requiredKeys: required });
  return fc.oneof(
    { weight: tool.name === 'create_cluster' ? 16 : 6, arbitrary: complete },
    { weight: 2, arbitrary: object },
    { weight: 1, arbitrary: fc.tuple(object, fc.dictionary(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 })).map(([a, b]) => ({ ...b, ...a })) },
    { weight: 1, arbitrary: wrongType },
  );
}

type Stage = 'schema refusal' | 'domain refusal' | 'dry-run refusal' | 'accepted';

const schemaRefusal = /^(InvalidInput: invalid arguments for |MCP error -32602)/;
const callerCaused = /^(InvalidInput|NotFound|Forbidden|Conflict): \S/;
const dryRunRefusal = /the API server rejected cluster /;

/** Audit records of `tool` with reason Internal written to the capture file since `offset`. */
function internalAudits(tool: string, offset: number): string[] {
  if (!existsSync(testAuthPaths.captureLog)) return [];
  const fd = openSync(testAuthPaths.captureLog, 'r');
  try {
    const size = statSync(testAuthPaths.captureLog).size;
    const buffer = Buffer.alloc(size - offset);
    readSync(fd, buffer, 0, buffer.length, offset);
    return buffer
      .toString('utf8')
      .split('\n')
      .filter((line) => line.includes('"audit":true') && line.includes('"reason":"Internal"') && line.includes(`"tool":"${tool}"`))
      .map((line) => line.slice(0, 1000));
  } finally {
    closeSync(fd);
  }
}

/** True while the sandbox's API server answers: only then is an Upstream or Timeout the server's fault. */
async function sandboxAnswers(): Promise<boolean> {
  return ns.core.readNamespace({ name: ns.name }).then(() => true, () => false);
}

let calls = 0;
const createAttempts = new Set<string>();
let before_: Map<string, string>;

before(async () => {
  const target = stuckCluster(ns.name, 'fuzz-target', { 'capi-mcp.io/prevent-deletion': 'true' });
  // Note: spec.paused set by this test's own field manager: pause_cluster then answers Conflict (capi-mcp never
  // takes a field from another manager), so the fixture this file must leave untouched is never paused.
  target.spec.paused = false;
  await ns.objects.create(target);
  // Note: two reads 3 s apart agree as well before the controllers' first writes as after their last: on a
  // loaded machine those can come later than 3 s (seen for the same fixture in mcp-day2-attacks.test.ts), so
  // the snapshot is taken once capi-manager has taken the fixture on and reported it, and the ClusterClass
  // controller has reconciled the class (which writes its templates' owner references).
  await reportedCluster(ns, 'fuzz-target', 120_000);
  await eventually('the ClusterClass controller to reconcile the class', async () => {
    const clusterClass = (await ns.objects.read({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'ClusterClass', metadata: { name: className, namespace: ns.name } })) as { metadata?: { generation?: number }; status?: { observedGeneration?: number } };
    const observed = clusterClass.status?.observedGeneration;
    return { done: observed !== undefined && observed === clusterClass.metadata?.generation, value: undefined, seen: `observedGeneration ${observed}` };
  }, { timeoutMs: 120_000, intervalMs: 500 });
  before_ = await settledSnapshot();
});

describe('every tool under hostile input', () => {
  for (const tool of tools) {
    it(`${tool.name}: ${runsPerTool} generated calls, each a result or a refusal the caller caused, never a bug`, async (t) => {
      t.diagnostic(`seed ${seed}${path ? ` path ${path}` : ''} (CAPI_MCP_FUZZ_SEED=${seed} replays it)`);
      const stages = new Map<Stage, number>();
      const examples = new Map<Stage, string>();
      // Note: the run's capture log appears with the first record written to it.
      const auditOffset = existsSync(testAuthPaths.captureLog) ? statSync(testAuthPaths.captureLog).size : 0;
      await fc.assert(
        fc.asyncProperty(argumentsFor(tool), async (args) => {
          calls++;
          const named = args as { namespace?: unknown; name?: unknown } | null;
          if (tool.name === 'create_cluster' && typeof named?.namespace === 'string' && typeof named.name === 'string') createAttempts.add(`${named.namespace}/${named.name}`);
          const { status, body } = await callToolPatiently(tool.name, args);
          assert.equal(status, 200, JSON.stringify(body).slice(0, 500));
          let stage: Stage;
          if (body.error) {
            assert.equal(body.error.code, -32602, `protocol error other than input validation: ${JSON.stringify(body.error).slice(0, 500)}`);
            stage = 'schema refusal';
          } else {
            const text: string = body.result.content?.[0]?.text ?? '';
            assert.doesNotMatch(text, /\n\s+at .+:\d+:\d+/, 'no stack trace');
            if (!body.result.isError) stage = 'accepted';
            else if (schemaRefusal.test(text)) stage = 'schema refusal';
            else if (callerCaused.test(text)) stage = dryRunRefusal.test(text) ? 'dry-run refusal' : 'domain refusal';
            else if (!(await sandboxAnswers())) return; // the sandbox itself is down: not this call's fault
            else assert.fail(`not a refusal the caller caused (Upstream, Timeout and Internal are bugs while the sandbox answers): ${text.slice(0, 500)}`);
          }
          stages.set(stage, (stages.get(stage) ?? 0) + 1);
          if (!examples.has(stage)) examples.set(stage, JSON.stringify(body.error?.message ?? body.result.content?.[0]?.text ?? '').slice(0, 300));
        }),
        // Note: two fixed create calls run first, so the dry-run and accepted stages are reached on every seed
        // (generated calls reach them a handful of times a run, by chance): a label value only the API server
        // refuses, and an ordinary create.
        { numRuns: runsPerTool, seed, ...(path ? { path } : {}), endOnFailure: true, ...(tool.name === 'create_cluster' ? { examples: createExamples } : {}) },
      );
      t.diagnostic(`${tool.name} calls by stage: ${JSON.stringify(Object.fromEntries(stages))}`);
      for (const [stage, text] of examples) t.diagnostic(`  first ${stage}: ${text}`);
      assert.deepEqual(internalAudits(tool.name, auditOffset), [], 'no audit record with reason Internal');
      if (tool.name === 'create_cluster') {
        for (const stage of ['schema refusal', 'domain refusal', 'dry-run refusal', 'accepted'] as const) {
          assert.ok((stages.get(stage) ?? 0) > 0, `some create_cluster call reached "${stage}": ${JSON.stringify(Object.fromEntries(stages))}`);
        }
      }
    });
  }

  it('left nothing behind: operations stopped, created Clusters removed, everything else untouched', async (t) => {
    assert.ok(calls >= runsPerTool * tools.length, `${calls} calls made`);
    const running = (await callTool('list_operations', { status: 'RUNNING', limit: 100 })).body.result.structuredContent.operations as { operation_id: string }[];
    for (const op of running) {
      const { body } = await callTool('cancel_operation', { operation_id: op.operation_id });
      assert.ok(!body.error && !body.result.isError, JSON.stringify(body).slice(0, 500));
    }
    t.diagnostic(`${running.length} operations cancelled`);
    const created = (await ns.objects.list('cluster.x-k8s.io/v1beta2', 'Cluster', ns.name)).items.filter((c) => !before_.has(`Cluster/${c.metadata?.name}`));
    t.diagnostic(`${created.length} Clusters created by accepted calls, deleted: ${created.map((c) => c.metadata?.name).join(', ')}`);
    // A Cluster pause_cluster paused would never finish deleting: its controllers skip it.
    await Promise.all(created.map((c) => ns.objects.patch({ apiVersion: c.apiVersion, kind: c.kind, metadata: { name: c.metadata!.name, namespace: ns.name }, spec: { paused: false } } as never, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch)));
    await Promise.all(created.map((c) => ns.objects.delete(c)));
    await eventually('the Clusters the fuzz created are gone', async () => {
      const left = (await ns.objects.list('cluster.x-k8s.io/v1beta2', 'Cluster')).items
        .map((c) => `${c.metadata?.namespace}/${c.metadata?.name}`)
        .filter((c) => createAttempts.has(c) && !(c.startsWith(`${ns.name}/`) && before_.has(`Cluster/${c.slice(ns.name.length + 1)}`)));
      return { done: left.length === 0, value: undefined, seen: left.join(', ') };
    });
    assert.deepEqual((await callTool('list_operations', { status: 'RUNNING', limit: 100 })).body.result.structuredContent.operations, [], 'no operation still running');
    assert.deepEqual(await snapshot(), before_, 'every object that was there before: same resourceVersion, not deleting; no other Cluster');
    assert.equal((await fetch(new URL('/healthz', url))).status, 200);
  });
});
