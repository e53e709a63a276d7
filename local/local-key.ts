/**
 * First start of the embedded default: when the local key store holds no key, create one admin key,
 * write it to `.capi-mcp/local-api-key` (owner-only) and say so once, so a new user can connect at once.
 * Later starts find the store non-empty and create nothing; the token itself is never printed again.
 * A store written before cursor secrets existed gets its first one (list cursors are sealed with it).
 */
import { writeFile } from 'node:fs/promises';
import { createKey, modify } from '../shared/auth/key-admin.ts';
import { withCursorKey, type KeyStore } from '../shared/auth/key-store.ts';

export async function ensureLocalAdminKey(store: KeyStore, tokenFile: string): Promise<{ created: boolean; token?: string }> {
  const file = await store.read();
  if (file.keys.length > 0) {
    if (!file.cursorKey) await modify(store, withCursorKey);
    return { created: false };
  }
  const { token } = await createKey(store, { name: 'local-admin', scopes: ['admin'] });
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  return { created: true, token };
}
