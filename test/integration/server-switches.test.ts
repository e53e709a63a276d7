/**
 * The server-wide switches README.md and SECURITY.md promise, each over HTTP against a real local server
 * on the sandbox: CAPI_MCP_READ_ONLY=true (only read-only tools listed, every change refused, nothing
 * started), read-only as the default whenever CAPI_MCP_MANAGEMENT_CLUSTERS names the management cluster,
 * CAPI_MCP_ALLOWED_NAMESPACES (nothing outside it listed, read or changed), and one audit record per ok,
 * error and denied call with every documented field.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createKey } from '../../shared/auth/key-admin.ts';
import { FileKeyStore } from '../../shared/auth/key-store.ts';
import { tools } from '../../shared/mcp/registry.ts';
import { testAuthPaths } from '../support/auth.ts';
import { inMemoryCreateArgs, stuckCluster } from '../support/clusters.ts';
import { connectV2, startTestServer, textOf } from '../support/mcp.ts';
import { useNamespace } from '../support/sandbox.ts';

const home = await useNamespace('switch-home', { withClusterClass: true });
const other = await useNamespace('switch-other', { withClusterClass: true });

const readOnlyTools = tools.filter((t) => t.annotations.readOnlyHint).map((t) => t.name).sort();
const changingTools = tools.filter((t) => !t.annotations.readOnlyHint).map((t) => t.name).sort();

/** Arguments each changing tool would accept and act on, were it allowed: a real change to a real cluster. */
function changeArguments(tool: string, namespace: string): Record<string, unknown> {
  switch (tool) {
    case 'create_cluster':
      return inMemoryCreateArgs(namespace, 'switch-new');
    case 'delete_cluster':
      return { namespace, name: 'switch-target', confirm: 'switch-target' };
    case 'scale_cluster':
      return { namespace, name: 'switch-target', workers: [{ name: 'md-0', replicas: 2 }] };
    case 'upgrade_cluster':
      return { namespace, name: 'switch-target', kubernetes_version: 'v1.35.1' };
    case 'pause_cluster':
    case 'resume_cluster':
      return { namespace, name: 'switch-target' };
    case 'rollout_cluster':
      return { namespace, name: 'switch-target', target: 'control_plane' };
    case 'remediate_machine':
      return { namespace, name: 'switch-target', machine: 'switch-target-machine' };
    case 'cancel_operation':
      return { operation_id: 'create-switch-0000000000' };
    default:
      throw new Error(`no change arguments for ${tool}`);
  }
}

const clusterNames = async (namespace: string) =>
  (await home.objects.list('cluster.x-k8s.io/v1beta2', 'Cluster', namespace)).items.map((c) => c.metadata!.name!).sort();

before(async () => {
  await home.objects.create(stuckCluster(home.name, 'switch-target'));
  await other.objects.create(stuckCluster(other.name, 'hidden-target'));
});

for (const [label, env] of [
  ['CAPI_MCP_READ_ONLY=true', { CAPI_MCP_READ_ONLY: 'true' }],
  ['CAPI_MCP_MANAGEMENT_CLUSTERS without CAPI_MCP_READ_ONLY (read-only by default)', { CAPI_MCP_READ_ONLY: '' }],
] as const) {
  describe(`a server started with ${label}`, () => {
    it('lists exactly the read-only tools, even to an admin key', async () => {
      assert.ok(changingTools.length >= 5, `changing tools exist: ${changingTools}`);
      const client = await connectV2(await startTestServer({ env }));
      try {
        const listed = (await client.listTools()).tools.map((t) => t.name).sort();
        assert.deepEqual(listed, readOnlyTools);
      } finally {
        await client.close();
      }
    });

    it('refuses every changing tool, and nothing changes or starts', async () => {
      const url = await startTestServer({ env });
      const client = await connectV2(url);
      try {
        for (const tool of changingTools) {
          const result = await client.callTool({ name: tool, arguments: changeArguments(tool, home.name) }).catch((error: Error) => ({ isError: true, content: [{ type: 'text', text: error.message }] }));
          assert.equal(result.isError, true, `${tool} is refused: ${textOf(result)}`);
          assert.match(textOf(result), new RegExp(`${tool}|not found|Unknown tool`, 'i'));
        }
        assert.deepEqual(await clusterNames(home.name), ['switch-target'], 'no Cluster created or deleted');
        const operations = await client.callTool({ name: 'list_operations', arguments: {} });
        assert.deepEqual(operations.structuredContent.operations, [], 'no operation started');
      } finally {
        await client.close();
      }
    });
  });
}

describe('a server started with CAPI_MCP_ALLOWED_NAMESPACES', () => {
  it('lists, reads and changes nothing outside the allowed namespaces, even for an admin key', async () => {
    const client = await connectV2(await startTestServer({ env: { CAPI_MCP_ALLOWED_NAMESPACES: home.name } }));
    try {
      const listed = await client.callTool({ name: 'list_clusters', arguments: {} });
      assert.equal(listed.isError, undefined, textOf(listed));
      const rows = listed.structuredContent.clusters as { namespace: string; name: string }[];
      assert.ok(rows.some((r) => r.name === 'switch-target'), 'the allowed namespace is listed');
      assert.deepEqual(rows.filter((r) => r.namespace !== home.name), [], 'nothing from another namespace');
      assert.doesNotMatch(JSON.stringify(listed), new RegExp(`${other.name}|hidden-target`));

      for (const [tool, args] of [
        ['get_cluster', { namespace: other.name, name: 'hidden-target' }],
        ['list_clusters', { namespace: other.name }],
        ['delete_cluster', { namespace: other.name, name: 'hidden-target', confirm: 'hidden-target' }],
        ['create_cluster', inMemoryCreateArgs(other.name, 'switch-new')],
      ] as const) {
        const result = await client.callTool({ name: tool, arguments: args });
        assert.equal(result.isError, true, `${tool} in ${other.name} is refused: ${textOf(result)}`);
        assert.doesNotMatch(textOf(result), /hidden-target.*(Pending|Provisioning|exists)/i, 'the refusal does not say what is there');
      }
      assert.deepEqual(await clusterNames(other.name), ['hidden-target'], 'nothing created or deleted there');
    } finally {
      await client.close();
    }
  });
});

describe('audit records', () => {
  it('one per ok, error and denied call, with every documented field and redacted arguments', async () => {
    const store = new FileKeyStore(testAuthPaths.keyStore);
    const reader = await createKey(store, { name: 'audit-reader', scopes: ['read'] });
    const client = await connectV2(await startTestServer(), reader.token);
    const calls: [string, Record<string, unknown>, 'ok' | 'error' | 'denied', string | undefined][] = [
      ['get_cluster', { namespace: home.name, name: 'switch-target' }, 'ok', undefined],
      ['get_cluster', { namespace: home.name, name: 'no-such-cluster' }, 'error', 'NotFound'],
      ['list_clusters', { namespace: home.name, cursor: 'Bearer eyJhbGciOi.eyJzdWIiOiJ4In0.c2lnbmF0dXJl' }, 'error', 'InvalidInput'],
      ['get_cluster_kubeconfig', { namespace: home.name, name: 'switch-target' }, 'denied', 'Forbidden'],
    ];
    try {
      for (const [tool, args] of calls) await client.callTool({ name: tool, arguments: args });
    } finally {
      await client.close();
    }
    const records = readFileSync(testAuthPaths.captureLog, 'utf8')
      .split('\n')
      .filter((line) => line.includes('"audit":true') && line.includes(reader.record.id))
      .map((line) => JSON.parse(line));
    assert.equal(records.length, calls.length, 'exactly one record per call');
    for (const [i, [tool, args, outcome, reason]] of calls.entries()) {
      const record = records[i];
      assert.equal(typeof record.requestId, 'string');
      assert.ok(record.requestId.length > 0);
      assert.equal(record.keyId, reader.record.id);
      assert.equal(record.tool, tool);
      assert.equal(record.outcome, outcome, `${tool}: ${JSON.stringify(record)}`);
      assert.equal(record.reason, reason);
      assert.equal(typeof record.durationMs, 'number');
      if ('name' in args) assert.equal(record.cluster, `${args.namespace}/${args.name}`);
      assert.equal(record.arguments.namespace, home.name);
    }
    assert.equal(new Set(records.map((r) => r.requestId)).size, records.length, 'each call its own request id');
    assert.doesNotMatch(JSON.stringify(records[2]), /eyJhbGciOi|c2lnbmF0dXJl/, 'a token in an argument is redacted');
  });
});
