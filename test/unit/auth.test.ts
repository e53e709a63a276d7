/**
 * API keys end to end below HTTP: format, scrypt hashing, and the authenticator over a real file store —
 * every refusal reason, the identical answer for unknown id and wrong secret, revocation and rotation
 * through the store after the cache TTL, throttling, and failing closed when the store cannot be read.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decoyHash, generateKey, hashSecret, parseKey, verifySecret } from '../../shared/auth/api-key.ts';
import { Authenticator } from '../../shared/auth/authenticator.ts';
import { createKey, revokeKey, rotateKey } from '../../shared/auth/key-admin.ts';
import { FileKeyStore, type KeyStore } from '../../shared/auth/key-store.ts';
import { hasScope, mayUseNamespace, requiredScope } from '../../shared/auth/scopes.ts';
import { tools } from '../../shared/mcp/registry.ts';

const tempStore = () => new FileKeyStore(join(mkdtempSync(join(tmpdir(), 'capi-keys-')), 'api-keys.json'));
const bearer = (token: string) => `Bearer ${token}`;

describe('API key format and hashing', () => {
  it('generates capi_<id>_<secret> keys that parse back, each different', () => {
    const a = generateKey();
    const b = generateKey();
    assert.match(a.token, /^capi_[a-z2-7]{12}_[A-Za-z0-9_-]{43}$/);
    assert.equal(parseKey(a.token)?.id, a.id);
    assert.notEqual(a.token, b.token);
  });

  const malformed: [string, string][] = [
    ['an empty string', ''],
    ['another prefix', 'ghp_abcdefghijkl_' + 'a'.repeat(43)],
    ['an id with upper case', 'capi_ABCDEFGHIJKL_' + 'a'.repeat(43)],
    ['a short secret', 'capi_abcdefghijkl_short'],
    ['a secret with a space', 'capi_abcdefghijkl_' + 'a'.repeat(42) + ' '],
    ['a path traversal', 'capi_../../etc/pas_' + 'a'.repeat(43)],
  ];
  for (const [what, token] of malformed) {
    it(`refuses ${what}`, () => assert.equal(parseKey(token), undefined));
  }

  it('verifies the right secret and no other, and the stored hash is salted', async () => {
    const hash = await hashSecret('s3cret');
    assert.equal(await verifySecret('s3cret', hash), true);
    assert.equal(await verifySecret('s3cret!', hash), false);
    assert.notEqual(await hashSecret('s3cret'), hash);
    assert.ok(!hash.includes('s3cret'));
  });

  it('matches nothing with the decoy hash or a corrupted hash', async () => {
    assert.equal(await verifySecret('', decoyHash), false);
    assert.equal(await verifySecret('x', 'scrypt$16384$8$1$AAAA$AAAA'), false);
    assert.equal(await verifySecret('x', 'bcrypt$whatever'), false);
  });
});

describe('scopes derived from annotations', () => {
  it('asks write of every tool that changes something, kubeconfig of the credential tool, read of the rest', () => {
    const scopeOf = Object.fromEntries(tools.map((t) => [t.name, requiredScope(t)]));
    for (const t of tools) {
      if (!t.annotations.readOnlyHint) assert.equal(scopeOf[t.name], 'write', t.name);
    }
    assert.equal(scopeOf.get_cluster_kubeconfig, 'kubeconfig');
    assert.equal(scopeOf.list_clusters, 'read');
    assert.equal(scopeOf.delete_cluster, 'write');
  });

  it('lets admin do everything and limits namespaces only when the key names some', () => {
    assert.equal(hasScope({ keyId: 'a', scopes: ['admin'] }, 'write'), true);
    assert.equal(hasScope({ keyId: 'a', scopes: ['read'] }, 'kubeconfig'), false);
    assert.equal(mayUseNamespace({ keyId: 'a', scopes: ['read'] }, 'anything'), true);
    assert.equal(mayUseNamespace({ keyId: 'a', scopes: ['read'], namespaces: ['team-a'] }, 'team-b'), false);
  });
});

describe('the authenticator', () => {
  it('accepts a valid key and hands its scopes and namespaces to the tools', async () => {
    const store = tempStore();
    const { token, record } = await createKey(store, { name: 't', scopes: ['read', 'write'], namespaces: ['team-a'] });
    const result = await new Authenticator(store).authenticate(bearer(token), '10.0.0.1');
    assert.deepEqual(result, { ok: true, caller: { keyId: record.id, scopes: ['read', 'write'], namespaces: ['team-a'] } });
  });

  it('writes the file store owner-only and never the secret', async () => {
    const store = tempStore();
    const { token } = await createKey(store, { name: 't', scopes: ['read'] });
    assert.equal(statSync(store.path).mode & 0o777, 0o600);
    const text = JSON.stringify(await store.read());
    assert.ok(!text.includes(parseKey(token)!.secret));
  });

  it('refuses missing, malformed, unknown, wrong-secret, expired and revoked keys with the reason logged, not shown', async () => {
    const store = tempStore();
    const now = Date.parse('2026-11-25T12:00:00Z');
    const good = await createKey(store, { name: 'good', scopes: ['read'] });
    const expired = await createKey(store, { name: 'old', scopes: ['read'], expiresAt: new Date(now - 1000) });
    const revoked = await createKey(store, { name: 'gone', scopes: ['read'] });
    await revokeKey(store, revoked.record.id);
    const auth = new Authenticator(store, { now: () => now, maxFailures: 100 });
    const wrongSecret = `capi_${good.record.id}_${'A'.repeat(43)}`;
    const unknown = `capi_${'a'.repeat(12)}_${parseKey(good.token)!.secret}`;
    const cases: [string, string | null, string][] = [
      ['no header', null, 'missing'],
      ['a Basic header', 'Basic dXNlcjpwYXNz', 'missing'],
      ['a malformed token', 'Bearer not-a-key', 'malformed'],
      ['an unknown id', bearer(unknown), 'unknown-key'],
      ['a wrong secret', bearer(wrongSecret), 'wrong-secret'],
      ['an expired key', bearer(expired.token), 'expired'],
      ['a revoked key', bearer(revoked.token), 'disabled'],
    ];
    for (const [what, header, reason] of cases) {
      const result = await auth.authenticate(header, '10.0.0.2');
      assert.equal(result.ok, false, what);
      assert.equal(!result.ok && result.status, 401, what);
      assert.equal(!result.ok && result.reason, reason, what);
    }
  });

  it('stops accepting a revoked or rotated key once the cache TTL has passed, and accepts the rotated one', async () => {
    const store = tempStore();
    let now = 0;
    const auth = new Authenticator(store, { ttlMs: 30_000, now: () => now });
    const { token, record } = await createKey(store, { name: 't', scopes: ['read'] });
    assert.equal((await auth.authenticate(bearer(token), 's')).ok, true);

    const rotated = await rotateKey(store, record.id);
    now = 29_000;
    assert.equal((await auth.authenticate(bearer(token), 's')).ok, true, 'within the TTL the cached document still holds the old hash');
    now = 31_000;
    assert.equal((await auth.authenticate(bearer(token), 's')).ok, false, 'after the TTL the old secret is refused');
    assert.equal((await auth.authenticate(bearer(rotated.token), 's')).ok, true);

    await revokeKey(store, record.id);
    now = 62_000;
    const after = await auth.authenticate(bearer(rotated.token), 's');
    assert.equal(!after.ok && after.reason, 'disabled');
  });

  it('throttles a key id and a source after repeated failures, before spending scrypt', async () => {
    const store = tempStore();
    const { token, record } = await createKey(store, { name: 't', scopes: ['read'] });
    let now = 1_000_000;
    const auth = new Authenticator(store, { maxFailures: 3, failureWindowMs: 60_000, now: () => now });
    const wrong = bearer(`capi_${record.id}_${'B'.repeat(43)}`);
    for (let i = 0; i < 3; i++) assert.equal((await auth.authenticate(wrong, `10.0.1.${i}`)).ok, false);
    const throttled = await auth.authenticate(bearer(token), '10.0.2.1');
    assert.equal(!throttled.ok && throttled.status, 429, 'the key id is throttled even with the right secret, from another source');
    assert.ok(!throttled.ok && throttled.status === 429 && throttled.retryAfterSeconds > 0);
    for (let i = 0; i < 3; i++) await auth.authenticate('Bearer junk', '10.9.9.9');
    const fromSource = await auth.authenticate(bearer(generateKey().token), '10.9.9.9');
    assert.equal(!fromSource.ok && fromSource.status, 429, 'the source is throttled');
    now += 61_000;
    assert.equal((await auth.authenticate(bearer(token), '10.0.2.1')).ok, true, 'the window passes');
  });

  it('fails closed when the store cannot be read past one extra TTL, and names no secret', async () => {
    const store = tempStore();
    const { token } = await createKey(store, { name: 't', scopes: ['read'] });
    let now = 0;
    let broken = false;
    const flaky: KeyStore = { description: 'flaky', read: () => (broken ? Promise.reject(new Error('endpoint unreachable')) : store.read()), write: (f) => store.write(f) };
    const auth = new Authenticator(flaky, { ttlMs: 30_000, now: () => now });
    assert.equal((await auth.authenticate(bearer(token), 's')).ok, true);
    broken = true;
    now = 45_000;
    assert.equal((await auth.authenticate(bearer(token), 's')).ok, true, 'the last good copy serves one more TTL');
    now = 61_000;
    const result = await auth.authenticate(bearer(token), 's');
    assert.equal(!result.ok && result.status, 503);
  });

  it('refuses a malformed store document instead of failing open', async () => {
    const store = tempStore();
    writeFileSync(store.path, JSON.stringify({ version: 1, keys: [{ id: 'abcdefghijkl', hash: 'plain', scopes: ['admin'] }] }));
    const result = await new Authenticator(store).authenticate(bearer(generateKey().token), 's');
    assert.equal(!result.ok && result.status, 503);
  });
});
