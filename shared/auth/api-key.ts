/**
 * API keys: `capi_<id>_<secret>`. The id is public (it names the key in audit records and in the store);
 * the secret is 32 random bytes that only the holder ever sees. The store keeps a hash of the secret,
 * never the secret, and verification compares hashes in constant time.
 *
 * Note: new records are `sha256$<hash>`, a plain SHA-256 of the secret, not a slow KDF. Slow, salted
 * hashes (scrypt, bcrypt, argon2) exist to make guessing a low-entropy password expensive; a 256-bit
 * random secret cannot be guessed at any speed, and no precomputed table covers 2^256 inputs, so a salt
 * and a work factor protect nothing here and cost every fresh process ≈70–90 ms of scrypt on its first
 * request. This is how other bearer-token systems store their tokens. Records of the scrypt era
 * (`scrypt$N$r$p$salt$hash`) still verify; `rotate` replaces them with SHA-256 ones.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual, type BinaryLike, type ScryptOptions } from 'node:crypto';

const prefix = 'capi_';
const idAlphabet = 'abcdefghijklmnopqrstuvwxyz234567';
const idLength = 12;
const keyPattern = /^capi_([a-z2-7]{12})_([A-Za-z0-9_-]{43})$/;
const hashLength = 32;
const sha256Pattern = /^sha256\$([A-Za-z0-9_-]{43})$/;

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

/** `sha256$<hash>` (base64url): the record a new or rotated key is stored as. */
export function hashSecret(secret: string): string {
  return `sha256$${sha256(secret).toString('base64url')}`;
}

/** Whether `secret` matches `stored` (either scheme), in time independent of where they differ. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const fast = sha256Pattern.exec(stored);
  if (fast) return timingSafeEqual(sha256(secret), Buffer.from(fast[1]!, 'base64url'));
  const legacy = scryptRecord(stored);
  if (!legacy) return false;
  const actual = await scryptAsync(secret, legacy.salt, hashLength, { ...legacy.params, maxmem: 256 * legacy.params.N * legacy.params.r });
  return timingSafeEqual(actual, legacy.hash);
}

/**
 * Verifies `secret` against a record's hash, or against `decoy` when the token named no record, such
 * that a refusal costs the decoy's work whatever was refused: an unknown id and a wrong secret cannot be
 * told apart by timing. With only SHA-256 records that work is one SHA-256; while scrypt records remain
 * (see `decoyFor`) every refusal pays one scrypt, as every refusal did before.
 */
export async function verifyOrDecoy(secret: string, stored: string | undefined, decoy: string): Promise<boolean> {
  if (stored !== undefined && (await verifySecret(secret, stored))) return true;
  if (stored === undefined || scheme(stored) !== scheme(decoy)) await verifySecret(secret, decoy);
  return false;
}

/**
 * A record that matches no secret and costs what the costliest record among `stored` costs: a SHA-256
 * one, or a scrypt one with the highest parameters present while scrypt records remain in the store.
 */
export function decoyFor(stored: Iterable<string>): string {
  let costliest: ScryptParams | undefined;
  for (const hash of stored) {
    const params = scryptRecord(hash)?.params;
    if (params && (!costliest || params.N * params.r * params.p > costliest.N * costliest.r * costliest.p)) costliest = params;
  }
  const zeros = Buffer.alloc(hashLength).toString('base64url');
  return costliest ? ['scrypt', costliest.N, costliest.r, costliest.p, Buffer.alloc(16).toString('base64url'), zeros].join('$') : `sha256$${zeros}`;
}

interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** `scrypt$N$r$p$salt$hash`, bounded (N ≤ 2^20) so a corrupt record cannot make verification exhaust memory. */
function scryptRecord(stored: string): { readonly params: ScryptParams; readonly salt: Buffer; readonly hash: Buffer } | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const hash = Buffer.from(parts[5]!, 'base64url');
  if (!(Number.isInteger(Math.log2(N)) && N > 1 && N <= 2 ** 20 && r > 0 && r <= 32 && p > 0 && p <= 16) || hash.length !== hashLength) return undefined;
  return { params: { N, r, p }, salt: Buffer.from(parts[4]!, 'base64url'), hash };
}

function scheme(stored: string): string {
  return stored.slice(0, stored.indexOf('$'));
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function scryptAsync(password: BinaryLike, salt: BinaryLike, length: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, length, options, (error, key) => (error ? reject(error) : resolve(key))));
}
