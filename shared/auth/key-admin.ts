/**
 * Key lifecycle over any KeyStore: create (the token is returned once and never stored), list, revoke
 * (disable: the record stays for the audit trail) and rotate (a new secret under the same id and
 * scopes; the old secret stops working as soon as servers re-read the store).
 */
import { generateKey, hashSecret, parseKey } from './api-key.ts';
import type { KeyRecord, KeyStore } from './key-store.ts';
import type { Scope } from './scopes.ts';

export interface NewKey {
  readonly name: string;
  readonly scopes: readonly Scope[];
  readonly namespaces?: readonly string[];
  readonly expiresAt?: Date;
}

export async function createKey(store: KeyStore, spec: NewKey, now = new Date()): Promise<{ token: string; record: KeyRecord }> {
  const { token, id } = generateKey();
  const record: KeyRecord = {
    id,
    name: spec.name,
    hash: await hashSecret(parseKey(token)!.secret),
    scopes: [...new Set(spec.scopes)],
    ...(spec.namespaces ? { namespaces: [...spec.namespaces] } : {}),
    createdAt: now.toISOString(),
    ...(spec.expiresAt ? { expiresAt: spec.expiresAt.toISOString() } : {}),
    disabled: false,
  };
  const file = await store.read();
  await store.write({ ...file, keys: [...file.keys, record] });
  return { token, record };
}

export async function revokeKey(store: KeyStore, id: string): Promise<KeyRecord> {
  return update(store, id, async (record) => ({ ...record, disabled: true }));
}

export async function rotateKey(store: KeyStore, id: string): Promise<{ token: string; record: KeyRecord }> {
  let token = '';
  const record = await update(store, id, async (old) => {
    const secret = generateKey().token.split('_').slice(2).join('_');
    token = `capi_${old.id}_${secret}`;
    return { ...old, hash: await hashSecret(secret) };
  });
  return { token, record };
}

async function update(store: KeyStore, id: string, change: (record: KeyRecord) => Promise<KeyRecord>): Promise<KeyRecord> {
  const file = await store.read();
  const index = file.keys.findIndex((k) => k.id === id);
  if (index < 0) throw new Error(`no API key with id ${id} in ${store.description}`);
  const updated = await change(file.keys[index]!);
  await store.write({ ...file, keys: file.keys.map((k, i) => (i === index ? updated : k)) });
  return updated;
}
