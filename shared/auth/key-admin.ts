/**
 * Key lifecycle over any KeyStore: create (the token is returned once and never stored), list, revoke
 * (disable: the record stays for the audit trail) and rotate (a new secret under the same id and
 * scopes; the old secret stops working as soon as servers re-read the store). Every write also gives a
 * document without a cursor secret its first one (see key-store.ts).
 *
 * Every change is read → change → compare-and-swap (`modify`), retried on conflict, so operations that
 * run at once (two operators, a script) never undo each other: a `create` cannot write back a key that a
 * concurrent `revoke` disabled, a `revoke` cannot drop a key created meanwhile.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { generateKey, hashSecret, parseKey } from './api-key.ts';
import { KeyStoreConflictError, withCursorKey, type KeyFile, type KeyRecord, type KeyStore } from './key-store.ts';
import { scopes as knownScopes, type Scope } from './scopes.ts';

export interface NewKey {
  readonly name: string;
  readonly scopes: readonly Scope[];
  readonly namespaces?: readonly string[];
  /** Never empty: a key limited to no management cluster is refused rather than stored. */
  readonly managementClusters?: readonly string[];
  readonly expiresAt?: Date;
}

export async function createKey(store: KeyStore, spec: NewKey, now = new Date()): Promise<{ token: string; record: KeyRecord }> {
  refuseEmptyLimits(spec);
  const { token, id } = generateKey();
  const record: KeyRecord = {
    id,
    name: spec.name,
    hash: hashSecret(parseKey(token)!.secret),
    scopes: [...new Set(spec.scopes)],
    ...(spec.namespaces ? { namespaces: [...spec.namespaces] } : {}),
    ...(spec.managementClusters ? { managementClusters: [...new Set(spec.managementClusters)] } : {}),
    createdAt: now.toISOString(),
    ...(spec.expiresAt ? { expiresAt: spec.expiresAt.toISOString() } : {}),
    disabled: false,
  };
  await modify(store, (file) => ({ ...withCursorKey(file), keys: [...file.keys, record] }));
  return { token, record };
}

export async function revokeKey(store: KeyStore, id: string): Promise<KeyRecord> {
  return update(store, id, (record) => ({ ...record, disabled: true }));
}

export async function rotateKey(store: KeyStore, id: string): Promise<{ token: string; record: KeyRecord }> {
  // One secret for every attempt, so the token returned is the one whose hash was stored. A scrypt-era
  // record becomes a SHA-256 one here.
  const secret = parseKey(generateKey().token)!.secret;
  const record = await update(store, id, (old) => ({ ...old, hash: hashSecret(secret) }));
  return { token: `capi_${record.id}_${secret}`, record };
}

async function update(store: KeyStore, id: string, change: (record: KeyRecord) => KeyRecord): Promise<KeyRecord> {
  let updated: KeyRecord | undefined;
  await modify(store, (file) => {
    const index = file.keys.findIndex((k) => k.id === id);
    if (index < 0) throw new Error(`no API key with id ${id} in ${store.description}`);
    updated = change(file.keys[index]!);
    return { ...withCursorKey(file), keys: file.keys.map((k, i) => (i === index ? updated! : k)) };
  });
  return updated!;
}

/**
 * Applies `change` to the stored document by compare-and-swap: on a conflict, reads the document
 * again and applies `change` to it afresh (never the stale copy), after a random pause that doubles up
 * to a second (so many writers at once spread out rather than collide again), for up to `budgetMs`.
 * `change` must be pure: it may run more than once.
 */
export async function modify(store: KeyStore, change: (file: KeyFile) => KeyFile, budgetMs = 60_000): Promise<KeyFile> {
  const deadline = Date.now() + budgetMs;
  for (let pause = 10; ; pause = Math.min(pause * 2, 1000)) {
    const { file, version } = await store.readVersioned();
    const changed = change(file);
    try {
      await store.replace(changed, version);
      return changed;
    } catch (error) {
      if (!(error instanceof KeyStoreConflictError) || Date.now() > deadline) throw error;
    }
    await sleep(pause * Math.random());
  }
}

const namespaceName = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * A limit must limit: an empty list or an empty name is refused, never stored, since "no namespaces"
 * is easy to mistake for "any namespace" (and `--namespaces ""` for "none given").
 */
function refuseEmptyLimits(spec: NewKey): void {
  if (spec.name.length < 1 || spec.name.length > 100) throw new Error(`a key's name must be 1 to 100 characters, got ${spec.name.length}`);
  if (spec.scopes.length === 0) throw new Error(`a key needs scopes: at least one of (${knownScopes.join(', ')})`);
  const unknown = spec.scopes.find((s) => !(knownScopes as readonly string[]).includes(s));
  if (unknown !== undefined) throw new Error(`unknown scope "${unknown}"; known: ${knownScopes.join(', ')}`);
  if (spec.managementClusters !== undefined && (spec.managementClusters.length === 0 || spec.managementClusters.some((c) => c === ''))) {
    throw new Error('a key limited to management clusters needs at least one, none empty; leave the limit out for a key that may use every one');
  }
  if (spec.namespaces === undefined) return;
  if (spec.namespaces.length === 0) throw new Error('a key limited to namespaces needs at least one; leave the limit out for a key that may use every namespace');
  const invalid = spec.namespaces.find((n) => !namespaceName.test(n));
  if (invalid !== undefined) throw new Error(`namespace "${invalid}" is not a valid namespace name (lower-case letters, digits and "-", at most 63)`);
}
