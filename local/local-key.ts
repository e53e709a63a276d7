/**
 * First start of the embedded default: when the local key store holds no key, create one admin key,
 * write it to `.capi-mcp/local-api-key` (owner-only) and say so once, so a new user can connect at once.
 * Later starts find the store non-empty and create nothing; the token itself is never printed again.
 * A store written before cursor secrets existed gets its first one (list cursors are sealed with it).
 */
import { randomUUID } from 'node:crypto';
import { chmod, rename, rm, writeFile } from 'node:fs/promises';
import { createKey, modify } from '../shared/auth/key-admin.ts';
import { withCursorKey, type KeyStore } from '../shared/auth/key-store.ts';

export async function ensureLocalAdminKey(store: KeyStore, tokenFile: string): Promise<{ created: boolean; token?: string }> {
  const file = await store.read();
  if (file.keys.length > 0) {
    if (!file.cursorKey) await modify(store, withCursorKey);
    return { created: false };
  }
  const { token } = await createKey(store, { name: 'local-admin', scopes: ['admin'] });
  await writeOwnerOnly(tokenFile, `${token}\n`);
  return { created: true, token };
}

/**
 * Writes a new owner-only file and renames it over `path`. Note: writing to `path` itself would keep the
 * mode of a file left there (a world-readable one stays world-readable) and follow a symlink, putting
 * the key wherever the link points; a rename replaces either with this file.
 */
async function writeOwnerOnly(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await writeFile(temporary, text, { mode: 0o600, flag: 'wx' });
    await chmod(temporary, 0o600);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
