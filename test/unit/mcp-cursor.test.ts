/**
 * Sealed cursors (shared/mcp/cursor.ts): a cursor opens only for the key it was issued to, the query it
 * continues and the deployment that sealed it; any change to it is refused; it shows nothing of its state.
 * The deployment's cursor secret lives in the API-key document, created by its first write.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKey } from '../../shared/auth/key-admin.ts';
import { CapiMcpError, ErrorCode } from '../../shared/errors.ts';
import { FileKeyStore, newCursorSecret } from '../../shared/auth/key-store.ts';
import { cursorsFor } from '../../shared/mcp/cursor.ts';

const secret = newCursorSecret();
const state = { namespace: 'tenant-b', continueToken: 'eyJzdGFydCI6InRlbmFudC1jL2hpZGRlbi1jbHVzdGVyXHUwMDAwIn0' };
const query = ['mc', '', ['tenant-a', 'tenant-b'], '', 1, ''];
const issued = cursorsFor(secret, 'keyaaaaaaaaa').seal('list_clusters', query, state);

function refusal(run: () => unknown): CapiMcpError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof CapiMcpError, String(error));
    return error;
  }
  assert.fail('expected a refusal');
}

describe('sealed cursors', () => {
  it('open to the state they were sealed with, for the same key and query', () => {
    assert.deepEqual(cursorsFor(secret, 'keyaaaaaaaaa').open('list_clusters', query, issued), state);
  });

  it('show nothing of their state, however they are decoded', () => {
    const decoded = Buffer.from(issued, 'base64url');
    for (const plain of ['tenant-b', 'tenant-a', state.continueToken, 'keyaaaaaaaaa', 'namespace']) {
      assert.ok(!decoded.includes(plain), plain);
      assert.ok(!Buffer.from(decoded.toString('utf8'), 'base64').includes(plain), plain);
    }
  });

  it('differ each time the same state is sealed (a fresh IV), and stay short', () => {
    const again = cursorsFor(secret, 'keyaaaaaaaaa').seal('list_clusters', query, state);
    assert.notEqual(again, issued);
    assert.ok(issued.length < 400, `${issued.length} characters`);
  });

  const refusals: [string, () => unknown, RegExp][] = [
    ['another key id', () => cursorsFor(secret, 'keybbbbbbbbb').open('list_clusters', query, issued), /^cursor was issued to another API key$/],
    ['another query', () => cursorsFor(secret, 'keyaaaaaaaaa').open('list_clusters', [...query.slice(0, 4), 2, ''], issued), /^cursor belongs to a listing with other arguments$/],
    ['another tool', () => cursorsFor(secret, 'keyaaaaaaaaa').open('tasks/list', query, issued), /^cursor is not one that tasks\/list returned$/],
    ['another deployment', () => cursorsFor(newCursorSecret(), 'keyaaaaaaaaa').open('list_clusters', query, issued), /^cursor is not one that list_clusters returned$/],
    ['a truncated cursor', () => cursorsFor(secret, 'keyaaaaaaaaa').open('list_clusters', query, issued.slice(0, -3)), /^cursor is not one that list_clusters returned$/],
    ['an empty cursor', () => cursorsFor(secret, 'keyaaaaaaaaa').open('list_clusters', query, ''), /^cursor is not one that list_clusters returned$/],
    ['plain base64 JSON', () => cursorsFor(secret, 'keyaaaaaaaaa').open('list_clusters', query, Buffer.from(JSON.stringify(state)).toString('base64url')), /^cursor is not one that list_clusters returned$/],
    ['random bytes', () => cursorsFor(secret, 'keyaaaaaaaaa').open('list_clusters', query, randomBytes(120).toString('base64url')), /^cursor is not one that list_clusters returned$/],
  ];
  for (const [what, run, message] of refusals) {
    it(`are refused for ${what}, as invalid input with the next step`, () => {
      const error = refusal(run);
      assert.equal(error.code, ErrorCode.InvalidInput);
      assert.match(error.message, message);
      assert.ok(error.hint && error.hint.length > 0);
    });
  }

  it('are refused after any single bit of them changes', () => {
    const bytes = Buffer.from(issued, 'base64url');
    for (let i = 0; i < bytes.length; i++) {
      const tampered = Buffer.from(bytes);
      tampered[i]! ^= 0x01;
      const error = refusal(() => cursorsFor(secret, 'keyaaaaaaaaa').open('list_clusters', query, tampered.toString('base64url')));
      assert.match(error.message, /^cursor is not one that list_clusters returned$/, `byte ${i}`);
    }
  });

  it('cannot be made or opened by a deployment whose key store holds no cursor secret, which says how to add one', () => {
    for (const run of [() => cursorsFor(undefined, 'keyaaaaaaaaa').seal('list_clusters', query, state), () => cursorsFor(undefined, 'keyaaaaaaaaa').open('list_clusters', query, issued)]) {
      const error = refusal(run);
      assert.equal(error.code, ErrorCode.Upstream);
      assert.match(error.message, /cursorKey/);
      assert.match(error.hint ?? '', /npm run keys/);
    }
  });

  it('new cursor secrets are 32 random bytes, base64url', () => {
    const a = newCursorSecret();
    assert.match(a, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, newCursorSecret());
  });
});

describe('the cursor secret of a key document', () => {
  it('is created by the first write and kept by every later one', async () => {
    const keys = new FileKeyStore(join(mkdtempSync(join(tmpdir(), 'capi-mcp-cursor-unit-')), 'api-keys.json'));
    assert.equal((await keys.read()).cursorKey, undefined);
    await createKey(keys, { name: 'first', scopes: ['read'] });
    const secret = (await keys.read()).cursorKey;
    assert.match(secret ?? '', /^[A-Za-z0-9_-]{43}$/);
    await createKey(keys, { name: 'second', scopes: ['read'] });
    assert.equal((await keys.read()).cursorKey, secret);
  });
});
