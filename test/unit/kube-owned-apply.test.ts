/**
 * applyOwned: server-side apply that never takes another field manager's fields, and takes capi-mcp's own
 * only at the resourceVersion whose conflicts it judged. The API server is a scripted fake here (its
 * answers shaped as client-node's exceptions); test/integration/mcp-ownership.test.ts runs the real one.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CapiMcpError, ErrorCode } from '../../shared/errors.ts';
import type { KubeClient, KubeObject } from '../../shared/kube/client.ts';
import { applyOwned, describeConflicts, fieldConflictsOf } from '../../shared/kube/owned-apply.ts';

const own = ['capi-mcp-create', 'capi-mcp-scale', 'capi-mcp-upgrade', 'capi-mcp-delete'];

/** A client-node ApiException for a Status, wrapped as client.ts wraps it. */
const apiError = (code: number, body: object) => new CapiMcpError(code === 409 ? ErrorCode.Conflict : ErrorCode.Upstream, `failed to apply: HTTP ${code}`, { cause: { code, body: JSON.stringify(body) } });
const fieldConflict = (...conflicts: [manager: string, field: string][]) =>
  apiError(409, {
    kind: 'Status',
    code: 409,
    reason: 'Conflict',
    message: `Apply failed with ${conflicts.length} conflicts`,
    details: { causes: conflicts.map(([m, field]) => ({ reason: 'FieldManagerConflict', message: `conflict with "${m}" using cluster.x-k8s.io/v1beta2`, field })) },
  });
const stale = () => apiError(409, { kind: 'Status', code: 409, reason: 'Conflict', message: 'Operation cannot be fulfilled on clusters.cluster.x-k8s.io "c": the object has been modified; please apply your changes to the latest version and try again' });

type Answer = KubeObject | Error;

/** A fake API server: the Cluster's resourceVersion on each GET, and the scripted answers of each apply. */
function fakeKube(versions: string[], answers: Answer[]) {
  const applies: { body: KubeObject; force: boolean; dryRun: boolean }[] = [];
  let gets = 0;
  const kube = {
    resolve: async (group: string, kind: string) => ({ group, version: 'v1beta2', plural: 'clusters', kind }),
    get: async () => ({ metadata: { name: 'c', namespace: 'ns', resourceVersion: versions[Math.min(gets++, versions.length - 1)] } }),
    apply: async (body: KubeObject, options: { force?: boolean; dryRun?: boolean }) => {
      applies.push({ body, force: options.force === true, dryRun: options.dryRun === true });
      const answer = answers.shift();
      if (!answer || answer instanceof Error) throw answer ?? new Error('unscripted apply');
      return answer;
    },
  } as unknown as KubeClient;
  return { kube, applies, gets: () => gets };
}

const patch: KubeObject = { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name: 'c', namespace: 'ns' }, spec: { topology: { version: 'v1.35.1' } } };
const applied: KubeObject = { metadata: { name: 'c' } };
const options = { fieldManager: 'capi-mcp-upgrade', mayTakeFrom: own };

describe('applyOwned', () => {
  it('applies once, not forced, conditional on the resourceVersion it read, when nobody else owns the fields', async () => {
    const { kube, applies } = fakeKube(['7'], [applied]);
    assert.equal(await applyOwned(kube, patch, options), applied);
    assert.deepEqual(applies.map((a) => [a.force, (a.body.metadata as { resourceVersion?: string }).resourceVersion]), [[false, '7']]);
  });

  it('takes fields only capi-mcp’s own managers hold, forced at the same resourceVersion', async () => {
    const { kube, applies } = fakeKube(['7'], [fieldConflict(['capi-mcp-create', '.spec.topology.version']), applied]);
    assert.equal(await applyOwned(kube, patch, options), applied);
    assert.deepEqual(applies.map((a) => [a.force, (a.body.metadata as { resourceVersion?: string }).resourceVersion]), [[false, '7'], [true, '7']]);
  });

  it('refuses a field another manager holds as a Conflict naming it and the field, and never forces', async () => {
    const { kube, applies } = fakeKube(['7'], [fieldConflict(['capi-mcp-create', '.spec.topology.version'], ['someone-else', '.spec.topology.workers.machineDeployments[name="md-0"].replicas'])]);
    await assert.rejects(applyOwned(kube, patch, { ...options, dryRun: true }), (error: CapiMcpError) => {
      assert.equal(error.code, ErrorCode.Conflict);
      assert.match(error.message, /^failed to validate Cluster ns\/c: field manager "someone-else" owns \.spec\.topology\.workers\.machineDeployments\[name="md-0"\]\.replicas, with other values/);
      assert.doesNotMatch(error.message, /capi-mcp-create/);
      assert.match(error.hint ?? '', /nothing was changed/);
      return true;
    });
    assert.deepEqual(applies.map((a) => [a.force, a.dryRun]), [[false, true]]);
  });

  it('judges again when someone writes the object between its look and its forced apply', async () => {
    const { kube, applies, gets } = fakeKube(['7', '8'], [fieldConflict(['capi-mcp-create', '.spec.topology.version']), stale(), fieldConflict(['capi-mcp-create', '.spec.topology.version']), applied]);
    assert.equal(await applyOwned(kube, patch, options), applied);
    assert.equal(gets(), 2);
    assert.deepEqual(applies.map((a) => [a.force, (a.body.metadata as { resourceVersion?: string }).resourceVersion]), [[false, '7'], [true, '7'], [false, '8'], [true, '8']]);
  });

  it('gives up after three stale attempts with the API server’s answer', async () => {
    const { kube, applies } = fakeKube(['1', '2', '3'], [stale(), stale(), stale()]);
    await assert.rejects(applyOwned(kube, patch, options), /HTTP 409/);
    assert.equal(applies.length, 3);
  });

  it('passes any other failure through untouched, once', async () => {
    const invalid = apiError(422, { kind: 'Status', code: 422, message: 'spec.topology.version: Invalid value' });
    const { kube, applies } = fakeKube(['7'], [invalid]);
    await assert.rejects(applyOwned(kube, patch, options), (error) => error === invalid);
    assert.equal(applies.length, 1);
  });
});

describe('fieldConflictsOf', () => {
  it('reads the managers and fields of a field-manager conflict', () => {
    assert.deepEqual(fieldConflictsOf(fieldConflict(['flux', '.spec.a'], ['kubectl', '.spec.b'])), [
      { manager: 'flux', field: '.spec.a' },
      { manager: 'kubectl', field: '.spec.b' },
    ]);
  });

  it('finds none in a stale write, another status or a foreign error', () => {
    assert.deepEqual(fieldConflictsOf(stale()), []);
    assert.deepEqual(fieldConflictsOf(apiError(422, { causes: [] })), []);
    assert.deepEqual(fieldConflictsOf(new Error('socket hang up')), []);
  });
});

describe('describeConflicts', () => {
  it('groups fields by manager and bounds what it echoes', () => {
    const many = Array.from({ length: 6 }, (_, i) => ({ manager: 'flux', field: `.spec.f${i}` }));
    const text = describeConflicts([...many, ...['a', 'b', 'c', 'd'].map((m) => ({ manager: `${m}${'x'.repeat(200)}`, field: '.spec.z' }))]);
    assert.match(text, /^field manager "flux" owns \.spec\.f0, \.spec\.f1, \.spec\.f2, \.spec\.f3 and 2 more; field manager "ax{63}…" owns \.spec\.z; .*; and 2 more managers, with other values/);
    assert.ok(text.length < 700, text);
  });
});
