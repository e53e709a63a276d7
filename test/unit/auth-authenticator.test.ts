/**
 * shared/auth/authenticator.ts over a real file store: every refusal reason, the identical answer and
 * work for unknown id and wrong secret, revocation and rotation through the store after the cache TTL,
 * throttling per key id at a source and per source (never against a key everywhere), a bounded failure
 * map that never frees a throttled source, and failing closed when the store cannot be read.
 */
import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import crypto, { scryptSync } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey, parseKey } from '../../shared/auth/api-key.ts';
import { Authenticator } from '../../shared/auth/authenticator.ts';
import { createKey, revokeKey, rotateKey } from '../../shared/auth/key-admin.ts';
import { FileKeyStore, type KeyStore } from '../../shared/auth/key-store.ts';
import { tools } from '../../shared/mcp/registry.ts';

const tempStore = () => new FileKeyStore(join(mkdtempSync(join(tmpdir(), 'capi-keys-')), 'api-keys.json'));
const bearer = (token: string) => `Bearer ${token}`;

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

  it('fails closed when the store cannot be read past one extra TTL, and names no secret', async () => {
    const store = tempStore();
    const { token } = await createKey(store, { name: 't', scopes: ['read'] });
    let now = 0;
    let broken = false;
    const flaky: KeyStore = {
      description: 'flaky',
      read: () => (broken ? Promise.reject(new Error('endpoint unreachable')) : store.read()),
      readVersioned: () => store.readVersioned(),
      replace: (file, version) => store.replace(file, version),
    };
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

describe('throttling: failures count per key id at a source and per source, never against a key everywhere', () => {
  type Sent = 'holder' | 'other' | 'wrong-secret for the holder\'s id' | 'unknown id' | 'junk';
  interface Attempt {
    readonly send: Sent;
    readonly from: string;
    readonly times?: number;
  }
  const fiftyFromFiveSources: Attempt[] = ['10.1.0.1', '10.1.0.2', '10.1.0.3', '10.1.0.4', '10.1.0.5'].map((from) => ({
    send: 'wrong-secret for the holder\'s id',
    from,
    times: 10,
  }));
  // Defaults: 10 failures a minute for one key id from one source, 30 from one source whatever the ids.
  const cases: { readonly name: string; readonly before: readonly Attempt[]; readonly then: Attempt; readonly status: 200 | 401 | 429 }[] = [
    {
      name: 'the holder who verified before gets in while the key id fails 50 times from five other sources',
      before: [{ send: 'holder', from: '10.0.0.1' }, ...fiftyFromFiveSources],
      then: { send: 'holder', from: '10.0.0.1' },
      status: 200,
    },
    {
      name: 'a fresh process lets the holder in from a source that has not failed while the key id fails 50 times elsewhere',
      before: fiftyFromFiveSources,
      then: { send: 'holder', from: '10.0.0.1' },
      status: 200,
    },
    {
      name: 'the holder who verified before gets in from a source that others behind it have exhausted',
      before: [{ send: 'holder', from: '10.2.0.1' }, { send: 'wrong-secret for the holder\'s id', from: '10.2.0.1', times: 10 }, { send: 'unknown id', from: '10.2.0.1', times: 30 }],
      then: { send: 'holder', from: '10.2.0.1' },
      status: 200,
    },
    {
      name: 'a source that failed 10 times on a key id may still use another key',
      before: [{ send: 'wrong-secret for the holder\'s id', from: '10.3.0.1', times: 10 }],
      then: { send: 'other', from: '10.3.0.1' },
      status: 200,
    },
    {
      name: 'a source that failed 9 times on a key id is still answered 401, not throttled',
      before: [{ send: 'wrong-secret for the holder\'s id', from: '10.4.0.1', times: 9 }],
      then: { send: 'wrong-secret for the holder\'s id', from: '10.4.0.1' },
      status: 401,
    },
    {
      name: 'a source that failed 10 times on a key id gets 429 for it, even with the right secret: it may test no more guesses',
      before: [{ send: 'wrong-secret for the holder\'s id', from: '10.5.0.1', times: 10 }],
      then: { send: 'holder', from: '10.5.0.1' },
      status: 429,
    },
    {
      name: 'a fresh process lets the holder in from a source that failed 30 times with other key ids (a shared address)',
      before: [{ send: 'unknown id', from: '10.6.0.1', times: 30 }],
      then: { send: 'other', from: '10.6.0.1' },
      status: 200,
    },
    {
      name: 'a source that failed 30 times across key ids gets 429 for a wrong secret of a real key id',
      before: [{ send: 'unknown id', from: '10.6.0.2', times: 30 }],
      then: { send: 'wrong-secret for the holder\'s id', from: '10.6.0.2' },
      status: 429,
    },
    {
      name: 'a source that failed 30 times across key ids gets 429 for an unknown key id',
      before: [{ send: 'unknown id', from: '10.6.0.3', times: 30 }],
      then: { send: 'unknown id', from: '10.6.0.3' },
      status: 429,
    },
    {
      name: 'a source that failed 30 times across key ids, then 10 on the holder\'s id, gets 429 even with the right secret',
      before: [{ send: 'unknown id', from: '10.6.0.4', times: 30 }, { send: 'wrong-secret for the holder\'s id', from: '10.6.0.4', times: 10 }],
      then: { send: 'holder', from: '10.6.0.4' },
      status: 429,
    },
    {
      name: 'malformed tokens count against their source',
      before: [{ send: 'junk', from: '10.7.0.1', times: 30 }],
      then: { send: 'junk', from: '10.7.0.1' },
      status: 429,
    },
  ];
  for (const { name, before, then, status } of cases) {
    it(name, async () => {
      const store = tempStore();
      const holder = await createKey(store, { name: 'holder', scopes: ['read'] });
      const other = await createKey(store, { name: 'other', scopes: ['read'] });
      const auth = new Authenticator(store, { now: () => 1_000_000 });
      const tokens: Record<Sent, () => string> = {
        holder: () => holder.token,
        other: () => other.token,
        "wrong-secret for the holder's id": () => `capi_${holder.record.id}_${'B'.repeat(43)}`,
        'unknown id': () => generateKey().token,
        junk: () => 'junk',
      };
      for (const { send, from, times = 1 } of before) {
        for (let i = 0; i < times; i++) await auth.authenticate(bearer(tokens[send]()), from);
      }
      const result = await auth.authenticate(bearer(tokens[then.send]()), then.from);
      assert.equal(result.ok ? 200 : result.status, status, JSON.stringify(result));
      if (!result.ok && result.status === 429) assert.ok(result.retryAfterSeconds >= 1 && result.retryAfterSeconds <= 60, `Retry-After ${result.retryAfterSeconds}`);
    });
  }

  it('lets a throttled source in again once its failures leave the window', async () => {
    const store = tempStore();
    const { token, record } = await createKey(store, { name: 't', scopes: ['read'] });
    let now = 1_000_000;
    const auth = new Authenticator(store, { maxFailures: 3, failureWindowMs: 60_000, now: () => now });
    for (let i = 0; i < 3; i++) await auth.authenticate(bearer(`capi_${record.id}_${'B'.repeat(43)}`), '10.8.0.1');
    const throttled = await auth.authenticate(bearer(token), '10.8.0.1');
    assert.equal(!throttled.ok && throttled.status === 429 && throttled.retryAfterSeconds, 60);
    now += 61_000;
    assert.equal((await auth.authenticate(bearer(token), '10.8.0.1')).ok, true);
  });
});

describe('the failure map stays bounded without freeing a throttled source', () => {
  // Each failure from a new source adds two buckets (the source, and the key id at it); 10,000 are kept.
  const unknownId = () => bearer(generateKey().token);
  const failFrom = async (auth: Authenticator, sources: number) => {
    for (let i = 0; i < sources; i++) await auth.authenticate(unknownId(), `10.9.${i >> 8}.${i & 255}`);
  };

  it('keeps a throttled source throttled however many other sources fail after it', async () => {
    const auth = new Authenticator(tempStore(), { now: () => 1_000_000 });
    for (let i = 0; i < 30; i++) await auth.authenticate(unknownId(), '10.10.0.1');
    await failFrom(auth, 5_001);
    const result = await auth.authenticate(unknownId(), '10.10.0.1');
    assert.equal(result.ok ? 200 : result.status, 429, JSON.stringify(result));
  });

  it('answers 429 to a new source whose token fails while the map is full of live buckets', async () => {
    const auth = new Authenticator(tempStore(), { now: () => 1_000_000 });
    await failFrom(auth, 5_000);
    const result = await auth.authenticate(unknownId(), '10.11.0.1');
    assert.equal(result.ok ? 200 : result.status, 429, JSON.stringify(result));
  });

  it('lets in a new source whose token verifies while the map is full of live buckets', async () => {
    const store = tempStore();
    const { token } = await createKey(store, { name: 'holder', scopes: ['read'] });
    const auth = new Authenticator(store, { now: () => 1_000_000 });
    await failFrom(auth, 5_000);
    assert.equal((await auth.authenticate(bearer(token), '10.11.0.2')).ok, true);
  });

  it('makes room for a new source once older buckets have left the window', async () => {
    let now = 1_000_000;
    const auth = new Authenticator(tempStore(), { now: () => now });
    await failFrom(auth, 5_000);
    now += 61_000;
    const result = await auth.authenticate(unknownId(), '10.11.0.1');
    assert.equal(result.ok ? 200 : result.status, 401, JSON.stringify(result));
  });
});

describe('the work a refusal costs', () => {
  /** A record as the scrypt era wrote it, for a secret nobody holds. */
  const legacyRecord = {
    id: 'legacylegacy',
    name: 'legacy',
    hash: ['scrypt', 16384, 8, 1, Buffer.alloc(16, 1).toString('base64url'), scryptSync('nobody', Buffer.alloc(16, 1), 32, { N: 16384, r: 8, p: 1 }).toString('base64url')].join('$'),
    scopes: ['read'],
    createdAt: '2026-01-01T00:00:00.000Z',
    disabled: false,
  };
  const cases: [string, boolean, number][] = [
    ['in a store of SHA-256 records, unknown id and wrong secret each cost one SHA-256 and no scrypt', false, 0],
    ['while a scrypt record remains, unknown id and wrong secret on a SHA-256 key each cost one scrypt', true, 1],
  ];
  for (const [name, withLegacy, scrypts] of cases) {
    it(name, async (t) => {
      const store = tempStore();
      const good = await createKey(store, { name: 'good', scopes: ['read'] });
      if (withLegacy) {
        const file = JSON.parse(readFileSync(store.path, 'utf8'));
        writeFileSync(store.path, JSON.stringify({ ...file, keys: [...file.keys, legacyRecord] }));
      }
      const auth = new Authenticator(store, { maxFailures: 100 });
      await auth.authenticate(bearer(good.token), 'warm-up');
      const scrypt = t.mock.method(crypto, 'scrypt');
      syncBuiltinESMExports();
      t.after(() => {
        scrypt.mock.restore();
        syncBuiltinESMExports();
      });
      const answers = [];
      for (const token of [`capi_${'a'.repeat(12)}_${parseKey(good.token)!.secret}`, `capi_${good.record.id}_${'A'.repeat(43)}`]) {
        const before = scrypt.mock.callCount();
        const result = await auth.authenticate(bearer(token), '10.9.0.1');
        answers.push(result.ok ? 200 : result.status);
        assert.equal(scrypt.mock.callCount() - before, scrypts, token.slice(0, 18));
      }
      assert.deepEqual(answers, [401, 401]);
    });
  }
});
