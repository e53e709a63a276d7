/**
 * shared/kube/service-account-token.ts: the in-cluster bearer token, read from a real file as Kubernetes
 * mounts it, on a clock the test moves.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceAccountToken, serviceAccountAuthProvider } from '../../shared/kube/service-account-token.ts';

const user = { name: 'in-cluster', authProvider: { name: serviceAccountAuthProvider, config: {} } };

function mounted(content: string) {
  const path = join(mkdtempSync(join(tmpdir(), 'capi-mcp-sa-')), 'token');
  writeFileSync(path, content);
  let now = 1_000_000;
  const token = new ServiceAccountToken(path, () => now);
  return { path, token, advance: (ms: number) => (now += ms) };
}

async function headerOf(token: ServiceAccountToken): Promise<string | undefined> {
  const opts: { headers?: Record<string, string> } = {};
  await token.applyAuthentication(user, opts);
  return opts.headers?.Authorization;
}

describe('ServiceAccountToken', () => {
  it('authenticates only users that name it', () => {
    const { token } = mounted('abc');
    assert.equal(token.isAuthProvider(user), true);
    assert.equal(token.isAuthProvider({ name: 'x', authProvider: { name: 'oidc', config: {} } }), false);
    assert.equal(token.isAuthProvider({ name: 'x', token: 't' }), false);
  });

  it('sends the file\'s token without its trailing newline', async () => {
    const { token } = mounted('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln\n');
    assert.equal(await headerOf(token), 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln');
  });

  it('reads a rotated token once the one it has is a minute old, not before', async () => {
    const { path, token, advance } = mounted('first');
    assert.equal(await headerOf(token), 'Bearer first');
    writeFileSync(path, 'second');
    advance(59_000);
    assert.equal(await headerOf(token), 'Bearer first');
    advance(2_000);
    assert.equal(await headerOf(token), 'Bearer second');
  });

  it('refuses a file that is not one token, quoting nothing of it', async () => {
    for (const content of ['line1\nline2-SECRET', 'has space SECRET', '', 'x'.repeat(20_000)]) {
      const { path, token } = mounted(content);
      await assert.rejects(headerOf(token), (error: Error) => {
        assert.equal(error.message, `the ServiceAccount token file ${path} does not hold one token`);
        return true;
      });
    }
  });

  it('names a missing file by its path and error code only, and reads it once it exists', async () => {
    const { path, token } = mounted('later');
    rmSync(path);
    await assert.rejects(headerOf(token), { message: `cannot read the ServiceAccount token file ${path}: ENOENT` });
    writeFileSync(path, 'later');
    assert.equal(await headerOf(token), 'Bearer later');
  });

  it('keeps the token it has when a re-read fails (a rotation caught half-written)', async () => {
    const { path, token, advance } = mounted('good');
    assert.equal(await headerOf(token), 'Bearer good');
    writeFileSync(path, 'half\nwritten');
    advance(61_000);
    assert.equal(await headerOf(token), 'Bearer good');
    writeFileSync(path, 'rotated');
    assert.equal(await headerOf(token), 'Bearer rotated');
  });
});
