/**
 * Turns an `Authorization: Bearer capi_…` header into a Caller, or a refusal.
 *
 * - The key document is re-read from the store at most every `ttlMs` (30 s), so a revocation or rotation
 *   takes effect within a minute everywhere without a redeploy. If a re-read fails, the last copy serves
 *   for one more TTL, then requests are refused (fail closed) rather than trusting a stale document.
 * - Successful verifications are remembered by the token's SHA-256 together with the stored hash they
 *   matched, so a client pays scrypt about once per TTL, and a rotated or revoked key stops matching as
 *   soon as the document changes.
 * - Unknown id, wrong secret, expired and disabled keys get the same answer after the same scrypt work;
 *   only the log record (never the caller) says which it was.
 * - Repeated failures from one key id or one source are throttled (429) before any scrypt is spent.
 */
import { createHash } from 'node:crypto';
import { decoyHash, parseKey, verifySecret } from './api-key.ts';
import type { KeyFile, KeyRecord, KeyStore } from './key-store.ts';
import type { Caller } from './scopes.ts';

export type AuthFailureReason = 'missing' | 'malformed' | 'unknown-key' | 'wrong-secret' | 'expired' | 'disabled';

type Unauthorized = { readonly ok: false; readonly status: 401; readonly reason: AuthFailureReason; readonly keyId?: string };

export type AuthResult =
  | { readonly ok: true; readonly caller: Caller }
  | Unauthorized
  | { readonly ok: false; readonly status: 429; readonly reason: 'throttled'; readonly retryAfterSeconds: number; readonly keyId?: string }
  | { readonly ok: false; readonly status: 503; readonly reason: 'store-unavailable'; readonly detail: string };

export interface AuthenticatorOptions {
  readonly ttlMs?: number;
  /** Failures allowed per key id and per source within `failureWindowMs` before 429. */
  readonly maxFailures?: number;
  readonly failureWindowMs?: number;
  readonly now?: () => number;
}

const maxTracked = 10_000;

export class Authenticator {
  private readonly store: KeyStore;
  private readonly ttlMs: number;
  private readonly maxFailures: number;
  private readonly failureWindowMs: number;
  private readonly now: () => number;
  private document?: { readonly file: KeyFile; readonly loadedAt: number };
  private loading?: Promise<KeyFile>;
  private readonly verified = new Map<string, string>();
  private readonly failures = new Map<string, number[]>();

  constructor(store: KeyStore, options: AuthenticatorOptions = {}) {
    this.store = store;
    this.ttlMs = options.ttlMs ?? 30_000;
    this.maxFailures = options.maxFailures ?? 10;
    this.failureWindowMs = options.failureWindowMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  async authenticate(authorization: string | null, source: string): Promise<AuthResult> {
    const token = bearerToken(authorization);
    if (token === undefined) return { ok: false, status: 401, reason: 'missing' };
    const parsed = parseKey(token);
    const keyId = parsed?.id;
    const throttled = this.throttled([`source:${source}`, ...(keyId ? [`key:${keyId}`] : [])]);
    if (throttled > 0) return { ok: false, status: 429, reason: 'throttled', retryAfterSeconds: throttled, ...(keyId ? { keyId } : {}) };
    if (!parsed) return this.fail({ ok: false, status: 401, reason: 'malformed' }, source);

    let file: KeyFile;
    try {
      file = await this.keys();
    } catch (error) {
      return { ok: false, status: 503, reason: 'store-unavailable', detail: (error as Error).message };
    }
    const record = file.keys.find((k) => k.id === parsed.id);
    const fingerprint = createHash('sha256').update(token).digest('hex');
    const matches =
      record !== undefined && this.verified.get(fingerprint) === record.hash ? true : await verifySecret(parsed.secret, record?.hash ?? decoyHash);
    const refusal = refusalOf(record, matches, this.now());
    if (refusal) {
      this.verified.delete(fingerprint);
      return this.fail({ ok: false, status: 401, reason: refusal, keyId: parsed.id }, source);
    }
    remember(this.verified, fingerprint, record!.hash);
    this.failures.delete(`key:${parsed.id}`);
    return { ok: true, caller: { keyId: record!.id, scopes: record!.scopes, ...(record!.namespaces ? { namespaces: record!.namespaces } : {}) } };
  }

  private async keys(): Promise<KeyFile> {
    const now = this.now();
    if (this.document && now - this.document.loadedAt < this.ttlMs) return this.document.file;
    this.loading ??= this.store
      .read()
      .then((file) => {
        this.document = { file, loadedAt: this.now() };
        return file;
      })
      .finally(() => {
        this.loading = undefined;
      });
    try {
      return await this.loading;
    } catch (error) {
      // One more TTL on the last good copy, then fail closed.
      if (this.document && now - this.document.loadedAt < 2 * this.ttlMs) return this.document.file;
      throw error;
    }
  }

  private fail(result: Unauthorized, source: string): Unauthorized {
    const at = this.now();
    for (const bucket of [`source:${source}`, ...(result.keyId ? [`key:${result.keyId}`] : [])]) {
      const recent = (this.failures.get(bucket) ?? []).filter((t) => at - t < this.failureWindowMs);
      recent.push(at);
      remember(this.failures, bucket, recent);
    }
    return result;
  }

  /** Seconds until the busiest of `buckets` drops below the limit; 0 when none is over it. */
  private throttled(buckets: readonly string[]): number {
    const at = this.now();
    let wait = 0;
    for (const bucket of buckets) {
      const recent = (this.failures.get(bucket) ?? []).filter((t) => at - t < this.failureWindowMs);
      if (recent.length >= this.maxFailures) wait = Math.max(wait, Math.ceil((recent[recent.length - this.maxFailures]! + this.failureWindowMs - at) / 1000));
    }
    return wait;
  }
}

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

/** Map insertion with a bound: the oldest entry goes first, so hostile traffic cannot grow memory. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > maxTracked) map.delete(map.keys().next().value!);
}
