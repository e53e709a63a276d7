/**
 * diagnose_cluster's fleet triage (`management_cluster: "*"`) through a real MCP client over HTTP, on a
 * server with two management clusters: mc-up, the test sandbox, and mc-down, whose kubeconfig points at a
 * port where nothing listens. The clusters are real: one the controllers provision until Available, two
 * whose infrastructure never comes. The fleet's counts and its top findings come from the sandbox's real
 * API server, and the management cluster that is down is a row of its own, never the call's failure.
 * Reports (t.diagnostic) the answer's o200k tokens and how long the call took.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getEncoding } from 'js-tiktoken';
import { createKey } from '../../shared/auth/key-admin.ts';
import { FileKeyStore } from '../../shared/auth/key-store.ts';
import { inMemoryClusterClass } from '../../sandbox/recipe.ts';
import { provisionedCluster, stuckCluster } from '../support/clusters.ts';
import { modernRpc, startTestServer } from '../support/mcp.ts';
import { testSandbox, useNamespace } from '../support/sandbox.ts';
import { eventually } from '../support/wait.ts';

const ns = await useNamespace('mcp-fleet', { withClusterClass: true });
const dir = mkdtempSync(join(tmpdir(), 'capi-mcp-fleet-'));
const keyStore = new FileKeyStore(join(dir, 'api-keys.json'));
const keys = {
  admin: (await createKey(keyStore, { name: 'admin', scopes: ['admin'] })).token,
  tenant: (await createKey(keyStore, { name: 'tenant', scopes: ['read'], namespaces: [ns.name] })).token,
};

/** A port nothing listens on: bound by the OS, then closed. */
const closedPort = await new Promise<number>((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    server.close(() => resolve(port));
  });
});
const sandboxKubeconfig = testSandbox().paths.kubeconfig;
const downKubeconfig = join(dir, 'down.kubeconfig');
writeFileSync(downKubeconfig, readFileSync(sandboxKubeconfig, 'utf8').replace(/server: https:\/\/[^\s]+/g, `server: https://127.0.0.1:${closedPort}`));

const url = await startTestServer({
  env: {
    CAPI_MCP_API_KEYS_FILE: join(dir, 'api-keys.json'),
    CAPI_MCP_MANAGEMENT_CLUSTERS: JSON.stringify([
      { name: 'mc-up', kubeconfig: sandboxKubeconfig },
      { name: 'mc-down', kubeconfig: downKubeconfig },
    ]),
  },
});

before(async () => {
  await ns.objects.create(stuckCluster(ns.name, 'stuck-1'));
  await ns.objects.create(stuckCluster(ns.name, 'stuck-2'));
  await provisionedCluster(ns, 'healthy', 1);
});

async function triage(token: string, args: Record<string, unknown>) {
  const started = performance.now();
  const { status, body } = await modernRpc(url, `Bearer ${token}`, 'tools/call', { name: 'diagnose_cluster', arguments: { management_cluster: '*', ...args } }, 'diagnose_cluster');
  const seconds = (performance.now() - started) / 1000;
  assert.equal(status, 200, JSON.stringify(body));
  const text: string = body.result?.content?.[0]?.text ?? body.error?.message ?? '';
  assert.equal(body.result?.isError, undefined, text);
  return { fleet: body.result.structuredContent.fleet, text, raw: JSON.stringify(body), seconds };
}

/** The fleet of an answer in which mc-up answered: only mc-down is unreachable. */
const mcUpAnswered = (fleet: any) => JSON.stringify(fleet.unreachable.map((u: any) => u.management_cluster)) === '["mc-down"]';

/** The fleet at a moment when `healthy` read Available and mc-up answered. */
const steady = (fleet: any) => fleet.available === 1 && mcUpAnswered(fleet);

/**
 * `calls` answered at one moment when every fleet was `isSteady`. Note: on a loaded machine a converged
 * Cluster reads not Available for a moment (test/support/clusters.ts availableCluster), and a whole-sandbox
 * LIST can outlast the client's deadline, which makes mc-up a row of `unreachable` (mcp-pagination.test.ts):
 * both are the sandbox's moment, not the triage, so the calls are made again, within a minute.
 */
function triageSteady<T extends { fleet: any }[]>(what: string, calls: () => Promise<T>, isSteady: (fleet: any) => boolean = steady): Promise<T> {
  return eventually(what, async () => {
    const answers = await calls();
    return { done: answers.every((a) => isSteady(a.fleet)), value: answers, seen: answers.map((a) => JSON.stringify({ available: a.fleet.available, unreachable: a.fleet.unreachable })).join(' ') };
  }, { timeoutMs: 60_000, intervalMs: 1000 });
}

describe('diagnose_cluster across the fleet, one management cluster down', () => {
  it('counts the reachable management cluster\'s clusters, diagnoses the ones not Available, and makes the one down a row', async (t) => {
    const [{ fleet, text, seconds }] = await triageSteady('a steady triage of the namespace', async () => [await triage(keys.admin, { namespace: ns.name })]);
    t.diagnostic(`answer: ${getEncoding('o200k_base').encode(text).length} o200k tokens of text (${text.length} characters), ${seconds.toFixed(2)} s`);
    t.diagnostic(text);

    assert.equal(fleet.management_clusters, 2);
    assert.equal(fleet.clusters, 3);
    assert.equal(fleet.available, 1);
    assert.equal(fleet.phases.Provisioned, 1);
    assert.equal(Object.values(fleet.phases as Record<string, number>).reduce((a, b) => a + b, 0), 3, 'every cluster in one phase');
    assert.equal(fleet.versions[inMemoryClusterClass.kubernetesVersion], 1);
    assert.equal(fleet.versions.unknown, 2, 'the stuck clusters have no topology version');
    assert.deepEqual(fleet.providers, { 'in-memory': 3 });
    assert.equal(fleet.reasons.length, 1, JSON.stringify(fleet.reasons));
    assert.equal(fleet.reasons[0].count, 2);
    assert.match(fleet.reasons[0].reason, /^InfrastructureReady: /);
    assert.deepEqual(fleet.top.map((r: any) => `${r.management_cluster}:${r.name}`).sort(), ['mc-up:stuck-1', 'mc-up:stuck-2']);
    for (const row of fleet.top) {
      assert.equal(row.error, undefined, row.error);
      assert.equal(row.cause, 'infrastructure-not-provisioned', JSON.stringify(row));
      assert.match(row.next, new RegExp(`devcluster ${row.name}-missing -n ${ns.name}`));
    }
    assert.deepEqual(fleet.unreachable.map((u: any) => u.management_cluster), ['mc-down']);
    assert.match(fleet.unreachable[0].error, /^(Upstream|Timeout): /);
    const lines = text.split('\n');
    assert.equal(lines[0], 'fleet: 2 management clusters (1 unreachable), 3 clusters, 1 Available');
    assert.ok(lines.some((l) => l.startsWith('[mc-down] unreachable: ')), text);
    assert.ok(lines.some((l) => l.startsWith(`[mc-up] ${ns.name}/stuck-1 (`) && l.includes(': error infrastructure-not-provisioned: ')), text);
  });

  it('counts for a key limited to a namespace what it counts for the namespace asked by an admin, and nothing of elsewhere', async () => {
    const [limited, asked] = await triageSteady('two steady triages at once', () => Promise.all([triage(keys.tenant, {}), triage(keys.admin, { namespace: ns.name })]));
    // Note: what does not move between two calls (a summary says how long, an error which attempt).
    const stable = (f: any) => ({ ...f, top: f.top.map((r: any) => `${r.management_cluster}:${r.namespace}/${r.name} ${r.cause}`), unreachable: f.unreachable.map((u: any) => u.management_cluster) });
    assert.deepEqual(stable(limited.fleet), stable(asked.fleet));
    const [outside] = await triageSteady('a steady triage of healthy', async () => [await triage(keys.tenant, { name: 'healthy' })]);
    assert.equal(outside.fleet.clusters, 1);
    assert.equal(outside.fleet.available, 1);
  });

  it('answers for every namespace of the shared sandbox, whatever other test files left there, in a few hundred tokens', async (t) => {
    // Note: steady only as far as mc-up answered; other files' Clusters come and go, Available or not.
    const [{ fleet, text, seconds }] = await triageSteady('mc-up to answer the whole-sandbox triage', async () => [await triage(keys.admin, {})], mcUpAnswered);
    const tokens = getEncoding('o200k_base').encode(text).length;
    t.diagnostic(`whole sandbox: ${fleet.clusters} clusters (${fleet.available} Available) and one management cluster down: ${tokens} o200k tokens of text (${text.length} characters), ${seconds.toFixed(2)} s`);
    assert.ok(fleet.clusters >= 3, text);
    assert.ok(fleet.top.length <= 5);
    assert.ok(tokens <= 700, `${tokens} tokens`);
  });
});
