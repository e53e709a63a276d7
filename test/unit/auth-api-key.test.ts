/**
 * shared/auth/api-key.ts: the key format (`capi_<id>_<secret>`), parsing, SHA-256 hashing of 256-bit
 * secrets, scrypt records of before still verifying, and the decoy an unknown id is checked against.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { scryptSync } from 'node:crypto';
import { join } from 'node:path';
import { decoyFor, generateKey, hashSecret, parseKey, verifySecret } from '../../shared/auth/api-key.ts';

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

  it('stores a new secret as its SHA-256, never the secret, and verifies the right secret and no other', async () => {
    const secret = parseKey(generateKey().token)!.secret;
    const hash = await hashSecret(secret);
    assert.match(hash, /^sha256\$[A-Za-z0-9_-]{43}$/);
    assert.ok(!hash.includes(secret));
    assert.equal(await verifySecret(secret, hash), true);
    assert.equal(await verifySecret(`${secret.slice(0, -1)}x`, hash), false);
  });

  it('still verifies the scrypt records that stores written before hold', async () => {
    // A record as the scrypt era wrote it (N=2^14, r=8, p=1, 16-byte salt): stores keep working until each key is rotated.
    const secret = 'legacy-secret';
    const salt = Buffer.alloc(16, 7);
    const legacy = ['scrypt', 16384, 8, 1, salt.toString('base64url'), scryptSync(secret, salt, 32, { N: 16384, r: 8, p: 1 }).toString('base64url')].join('$');
    assert.equal(await verifySecret(secret, legacy), true);
    assert.equal(await verifySecret('legacy-secret!', legacy), false);
  });

  const matchesNothing: [string, string][] = [
    ['the decoy of a store of SHA-256 records', decoyFor([])],
    ['the decoy of a store with scrypt records left', decoyFor(['scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'])],
    ['a truncated scrypt record', 'scrypt$16384$8$1$AAAA$AAAA'],
    ['a truncated SHA-256 record', 'sha256$AAAA'],
    ['an unknown scheme', 'bcrypt$whatever'],
    ['an empty record', ''],
  ];
  for (const [what, stored] of matchesNothing) {
    it(`matches no secret with ${what}`, async () => {
      assert.equal(await verifySecret('', stored), false);
      assert.equal(await verifySecret(parseKey(generateKey().token)!.secret, stored), false);
    });
  }

  const decoys: [string, string[], RegExp][] = [
    ['a store of SHA-256 records gets a SHA-256 decoy', ['sha256$' + 'B'.repeat(43)], /^sha256\$/],
    ['an empty store gets a SHA-256 decoy', [], /^sha256\$/],
    ['a store with one scrypt record left gets a scrypt decoy of the same cost', ['sha256$' + 'B'.repeat(43), 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$' + 'A'.repeat(43)], /^scrypt\$16384\$8\$1\$/],
  ];
  for (const [what, hashes, expected] of decoys) {
    it(what, () => assert.match(decoyFor(hashes), expected));
  }
});
