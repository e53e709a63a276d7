/**
 * A key limited to management clusters: the server names the one test sandbox twice (mc-alpha, the
 * default, and mc-bravo), so both reach the same objects and only the limit differs. The limited key
 * works on mc-bravo; every tool that takes a management cluster refuses mc-alpha — by name or as the
 * default — exactly as it refuses a name that is not configured, and no answer names mc-alpha unless the
 * caller did. Operations started on mc-alpha are invisible to it, and its cursors are bound to their
 * management cluster.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKey } from '../../shared/auth/key-admin.ts';
import { FileKeyStore } from '../../shared/auth/key-store.ts';
import { tools } from '../../shared/mcp/registry.ts';
import { stuckCluster } from '../support/clusters.ts';
import { modernRpc, startTestServer } from '../support/mcp.ts';
import { testSandbox, useNamespace } from '../support/sandbox.ts';
import { harmlessArguments } from '../support/tool-arguments.ts';

const ns = await useNamespace('mc-limits');
const keyFile = join(mkdtempSync(join(tmpdir(), 'capi-mcp-mc-keys-')), 'api-keys.json');
const keyStore = new FileKeyStore(keyFile);
const keys = {
  admin: (await createKey(keyStore, { name: 'admin', scopes: ['admin'] })).token,
  bravo: (await createKey(keyStore, { name: 'bravo', scopes: ['read', 'kubeconfig', 'write'], managementClusters: ['mc-bravo'] })).token,
};
const kubeconfig = testSandbox().paths.kubeconfig;
const url = await startTestServer({
  env: {
    CAPI_MCP_API_KEYS_FILE: keyFile,
    CAPI_MCP_MANAGEMENT_CLUSTERS: JSON.stringify([
      { name: 'mc-alpha', kubeconfig },
      { name: 'mc-bravo', kubeconfig },
    ]),
  },
});

before(async () => {
  for (const name of ['target', 'target-2', 'op-alpha', 'op-bravo']) await ns.objects.create(stuckCluster(ns.name, name));
});

async function call(token: string, tool: string, args: Record<string, unknown>) {
  const { status, body } = await modernRpc(url, `Bearer ${token}`, 'tools/call', { name: tool, arguments: args }, tool);
  assert.equal(status, 200, JSON.stringify(body));
  return { raw: JSON.stringify(body), result: body.result, text: (body.result?.content?.[0]?.text as string | undefined) ?? body.error?.message ?? '' };
}

/** Valid arguments for each tool that takes a management cluster; none changes anything if it ran on mc-bravo. */
const argumentsFor = (tool: string) => harmlessArguments(tool, ns.name, 'target');

const takesManagementCluster = tools.filter((t) => 'management_cluster' in t.inputSchema.shape).map((t) => t.name);

describe('a key limited to one management cluster', () => {
  it('reads clusters on its management cluster', async () => {
    const { result, text } = await call(keys.bravo, 'get_cluster', { namespace: ns.name, name: 'target', management_cluster: 'mc-bravo' });
    assert.equal(result.isError, undefined, text);
    assert.equal(result.structuredContent.cluster.name, 'target');
  });

  it('is refused the other one by every tool, exactly as a name that does not exist, naming only its own', async () => {
    assert.equal(takesManagementCluster.length, 14, takesManagementCluster.join(','));
    for (const tool of takesManagementCluster) {
      const other = await call(keys.bravo, tool, { ...argumentsFor(tool), management_cluster: 'mc-alpha' });
      const unknown = await call(keys.bravo, tool, { ...argumentsFor(tool), management_cluster: 'mc-zulu' });
      assert.equal(other.result?.isError, true, `${tool}: ${other.text}`);
      assert.equal(other.text, 'InvalidInput: unknown management cluster "mc-alpha"\nNext: use one of: mc-bravo', tool);
      assert.equal(unknown.text, other.text.replace('mc-alpha', 'mc-zulu'), `${tool}: the two refusals differ only in the name sent`);
    }
  });

  it('is refused the default when the default is not its own, without being told the default\'s name', async () => {
    for (const tool of takesManagementCluster) {
      const { result, raw, text } = await call(keys.bravo, tool, argumentsFor(tool));
      assert.equal(result?.isError, true, `${tool}: ${text}`);
      assert.match(text, /^InvalidInput: API key \w+ may not use the default management cluster\nNext: pass management_cluster: one of mc-bravo$/, tool);
      assert.ok(!raw.includes('mc-alpha'), `${tool}: ${raw}`);
    }
  });

  it('walks only its own management cluster with management_cluster "*", and no tool but list_clusters and diagnose_cluster takes "*"', async () => {
    const fleet = await call(keys.bravo, 'list_clusters', { namespace: ns.name, management_cluster: '*' });
    assert.equal(fleet.result?.isError, undefined, fleet.text);
    const rows = fleet.result.structuredContent.clusters as { management_cluster: string; name: string }[];
    assert.deepEqual([...new Set(rows.map((r) => r.management_cluster))], ['mc-bravo']);
    assert.deepEqual(rows.map((r) => r.name).sort(), ['op-alpha', 'op-bravo', 'target', 'target-2']);
    assert.ok(!fleet.raw.includes('mc-alpha'), fleet.raw);
    const admin = await call(keys.admin, 'list_clusters', { namespace: ns.name, management_cluster: '*' });
    assert.deepEqual([...new Set((admin.result.structuredContent.clusters as { management_cluster: string }[]).map((r) => r.management_cluster))], ['mc-alpha', 'mc-bravo']);
    const triage = await call(keys.bravo, 'diagnose_cluster', { namespace: ns.name, management_cluster: '*' });
    assert.equal(triage.result?.isError, undefined, triage.text);
    assert.equal(triage.result.structuredContent.fleet.management_clusters, 1);
    assert.equal(triage.result.structuredContent.fleet.clusters, 4);
    assert.deepEqual([...new Set((triage.result.structuredContent.fleet.top as { management_cluster: string }[]).map((r) => r.management_cluster))], ['mc-bravo']);
    assert.ok(!triage.raw.includes('mc-alpha'), triage.raw);
    const fleetTools = ['list_clusters', 'diagnose_cluster'];
    for (const tool of takesManagementCluster.filter((t) => !fleetTools.includes(t))) {
      const every = await call(keys.bravo, tool, { ...argumentsFor(tool), management_cluster: '*' });
      assert.match(every.text, /^InvalidInput: invalid arguments for \w+: management_cluster: "\*" \(every management cluster\) is taken by list_clusters and diagnose_cluster only/, tool);
      assert.ok(!every.raw.includes('mc-alpha'), `${tool}: ${every.raw}`);
    }
  });

  it('reads no resource from the default management cluster it may not use', async () => {
    const uri = `capi://clusters/${ns.name}/target`;
    const { body } = await modernRpc(url, `Bearer ${keys.bravo}`, 'resources/read', { uri }, uri);
    assert.match(body.error?.message ?? '', /not found/i, JSON.stringify(body));
    const classes = await modernRpc(url, `Bearer ${keys.bravo}`, 'resources/read', { uri: 'capi://clusterclasses' }, 'capi://clusterclasses');
    assert.ok(classes.body.error, JSON.stringify(classes.body));
    assert.ok(!JSON.stringify(classes.body).includes('mc-alpha'));
  });

  it('neither sees nor cancels operations on the other management cluster, and sees its own', async () => {
    const alphaOp = await call(keys.admin, 'delete_cluster', { namespace: ns.name, name: 'op-alpha', confirm: 'op-alpha', management_cluster: 'mc-alpha' });
    assert.equal(alphaOp.result.isError, undefined, alphaOp.text);
    const bravoOp = await call(keys.bravo, 'delete_cluster', { namespace: ns.name, name: 'op-bravo', confirm: 'op-bravo', management_cluster: 'mc-bravo' });
    assert.equal(bravoOp.result.isError, undefined, bravoOp.text);
    const alphaId: string = alphaOp.result.structuredContent.operation_id;
    const bravoId: string = bravoOp.result.structuredContent.operation_id;

    const listed = await call(keys.bravo, 'list_operations', { namespace: ns.name });
    const ids = (listed.result.structuredContent.operations as { operation_id: string }[]).map((o) => o.operation_id);
    assert.ok(ids.includes(bravoId), listed.text);
    assert.ok(!listed.raw.includes(alphaId), listed.raw);
    const adminIds = ((await call(keys.admin, 'list_operations', { namespace: ns.name })).result.structuredContent.operations as { operation_id: string }[]).map((o) => o.operation_id);
    assert.ok(adminIds.includes(alphaId) && adminIds.includes(bravoId));

    for (const tool of ['get_operation', 'cancel_operation']) {
      const hiddenOp = await call(keys.bravo, tool, { operation_id: alphaId });
      const missing = await call(keys.bravo, tool, { operation_id: `${alphaId.slice(0, -1)}x` });
      assert.equal(hiddenOp.text, `NotFound: operation ${alphaId} not found\n${missing.text.split('\n')[1]}`, tool);
      assert.equal(hiddenOp.text.replace(alphaId, 'ID'), missing.text.replace(`${alphaId.slice(0, -1)}x`, 'ID'), tool);
    }
    const own = await call(keys.bravo, 'get_operation', { operation_id: bravoId });
    assert.equal(own.result.isError, undefined, own.text);
  });

  it('binds a list_clusters cursor to its management cluster', async () => {
    const first = await call(keys.admin, 'list_clusters', { namespace: ns.name, limit: 1, management_cluster: 'mc-bravo' });
    const cursor = first.result.structuredContent.next_cursor;
    assert.ok(cursor, first.text);
    const replayed = await call(keys.admin, 'list_clusters', { namespace: ns.name, limit: 1, management_cluster: 'mc-alpha', cursor });
    assert.match(replayed.text, /^InvalidInput: cursor belongs to a listing with other arguments/);
  });
});
