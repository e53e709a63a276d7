/**
 * API keys: `capi_<id>_<secret>`. The id is public (it names the key in audit records and in the store);
 * the secret is 32 random bytes that only the holder ever sees. The store keeps a salted scrypt hash of
 * the secret, never the secret, and verification compares hashes in constant time.
 *
 * Note: scrypt (node:crypto) rather than a bcrypt/argon2 package: it is memory-hard, built in, and has no
 * native add-on to ship to Lambda. N=2^14, r=8 costs ≈16 MiB and tens of milliseconds per verification;
 * the authenticator caches successful verifications so a client pays it about once per minute.
 */
import { randomBytes, scrypt, timingSafeEqual, type BinaryLike, type ScryptOptions } from 'node:crypto';

const prefix = 'capi_';
const idAlphabet = 'abcdefghijklmnopqrstuvwxyz234567';
const idLength = 12;
const keyPattern = /^capi_([a-z2-7]{12})_([A-Za-z0-9_-]{43})$/;
const params = { N: 2 ** 14, r: 8, p: 1 } as const;
const hashLength = 32;

export interface ParsedKey {
  readonly id: string;
  readonly secret: string;
}

/** A new key: the full token (shown once) and its id. */
export function generateKey(): { readonly token: string; readonly id: string } {
  const bytes = randomBytes(idLength);
  const id = Array.from(bytes, (b) => idAlphabet[b % idAlphabet.length]).join('');
  return { token: `${prefix}${id}_${randomBytes(32).toString('base64url')}`, id };
}

/** The id and secret of a well-formed token; undefined for anything else (no detail: it is an attacker's input). */
export function parseKey(token: string): ParsedKey | undefined {
  const match = keyPattern.exec(token);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

/** `scrypt$N$r$p$salt$hash` (base64url), so the cost can rise later without breaking stored keys. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(secret, salt, hashLength, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** Whether `secret` matches `stored`, in time independent of where they differ. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (!(N > 1 && r > 0 && p > 0) || expected.length !== hashLength) return false;
  const actual = await scryptAsync(secret, salt, hashLength, { N, r, p, maxmem: 256 * N * r });
  return timingSafeEqual(actual, expected);
}

/**
 * A hash that matches no secret, verified when a token names an unknown key id so that "no such key"
 * costs the same scrypt as "wrong secret" and the two cannot be told apart by timing.
 */
export const decoyHash = `scrypt$${params.N}$${params.r}$${params.p}$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(hashLength).toString('base64url')}`;

function scryptAsync(password: BinaryLike, salt: BinaryLike, length: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, length, options, (error, key) => (error ? reject(error) : resolve(key))));
}
