/**
 * The first-start admin key of `npm start` (local/local-key.ts, called by local/start.ts), proven on the
 * real entry point: `local/start.ts` runs as a process of its own with a fresh data folder
 * (CAPI_MCP_DATA_DIR) and the test sandbox named in CAPI_MCP_MANAGEMENT_CLUSTERS, so it brings up no
 * sandbox of its own, exactly as a user pointing it at a cluster would. SECURITY.md promises: one admin
 * key on first start, printed once and written to `<data folder>/local-api-key` with mode 0600; the store
 * holds only its hash; a later start mints nothing and prints nothing secret.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { hashSecret, parseKey } from '../../shared/auth/api-key.ts';
import { repoRoot } from '../../sandbox/layout.ts';
import { testAuthPaths } from '../support/auth.ts';
import { modernRpc, testServerEnv } from '../support/mcp.ts';

const tokenShape = /capi_[a-z2-7]{12}_[A-Za-z0-9_-]{43}/g;
/** Process output for a failure message, with any key's secret cut: test output is a place too. */
const redacted = (text: string) => text.replace(/(capi_[a-z2-7]{12}_)[A-Za-z0-9_-]+/g, '$1[REDACTED]');

interface Started {
  /** Everything the process printed up to "press Ctrl-C to stop". */
  readonly output: string;
  readonly url: URL;
  /** SIGTERM, as Ctrl-C in a terminal; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** `npm start` (local/start.ts) as a process on `dataDir`, serving on a free port, until it says it serves. */
async function npmStart(dataDir: string): Promise<Started> {
  const child = spawn(process.execPath, [join(repoRoot, 'local', 'start.ts')], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      CAPI_MCP_DATA_DIR: dataDir,
      // A management cluster is named, so start.ts brings up no sandbox; it defaults to read-only then.
      CAPI_MCP_MANAGEMENT_CLUSTERS: testServerEnv().CAPI_MCP_MANAGEMENT_CLUSTERS,
      CAPI_MCP_PORT: '0',
      // Its logs and audit records go to the run's capture, which the canary scans for the key.
      CAPI_MCP_LOG_FILE: testAuthPaths.captureLog,
      POWERTOOLS_METRICS_DISABLED: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 60_000;
  while (!output.includes('press Ctrl-C to stop')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      assert.fail(`local/start.ts did not start serving (exit ${child.exitCode}): ${redacted(output)}`);
    }
    await sleep(50);
  }
  const served = /capi-mcp serving (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(output);
  assert.ok(served, `no serving line in: ${redacted(output)}`);
  return {
    output,
    url: new URL(served[1]!),
    stop: async () => {
      child.kill('SIGTERM');
      const code = await exited;
      process.removeListener('exit', kill);
      return code;
    },
  };
}

const statusWith = async (url: URL, token: string) => (await modernRpc(url, `Bearer ${token}`, 'tools/list')).status;
/** The permission bits, in octal as `ls -l` users read them. */
const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe('npm start on a fresh data folder', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'capi-local-key-'));
  const tokenFile = join(dataDir, 'local-api-key');
  const storeFile = join(dataDir, 'api-keys.json');
  let token = '';

  it('creates one admin key, prints it once, writes it to local-api-key with mode 0600 and stores only its hash', async () => {
    const started = await npmStart(dataDir);
    const printed = started.output.match(tokenShape) ?? [];
    assert.equal(printed.length, 1, `keys printed: ${printed.length}`);
    token = printed[0]!;
    assert.ok(started.output.includes(`saved to ${tokenFile} (mode 0600)`), 'the output says where the key was saved');

    assert.equal(modeOf(tokenFile), '600');
    assert.ok(lstatSync(tokenFile).isFile());
    assert.ok(readFileSync(tokenFile, 'utf8') === `${token}\n`, 'the file holds the printed key');

    const storeText = readFileSync(storeFile, 'utf8');
    const { secret, id } = parseKey(token)!;
    assert.ok(!storeText.includes(secret), 'the store does not hold the secret');
    const { keys } = JSON.parse(storeText);
    assert.equal(keys.length, 1);
    assert.deepEqual([keys[0].id, keys[0].name, keys[0].scopes], [id, 'local-admin', ['admin']]);
    assert.equal(keys[0].hash, hashSecret(secret), 'the record holds the SHA-256 of the printed secret');
    assert.equal(modeOf(storeFile), '600', 'the store is owner-only too');

    assert.equal(await statusWith(started.url, token), 200, 'the printed key connects at once');
    assert.equal(await statusWith(started.url, `capi_${id}_${'A'.repeat(43)}`), 401);
    assert.equal(await started.stop(), 0);
  });

  it('creates no second key on the next start and prints no key at all', async () => {
    assert.ok(token, 'the first start ran');
    const before = { file: readFileSync(tokenFile, 'utf8'), mtime: statSync(tokenFile).mtimeMs, store: readFileSync(storeFile, 'utf8') };
    const started = await npmStart(dataDir);
    assert.equal((started.output.match(tokenShape) ?? []).length, 0, 'no key printed');
    assert.ok(!started.output.includes(parseKey(token)!.secret));
    assert.ok(!started.output.includes('created the first API key'));
    assert.ok(started.output.includes(`$(cat ${tokenFile})`), 'the connect line points at the file, not the key');
    const now = { file: readFileSync(tokenFile, 'utf8'), mtime: statSync(tokenFile).mtimeMs, store: readFileSync(storeFile, 'utf8') };
    assert.ok(now.file === before.file, 'local-api-key keeps its content');
    assert.equal(now.mtime, before.mtime, 'local-api-key was not rewritten');
    assert.ok(now.store === before.store, 'the store was not written');
    assert.equal(modeOf(tokenFile), '600');
    assert.equal(await statusWith(started.url, token), 200, 'the first key still connects');
    assert.equal(await started.stop(), 0);
  });
});

describe('npm start with a local-api-key left from an earlier store', () => {
  it('writes the new key owner-only even over a world-readable file', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'capi-local-key-'));
    const tokenFile = join(dataDir, 'local-api-key');
    writeFileSync(tokenFile, 'a key of a store since removed\n');
    chmodSync(tokenFile, 0o644);
    const started = await npmStart(dataDir);
    const [token] = started.output.match(tokenShape) ?? [];
    assert.ok(token, 'a key was printed');
    assert.ok(readFileSync(tokenFile, 'utf8') === `${token}\n`, 'the file holds the printed key');
    assert.equal(modeOf(tokenFile), '600');
    assert.equal(await started.stop(), 0);
  });

  it('replaces a symlink there with a file of its own rather than writing the key where the link points', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'capi-local-key-'));
    const tokenFile = join(dataDir, 'local-api-key');
    const elsewhere = join(mkdtempSync(join(tmpdir(), 'capi-local-key-elsewhere-')), 'shared.txt');
    writeFileSync(elsewhere, 'not for keys\n');
    chmodSync(elsewhere, 0o644);
    symlinkSync(elsewhere, tokenFile);
    const started = await npmStart(dataDir);
    const [token] = started.output.match(tokenShape) ?? [];
    assert.ok(token, 'a key was printed');
    // Note: ok, not equal: a failure must not print the key the target would then hold.
    assert.ok(readFileSync(elsewhere, 'utf8') === 'not for keys\n', 'the link target is untouched');
    assert.ok(lstatSync(tokenFile).isFile(), 'local-api-key is now a file');
    assert.ok(readFileSync(tokenFile, 'utf8') === `${token}\n`, 'the file holds the printed key');
    assert.equal(modeOf(tokenFile), '600');
    assert.ok(existsSync(elsewhere));
    assert.equal(await started.stop(), 0);
  });
});
