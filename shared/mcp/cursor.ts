/**
 * Sealed pagination cursors. What a tool needs to continue a listing — an API server continue token (which
 * names the next object, possibly in a namespace the caller may not see), the namespace a walk has reached —
 * goes to the agent and back as AES-256-GCM ciphertext, so the agent learns nothing from a cursor, cannot
 * forge or alter one, and cannot use one for another key or another query.
 *
 * - The key: HKDF-SHA256 of the deployment's `cursorKey`, a random secret in the API-key document
 *   (shared/auth/key-store.ts). The document is what every Lambda container and every restart already
 *   reads, so a cursor sealed by one opens in all; nothing a caller sees derives it. Replacing it voids the
 *   outstanding cursors and nothing else.
 * - A cursor: base64url(version ‖ 12-byte random IV ‖ ciphertext ‖ 16-byte tag), authenticated together
 *   with the version and the purpose (the tool), so one tool's cursor is garbage to another.
 * - Inside: the key id it was issued to, a digest of the query it continues, and the tool's state. Both
 *   are compared after decryption, so a refusal can say which was wrong.
 */
import { createCipheriv, createDecipheriv, createHash, createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { CapiMcpError, ErrorCode } from '../errors.ts';

const version = 1;
const ivLength = 12;
const tagLength = 16;

/** Cursors as one caller's requests seal and open them. */
export interface Cursors {
  /** Seals `state` for the next call of `purpose` (a tool or method name) with the same `query`. */
  seal(purpose: string, query: readonly unknown[], state: unknown): string;
  /** The state `cursor` was sealed with; InvalidInput if it was not sealed here for this key and query. */
  open(purpose: string, query: readonly unknown[], cursor: string): unknown;
}

/**
 * The cursors of caller `keyId` under the deployment secret `secret`; without one (a key document written
 * before cursor keys existed) every seal and open fails with what to do about it.
 */
export function cursorsFor(secret: string | undefined, keyId: string): Cursors {
  return {
    seal(purpose, query, state) {
      const key = keyOf(secret);
      const iv = randomBytes(ivLength);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: tagLength });
      cipher.setAAD(additionalData(purpose));
      const plain = Buffer.from(JSON.stringify({ k: keyId, q: digest(query), s: state }));
      return Buffer.concat([Buffer.of(version), iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]).toString('base64url');
    },
    open(purpose, query, cursor) {
      const key = keyOf(secret);
      const sealed = unsealed(key, purpose, cursor);
      if (sealed.k !== keyId) {
        throw new CapiMcpError(ErrorCode.InvalidInput, 'cursor was issued to another API key', {
          hint: `page with the cursors your own calls return: call ${purpose} without cursor to start`,
        });
      }
      if (sealed.q !== digest(query)) {
        throw new CapiMcpError(ErrorCode.InvalidInput, 'cursor belongs to a listing with other arguments', {
          hint: `repeat the arguments of the first ${purpose} call with the cursor, or omit cursor to start over`,
        });
      }
      return sealed.s;
    },
  };
}

function unsealed(key: KeyObject, purpose: string, cursor: string): { k?: unknown; q?: unknown; s?: unknown } {
  const bytes = Buffer.from(cursor, 'base64url');
  try {
    if (bytes.length < 1 + ivLength + tagLength || bytes[0] !== version) throw new Error('not a sealed cursor');
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(1, 1 + ivLength), { authTagLength: tagLength });
    decipher.setAAD(additionalData(purpose));
    decipher.setAuthTag(bytes.subarray(bytes.length - tagLength));
    const plain = Buffer.concat([decipher.update(bytes.subarray(1 + ivLength, bytes.length - tagLength)), decipher.final()]);
    const value: unknown = JSON.parse(plain.toString('utf8'));
    if (typeof value !== 'object' || value === null) throw new Error('not a cursor state');
    return value;
  } catch {
    // Note: one answer for every failure — which check failed would tell a forger how close it came.
    throw new CapiMcpError(ErrorCode.InvalidInput, `cursor is not one that ${purpose} returned`, {
      hint: 'pass next_cursor from the previous page unchanged, or omit cursor',
    });
  }
}

function additionalData(purpose: string): Buffer {
  return Buffer.from(`capi-mcp cursor v${version} ${purpose}`);
}

/** The query as a short digest: cursors stay small however long the query (a key's namespace list). */
function digest(query: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(query)).digest('base64url').slice(0, 22);
}

let derived: { readonly secret: string; readonly key: KeyObject } | undefined;

function keyOf(secret: string | undefined): KeyObject {
  if (!secret) {
    throw new CapiMcpError(ErrorCode.Upstream, 'cannot page: the API key store holds no cursorKey to seal cursors with', {
      hint: 'an administrator runs any `npm run keys` command that writes the store (create, rotate or revoke), which adds one',
    });
  }
  if (derived?.secret !== secret) {
    derived = { secret, key: createSecretKey(Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'capi-mcp cursor key', 32))) };
  }
  return derived.key;
}
