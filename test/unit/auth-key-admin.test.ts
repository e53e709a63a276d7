/**
 * shared/auth/key-admin.ts and the file store's compare-and-swap (shared/auth/key-store.ts): creates,
 * revokes and rotations that lose no update under concurrency, stale writes refused, abandoned and live
 * locks, and empty limits refused before anything is written.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseKey, verifySecret } from '../../shared/auth/api-key.ts';
import { createKey, revokeKey, rotateKey, type NewKey } from '../../shared/auth/key-admin.ts';
import { FileKeyStore, KeyStoreConflictError } from '../../shared/auth/key-store.ts';
import { type Scope } from '../../shared/auth/scopes.ts';

const tempStore = () => new FileKeyStore(join(mkdtempSync(join(tmpdir(), 'capi-keys-')), 'api-keys.json'));

describe('key administration', () => {
  it('loses neither a created key nor a revocation when creates, revokes and rotations run at once', async () => {
    const store = tempStore();
    const existing = [];
    for (let i = 0; i < 10; i++) existing.push(await createKey(store, { name: `existing-${i}`, scopes: ['read'] }));
    const operations: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      operations.push(createKey(store, { name: `new-${i}`, scopes: ['read'] }));
      if (i < 6) operations.push(revokeKey(store, existing[i]!.record.id));
      else if (i < 10) operations.push(rotateKey(store, existing[i]!.record.id));
    }
    const results = await Promise.all(operations);
    const { keys } = await store.read();
    assert.equal(keys.length, 30, 'every created key is in the store');
    const byId = new Map(keys.map((k) => [k.id, k]));
    for (const { record } of existing.slice(0, 6)) assert.equal(byId.get(record.id)?.disabled, true, `revocation of ${record.id} kept`);
    for (const result of results) {
      if (result && typeof result === 'object' && 'token' in result) {
        const { token, record } = result as { token: string; record: { id: string } };
        assert.equal(await verifySecret(parseKey(token)!.secret, byId.get(record.id)!.hash), true, `the token returned for ${record.id} is the one stored`);
      }
    }
  });

  it('refuses a write made from an outdated read, leaving the store as the other writer left it', async () => {
    const store = tempStore();
    await createKey(store, { name: 'first', scopes: ['read'] });
    const stale = await store.readVersioned();
    const second = await createKey(store, { name: 'second', scopes: ['read'] });
    await assert.rejects(store.replace({ ...stale.file, keys: [] }, stale.version), KeyStoreConflictError);
    assert.ok((await store.read()).keys.some((k) => k.id === second.record.id));
  });

  it('breaks the lock file of a writer that died, and waits for a live one, then names the lock', async () => {
    const store = new FileKeyStore(tempStore().path, { lockTimeoutMs: 300 });
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    writeFileSync(`${store.path}.lock`, `${dead}\n`);
    await createKey(store, { name: 'after a crash', scopes: ['read'] });
    writeFileSync(`${store.path}.lock`, `${process.pid}\n`);
    await assert.rejects(createKey(store, { name: 'while locked', scopes: ['read'] }), new RegExp(`locked.*${store.path}\\.lock`));
    assert.deepEqual((await store.read()).keys.map((k) => k.name), ['after a crash']);
  });

  const refused: [string, Partial<NewKey>, RegExp][] = [
    ['an empty namespace list (a limit to nothing, easy to mistake for no limit)', { namespaces: [] }, /namespaces.*at least one/],
    ['an empty namespace name', { namespaces: ['team-a', ''] }, /namespace "" is not a valid namespace name/],
    ['a namespace name Kubernetes would refuse', { namespaces: ['Team_A'] }, /namespace "Team_A" is not a valid namespace name/],
    ['an empty scope list', { scopes: [] }, /scopes.*at least one/],
    ['an unknown scope', { scopes: ['root' as Scope] }, /unknown scope "root"/],
    ['an empty name', { name: '' }, /name must be 1 to 100 characters/],
  ];
  for (const [what, change, message] of refused) {
    it(`refuses to create a key with ${what}, and writes nothing`, async () => {
      const store = tempStore();
      await assert.rejects(createKey(store, { name: 'k', scopes: ['read'], ...change }), message);
      assert.deepEqual((await store.read()).keys, []);
    });
  }
});
