/**
 * The auth matrix, over HTTP against the local adapter, with the production key store: a Secrets Manager
 * secret on a real local endpoint (moto). Every kind of key — missing, malformed, unknown, wrong secret,
 * expired, revoked, under-scoped, namespace-limited, and the good ones — against every tool, each case
 * asserting what the caller gets and, for refusals, that the tool did not run (its audit record says
 * denied, or there is none). Then revocation through Secrets Manager takes effect after the cache TTL.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createKey, revokeKey } from '../../shared/auth/key-admin.ts';
import { SecretsManagerKeyStore } from '../../shared/auth/key-store.ts';
import { requiredScope, type Scope } from '../../shared/auth/scopes.ts';
import { tools } from '../../shared/mcp/registry.ts';
import { testAuthPaths } from '../support/auth.ts';
import { stuckCluster } from '../support/clusters.ts';
import { modernRpc, startTestServer } from '../support/mcp.ts';
import { motoClient, motoRegion, startMoto } from '../support/moto.ts';
import { useNamespace } from '../support/sandbox.ts';
import { eventually } from '../support/wait.ts';
import { harmlessArguments } from '../support/tool-arguments.ts';

const moto = await startMoto();
after(() => moto.stop());
// The server builds its own Secrets Manager client from the environment, as the Lambda does.
Object.assign(process.env, {
  AWS_ENDPOINT_URL_SECRETS_MANAGER: moto.endpoint,
  AWS_REGION: motoRegion,
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
});
const secretsManager = motoClient(SecretsManagerClient, moto);
const { ARN: secretArn } = await secretsManager.send(
  new CreateSecretCommand({ Name: 'capi-mcp/api-keys', SecretString: JSON.stringify({ version: 1, keys: [] }) }),
);
const store = new SecretsManagerKeyStore(secretsManager, secretArn!);

const home = await useNamespace('auth-home');
const elsewhere = await useNamespace('auth-other');
const ttlMs = 1500;

const now = Date.now();
const keys = {
  admin: await createKey(store, { name: 'admin', scopes: ['admin'] }),
  reader: await createKey(store, { name: 'reader', scopes: ['read'] }),
  kubeconfig: await createKey(store, { name: 'kubeconfig', scopes: ['read', 'kubeconfig'] }),
  writer: await createKey(store, { name: 'writer', scopes: ['read', 'write'] }),
  limited: await createKey(store, { name: 'limited', scopes: ['read', 'kubeconfig', 'write'], namespaces: [home.name] }),
  expired: await createKey(store, { name: 'expired', scopes: ['admin'], expiresAt: new Date(now - 60_000) }),
  revoked: await createKey(store, { name: 'revoked', scopes: ['admin'] }),
};
await revokeKey(store, keys.revoked.record.id);

const url = await startTestServer({ env: { CAPI_MCP_API_KEYS_SECRET_ARN: secretArn!, CAPI_MCP_API_KEYS_FILE: '' }, auth: { ttlMs, maxFailures: 1_000 } });

/** One stateless 2026-07-28 JSON-RPC request, with whatever Authorization header the case sends. */
const rpc = (authorization: string | undefined, method: string, params: Record<string, unknown> = {}, name?: string) =>
  modernRpc(url, authorization, method, params, name);

const bearer = (token: string) => `Bearer ${token}`;
const call = (token: string, tool: string, args: Record<string, unknown>) => rpc(bearer(token), 'tools/call', { name: tool, arguments: args }, tool);


/**
 * What the audit records of one of this file's keys said, by tool. Note: the run's capture is shared with
 * the files running beside this one, so only lines naming the key are parsed: another process's record
 * may be half written while this reads.
 */
function auditRecordsOfKey(keyId: string): { keyId: string; tool: string; outcome: string }[] {
  return readFileSync(testAuthPaths.captureLog, 'utf8')
    .split('\n')
    .filter((line) => line.includes('"audit":true') && line.includes(keyId))
    .map((line) => JSON.parse(line))
    .filter((r) => r.keyId === keyId);
}

before(async () => {
  await home.objects.create(stuckCluster(home.name, 'auth-target'));
  await elsewhere.objects.create(stuckCluster(elsewhere.name, 'auth-target'));
});

describe('requests without a valid key', () => {
  const invalid: [string, string | undefined][] = [
    ['no Authorization header', undefined],
    ['a Basic header', 'Basic YWRtaW46YWRtaW4='],
    ['an empty bearer', 'Bearer '],
    ['a malformed key', 'Bearer capi_nope'],
    ['an unknown key id', bearer(`capi_${'a'.repeat(12)}_${keys.admin.token.slice(-43)}`)],
    ['a wrong secret', bearer(`${keys.admin.token.slice(0, -43)}${'Z'.repeat(43)}`)],
    ['an expired key', bearer(keys.expired.token)],
    ['a revoked key', bearer(keys.revoked.token)],
  ];
  for (const [what, authorization] of invalid) {
    it(`${what}: 401 with a Bearer challenge on tools/list and on every tool`, async () => {
      const list = await rpc(authorization, 'tools/list');
      assert.equal(list.status, 401);
      assert.match(list.headers.get('www-authenticate') ?? '', /^Bearer realm="capi-mcp"/);
      for (const tool of tools) {
        const result = await rpc(authorization, 'tools/call', { name: tool.name, arguments: harmlessArguments(tool.name, home.name) }, tool.name);
        assert.equal(result.status, 401, `${what} → ${tool.name}`);
        assert.equal(result.body.result, undefined);
      }
    });
  }

  it('answers exactly as SECURITY.md says: every presented key that is not valid alike, no bearer key at all without an error code', async () => {
    const answer = async (authorization: string | undefined) => {
      const r = await rpc(authorization, 'tools/list');
      return JSON.stringify([r.status, r.body, r.headers.get('www-authenticate')]);
    };
    const absent = await Promise.all(invalid.slice(0, 3).map(([, a]) => answer(a)));
    const presented = await Promise.all(invalid.slice(3).map(([, a]) => answer(a)));
    // Malformed, unknown id, wrong secret, expired, revoked: byte-identical, so none can be told apart.
    assert.equal(new Set(presented).size, 1, presented.join('\n'));
    assert.match(presented[0]!, /error=\\"invalid_token\\"/);
    // No bearer credentials (none, Basic, empty): RFC 6750 section 3.1, a challenge without an error code.
    assert.equal(new Set(absent).size, 1, absent.join('\n'));
    assert.doesNotMatch(absent[0]!, /error=/);
  });
});

describe('scopes', () => {
  const listed = async (token: string) => ((await rpc(bearer(token), 'tools/list')).body.result.tools as { name: string }[]).map((t) => t.name).sort();

  it('a key without write does not see destructive tools; admin and writers see every tool', async () => {
    const destructive = tools.filter((t) => t.annotations.destructiveHint).map((t) => t.name);
    for (const token of [keys.reader.token, keys.kubeconfig.token]) {
      const names = await listed(token);
      assert.ok(destructive.length > 0 && destructive.every((d) => !names.includes(d)), names.join(','));
    }
    assert.deepEqual(await listed(keys.admin.token), tools.map((t) => t.name).sort());
    assert.deepEqual(await listed(keys.writer.token), tools.map((t) => t.name).sort());
  });

  const holders: [keyof typeof keys, readonly Scope[]][] = [
    ['reader', ['read']],
    ['kubeconfig', ['read', 'kubeconfig']],
    ['writer', ['read', 'write']],
    ['admin', ['read', 'kubeconfig', 'write']],
  ];
  for (const [key, held] of holders) {
    it(`the ${key} key: each tool runs exactly when the key holds its scope, and a refusal names the scope`, async () => {
      for (const tool of tools) {
        const scope = requiredScope(tool);
        const { body } = await call(keys[key].token, tool.name, harmlessArguments(tool.name, home.name));
        const text: string = body.result?.content?.[0]?.text ?? body.error?.message ?? '';
        if (held.includes(scope)) {
          // The tool ran: a result, or a refusal of the tool's own (the arguments aim at a stuck cluster and
          // missing objects), never a protocol error, a scope refusal or a crash.
          assert.ok(body.result, `${key} → ${tool.name}: ${JSON.stringify(body.error)}`);
          if (body.result.isError) assert.match(text, /^(NotFound|InvalidInput|Conflict): /, `${key} → ${tool.name}: ${text}`);
        } else if (tool.annotations.destructiveHint) {
          // Not offered to this key, so not callable: a protocol error, and the tool never ran.
          assert.match(body.error?.message ?? '', /not found/, `${key} → ${tool.name}`);
        } else {
          assert.equal(body.result?.isError, true, `${key} → ${tool.name}`);
          assert.match(text, new RegExp(`^Forbidden: ${tool.name} needs the "${scope}" scope`), `${key} → ${tool.name}`);
        }
      }
      const denied = auditRecordsOfKey(keys[key].record.id).filter((r) => r.outcome === 'denied').map((r) => r.tool);
      const expectedDenied = tools.filter((t) => !held.includes(requiredScope(t)) && !t.annotations.destructiveHint).map((t) => t.name);
      assert.deepEqual(denied.sort(), expectedDenied.sort(), 'each refusal is audited as denied');
    });
  }
});

describe('namespace limits', () => {
  it('every tool that names a namespace outside the key is refused before it runs', async () => {
    for (const tool of tools.filter((t) => 'namespace' in t.inputSchema.shape)) {
      const { body } = await call(keys.limited.token, tool.name, harmlessArguments(tool.name, elsewhere.name));
      assert.equal(body.result?.isError, true, tool.name);
      assert.match(body.result.content[0].text, new RegExp(`^Forbidden: API key ${keys.limited.record.id} may not use namespace ${elsewhere.name}`), tool.name);
    }
  });

  it('inside its namespace the same key works', async () => {
    const { body } = await call(keys.limited.token, 'get_cluster', { namespace: home.name, name: 'auth-target' });
    assert.equal(body.result.isError, undefined, JSON.stringify(body));
    assert.equal(body.result.structuredContent.cluster.name, 'auth-target');
  });

  it('list_clusters without a namespace lists only the key\'s namespace', async () => {
    const { body } = await call(keys.limited.token, 'list_clusters', {});
    const namespaces = new Set((body.result.structuredContent.clusters as { namespace: string }[]).map((c) => c.namespace));
    assert.deepEqual([...namespaces], [home.name]);
    const all = await call(keys.admin.token, 'list_clusters', {});
    assert.ok((all.body.result.structuredContent.clusters as { namespace: string }[]).some((c) => c.namespace === elsewhere.name), 'admin sees the other namespace');
  });

  it('resources outside the key\'s namespaces read as not found', async () => {
    const uri = `capi://clusters/${elsewhere.name}/auth-target`;
    const outside = await rpc(bearer(keys.limited.token), 'resources/read', { uri }, uri);
    assert.match(outside.body.error?.message ?? '', /not found/i, JSON.stringify(outside.body));
    const own = `capi://clusters/${home.name}/auth-target`;
    const inside = await rpc(bearer(keys.limited.token), 'resources/read', { uri: own }, own);
    assert.equal(inside.body.error, undefined, JSON.stringify(inside.body));
    assert.equal(JSON.parse(inside.body.result.contents[0].text).name, 'auth-target');
  });
});

describe('revocation through Secrets Manager', () => {
  it('a key revoked in the secret is refused once the cache TTL has passed', async () => {
    const victim = await createKey(store, { name: 'victim', scopes: ['read'] });
    const statusOf = async () => (await rpc(bearer(victim.token), 'tools/list')).status;
    const until = (status: number) => async () => {
      const seen = await statusOf();
      return { done: seen === status, value: seen, seen: `HTTP ${seen}` };
    };
    await eventually('the new key is accepted', until(200), { timeoutMs: 10 * ttlMs, intervalMs: 100 });
    await revokeKey(store, victim.record.id);
    const revokedAt = Date.now();
    await eventually('the revoked key is refused', until(401), { timeoutMs: 10 * ttlMs, intervalMs: 100 });
    const tookMs = Date.now() - revokedAt;
    assert.ok(tookMs <= 3 * ttlMs, `refused ${tookMs} ms after revocation (TTL ${ttlMs} ms)`);
    assert.equal((await rpc(bearer(keys.reader.token), 'tools/list')).status, 200, 'other keys are unaffected');
  });
});

describe('/metrics of the local adapter', () => {
  it('needs a key like everything else, then shows the calls and refusals this file made', async () => {
    const metricsUrl = new URL('/metrics', url);
    assert.equal((await fetch(metricsUrl)).status, 401);
    const response = await fetch(metricsUrl, { headers: { authorization: bearer(keys.reader.token) } });
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.match(text, /^capi_mcp_tool_calls_total\{tool="get_cluster",outcome="ok"\} [1-9]\d*$/m);
    assert.match(text, /^capi_mcp_tool_calls_total\{tool="get_cluster_kubeconfig",outcome="denied"\} [1-9]\d*$/m);
    for (const reason of ['missing', 'malformed', 'unknown-key', 'wrong-secret', 'expired', 'disabled']) {
      assert.match(text, new RegExp(`^capi_mcp_auth_failures_total\\{reason="${reason}"\\} [1-9]\\d*$`, 'm'), reason);
    }
  });
});
