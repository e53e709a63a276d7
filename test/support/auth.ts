/**
 * API keys for the test run. The global setup creates one admin key — the canary — in a fresh local
 * store; every test server authenticates with that store and every test client sends the canary, and
 * all server logs and audit records go to the run's capture (test/support/capture.ts). The canary test
 * (test/integration/zz-canary.test.ts, the last file that serves MCP) scans it for anything secret-shaped.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKey, modify } from '../../shared/auth/key-admin.ts';
import { FileKeyStore, withCursorKey } from '../../shared/auth/key-store.ts';
import { capturePaths } from './capture.ts';
import { testSandboxOptions } from './sandbox.ts';

const dir = join(testSandboxOptions.dataDir, 'auth');

export const testAuthPaths = {
  keyStore: join(dir, 'api-keys.json'),
  canary: join(dir, 'canary-api-key'),
  /** This run's capture log (a folder per run: see test/support/capture.ts). */
  get captureLog(): string {
    return capturePaths().log;
  },
} as const;

/**
 * Global setup: a store holding the canary admin key. It is kept while it exists, so test runs that
 * overlap (or a run after another) share one canary; a fresh checkout (CI) starts it anew. The capture
 * is not shared: each run opens its own (startTestRun).
 */
export async function prepareTestAuth(): Promise<void> {
  if (existsSync(testAuthPaths.canary) && existsSync(testAuthPaths.keyStore)) {
    // A store kept from before cursor secrets existed gets one, as `npm start` gives a local store.
    const store = new FileKeyStore(testAuthPaths.keyStore);
    if (!(await store.read()).cursorKey) await modify(store, withCursorKey);
    return;
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { token } = await createKey(new FileKeyStore(testAuthPaths.keyStore), { name: 'canary', scopes: ['admin'] });
  writeFileSync(testAuthPaths.canary, token, { mode: 0o600 });
}

/** The canary admin key every test client sends unless it says otherwise. */
export function testApiKey(): string {
  return readFileSync(testAuthPaths.canary, 'utf8').trim();
}

/** `Authorization` header for a token (default: the canary). */
export function authHeaders(token = testApiKey()): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
