/**
 * Turns an `Authorization: Bearer capi_…` header into a Caller, or a refusal.
 *
 * - The key document is re-read from the store at most every `ttlMs` (30 s), so a revocation or rotation
 *   takes effect within a minute everywhere without a redeploy. If a re-read fails, the last copy serves
 *   for one more TTL, then requests are refused (fail closed) rather than trusting a stale document.
 * - Successful verifications are remembered by the token's SHA-256 together with the stored hash they
 *   matched: a legacy scrypt record costs scrypt about once per TTL, a rotated or revoked key stops
 *   matching as soon as the document changes, and a token known good is never throttled.
 * - Unknown id, wrong secret, expired and disabled keys get the same answer after the same work;
 *   only the log record (never the caller) says which it was.
 * - Failures count per key id at a source and per source, never per key id alone: failures made with a
 *   key's public id from elsewhere must not lock its holder out. A source over either limit is answered
 *   429 before any costly verification, unless the token has verified before; over the per-source limit
 *   only, a valid key's token still gets in after one SHA-256, every other token gets the same 429
 *   (`admitsWhileThrottled`).
 */
import { createHash } from 'node:crypto';
import { decoyFor, parseKey, verifyOrDecoy, verifySecret } from './api-key.ts';
import type { KeyFile, KeyRecord, KeyStore } from './key-store.ts';
import type { Caller } from './scopes.ts';

export type AuthFailureReason = 'missing' | 'malformed' | 'unknown-key' | 'wrong-secret' | 'expired' | 'disabled';

type Throttled = { readonly ok: false; readonly status: 429; readonly reason: 'throttled'; readonly retryAfterSeconds: number; readonly keyId?: string };
type Unauthorized = { readonly ok: false; readonly status: 401; readonly reason: AuthFailureReason; readonly keyId?: string };

export type AuthResult =
  | { readonly ok: true; readonly caller: Caller }
  | Unauthorized
  | Throttled
  | { readonly ok: false; readonly status: 503; readonly reason: 'store-unavailable'; readonly detail: string };

export interface AuthenticatorOptions {
  readonly ttlMs?: number;
  /** Failures allowed for one key id from one source within `failureWindowMs` before 429 (default 10). */
  readonly maxFailures?: number;
  /** Failures allowed from one source, whatever the key ids, within `failureWindowMs` before 429 (default 3 × maxFailures). */
  readonly maxSourceFailures?: number;
  readonly failureWindowMs?: number;
  readonly now?: () => number;
}

const maxTracked = 10_000;

/** What a token at a throttled source is checked against when its key has no SHA-256 record: one SHA-256 of work. */
const sha256Decoy = decoyFor([]);

export class Authenticator {
  private readonly store: KeyStore;
  private readonly ttlMs: number;
  private readonly maxFailures: number;
  private readonly maxSourceFailures: number;
  private readonly failureWindowMs: number;
  private readonly now: () => number;
  private document?: KeyDocument;
  private loading?: Promise<KeyDocument>;
  private readonly verified = new Map<string, string>();
  private readonly failures = new Map<string, number[]>();

  constructor(store: KeyStore, options: AuthenticatorOptions = {}) {
    this.store = store;
    this.ttlMs = options.ttlMs ?? 30_000;
    this.maxFailures = options.maxFailures ?? 10;
    this.maxSourceFailures = options.maxSourceFailures ?? 3 * this.maxFailures;
    this.failureWindowMs = options.failureWindowMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  async authenticate(authorization: string | null, source: string): Promise<AuthResult> {
    const token = bearerToken(authorization);
    if (token === undefined) return { ok: false, status: 401, reason: 'missing' };
    const parsed = parseKey(token);
    if (!parsed) return this.throttledAnswer(source) ?? this.fail({ ok: false, status: 401, reason: 'malformed' }, source);

    let document: KeyDocument;
    try {
      document = await this.keys();
    } catch (error) {
      return { ok: false, status: 503, reason: 'store-unavailable', detail: (error as Error).message };
    }
    const record = document.file.keys.find((k) => k.id === parsed.id);
    const fingerprint = createHash('sha256').update(token).digest('hex');
    // Note: a token that verified before skips the throttle: failures others made from its source (a
    // shared NAT) or with its id cannot lock it out. Everything else faces it before any verification.
    const knownGood = record !== undefined && this.verified.get(fingerprint) === record.hash;
    if (!knownGood) {
      const throttled = this.throttledAnswer(source, parsed.id);
      if (throttled) {
        if (!(await this.admitsWhileThrottled(parsed, record, source))) return throttled;
        return this.admit(record!, fingerprint, parsed.id, source);
      }
    }
    const matches = knownGood || (await verifyOrDecoy(parsed.secret, record?.hash, document.decoy));
    const refusal = refusalOf(record, matches, this.now());
    if (refusal) {
      this.verified.delete(fingerprint);
      return this.fail({ ok: false, status: 401, reason: refusal, keyId: parsed.id }, source);
    }
    return this.admit(record!, fingerprint, parsed.id, source);
  }

  /**
   * Whether a token from a throttled source gets in: only when the source as a whole is over its limit
   * (or has no bucket left), not its key id, and the token is a valid key's with a SHA-256 record.
   *
   * Note: a source is an address many may share (everyone behind one NAT, every local client at
   * 127.0.0.1, a REST event without sourceIp as "unknown"), so failures with other ids there must not
   * lock a holder out, even in a fresh process that never saw the holder verify. Every other token gets
   * the same 429 as before, after the same work (one SHA-256, against a decoy when the id is unknown), so
   * the throttled source learns nothing from a wrong guess; a guess is a failure for its key id at the
   * source, and after `maxFailures` of them that id gets 429 without any check. A scrypt record (of
   * before) is not checked here: that check is the work the throttle spares.
   */
  private async admitsWhileThrottled(parsed: { readonly id: string; readonly secret: string }, record: KeyRecord | undefined, source: string): Promise<boolean> {
    if (this.wait(pairBucket(parsed.id, source), this.maxFailures) > 0) return false;
    const cheap = record?.hash.startsWith('sha256$') ? record.hash : undefined;
    const matches = (await verifySecret(parsed.secret, cheap ?? sha256Decoy)) && cheap !== undefined;
    if (matches && !refusalOf(record, true, this.now())) return true;
    this.recordFailure(pairBucket(parsed.id, source));
    return false;
  }

  private admit(record: KeyRecord, fingerprint: string, keyId: string, source: string): AuthResult {
    remember(this.verified, fingerprint, record.hash);
    this.failures.delete(pairBucket(keyId, source));
    return { ok: true, caller: { keyId: record.id, scopes: record.scopes, ...(record.namespaces ? { namespaces: record.namespaces } : {}), ...(record.managementClusters ? { managementClusters: record.managementClusters } : {}) } };
  }

  /** The cursor secret of the key document last read (shared/mcp/cursor.ts); undefined if it has none. */
  cursorKey(): string | undefined {
    return this.document?.file.cursorKey;
  }

  private async keys(): Promise<KeyDocument> {
    const now = this.now();
    if (this.document && now - this.document.loadedAt < this.ttlMs) return this.document;
    this.loading ??= this.store
      .read()
      .then((file) => {
        this.document = { file, loadedAt: this.now(), decoy: decoyFor(file.keys.map((k) => k.hash)) };
        return this.document;
      })
      .finally(() => {
        this.loading = undefined;
      });
    try {
      return await this.loading;
    } catch (error) {
      // One more TTL on the last good copy, then fail closed.
      if (this.document && now - this.document.loadedAt < 2 * this.ttlMs) return this.document;
      throw error;
    }
  }

  /**
   * The 429 for `source` (and the key id it names) when either is over its limit, or when the source has
   * no bucket and none can be made: every tracked bucket still holds a failure within the window.
   */
  private throttledAnswer(source: string, keyId?: string): Throttled | undefined {
    const untracked = !this.failures.has(sourceBucket(source)) && !this.roomForFailures();
    const wait = Math.max(
      untracked ? Math.ceil(this.failureWindowMs / 1000) : 0,
      this.wait(sourceBucket(source), this.maxSourceFailures),
      keyId === undefined ? 0 : this.wait(pairBucket(keyId, source), this.maxFailures),
    );
    return wait > 0 ? { ok: false, status: 429, reason: 'throttled', retryAfterSeconds: wait, ...(keyId ? { keyId } : {}) } : undefined;
  }

  private fail(result: Unauthorized, source: string): Unauthorized {
    for (const bucket of [sourceBucket(source), ...(result.keyId ? [pairBucket(result.keyId, source)] : [])]) this.recordFailure(bucket);
    return result;
  }

  private recordFailure(bucket: string): void {
    const at = this.now();
    const recent = (this.failures.get(bucket) ?? []).filter((t) => at - t < this.failureWindowMs);
    recent.push(at);
    // Note: the least recently failed bucket is first (a failure moves its bucket to the end), so the
    // expired ones are dropped from the front; a live one is never dropped, or failures from enough
    // other addresses would free a throttled source. Without room the failure goes unrecorded, and
    // `throttledAnswer` refuses new sources until buckets expire.
    this.failures.delete(bucket);
    if (this.roomForFailures()) this.failures.set(bucket, recent);
  }

  /** Whether the failure map can take one more bucket, after dropping those whose failures all expired. */
  private roomForFailures(): boolean {
    const at = this.now();
    for (const [bucket, times] of this.failures) {
      if (this.failures.size < maxTracked) return true;
      if (at - times[times.length - 1]! < this.failureWindowMs) return false;
      this.failures.delete(bucket);
    }
    return this.failures.size < maxTracked;
  }

  /** Seconds until `bucket` drops below `limit` failures; 0 when it is below. */
  private wait(bucket: string, limit: number): number {
    const at = this.now();
    const recent = (this.failures.get(bucket) ?? []).filter((t) => at - t < this.failureWindowMs);
    return recent.length >= limit ? Math.ceil((recent[recent.length - limit]! + this.failureWindowMs - at) / 1000) : 0;
  }
}

interface KeyDocument {
  readonly file: KeyFile;
  readonly loadedAt: number;
  /** What an unknown id is verified against (api-key.ts `decoyFor`), derived once per document. */
  readonly decoy: string;
}

const sourceBucket = (source: string) => `source:${source}`;
const pairBucket = (keyId: string, source: string) => `key:${keyId}@${source}`;

function refusalOf(record: KeyRecord | undefined, matches: boolean, now: number): AuthFailureReason | undefined {
  if (!record) return 'unknown-key';
  if (!matches) return 'wrong-secret';
  if (record.disabled) return 'disabled';
  if (record.expiresAt && Date.parse(record.expiresAt) <= now) return 'expired';
  return undefined;
}

function bearerToken(authorization: string | null): string | undefined {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
  return match?.[1];
}

/**
 * Map insertion with a bound: the oldest entry goes first, so hostile traffic cannot grow memory. Note:
 * for verified tokens only, where a dropped entry costs one more verification, never a throttle.
 */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > maxTracked) map.delete(map.keys().next().value!);
}
