/**
 * What authenticating costs, by the kind of record a key is stored as: `sha256$` (every key created or
 * rotated now) against `scrypt$` (N=2^14, r=8, p=1: keys of the scrypt era not rotated since).
 *
 * - first verification: a fresh Authenticator answering one request — what a new Lambda container or a
 *   new token pays; a refusal (unknown id) costs the same work by design;
 * - cold start: bench/cold-start.ts's measurement (a fresh process importing the bundled Lambda, then
 *   `server/discover` and `tools/list`) with the bench key stored either way, each against the SDK's
 *   hello-world run alternately with it.
 *
 * `node bench/auth.ts` runs alone, without a sandbox (BENCH_RUNS sets the cold-start runs, default 12).
 */
import { randomBytes, scryptSync } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKey, parseKey } from '../shared/auth/api-key.ts';
import { Authenticator } from '../shared/auth/authenticator.ts';
import { FileKeyStore } from '../shared/auth/key-store.ts';
import { repoRoot } from '../sandbox/layout.ts';
import { createBenchKey, type BenchKey } from './access.ts';
import { measureColdStart } from './cold-start.ts';
import { measureTogether, ms, ratio } from './stats.ts';

/** The scrypt-era record of `secret`, as api-key.ts wrote it before SHA-256 records. */
function scryptRecord(secret: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(secret, salt, 32, { N: 2 ** 14, r: 8, p: 1 });
  return ['scrypt', 2 ** 14, 8, 1, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** A copy of `key`'s store in `dir` with its record rewritten as a scrypt one (same token). */
async function withScryptRecord(key: BenchKey, dir: string): Promise<BenchKey> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const document = JSON.parse(await readFile(key.storeFile, 'utf8'));
  document.keys[0].hash = scryptRecord(parseKey(key.token)!.secret);
  const storeFile = join(dir, 'api-keys.json');
  await writeFile(storeFile, JSON.stringify(document), { mode: 0o600 });
  return { storeFile, token: key.token };
}

if (import.meta.main) {
  const dataDir = join(repoRoot, '.capi-mcp', 'bench-auth');
  const sha = await createBenchKey(join(dataDir, 'sha256'));
  const legacy = await withScryptRecord(sha, join(dataDir, 'scrypt'));
  const unknown = `Bearer ${generateKey().token}`;
  const first = (key: BenchKey, authorization = `Bearer ${key.token}`) => async () => {
    const result = await new Authenticator(new FileKeyStore(key.storeFile)).authenticate(authorization, 'bench');
    if (result.ok !== (authorization !== unknown)) throw new Error(`unexpected answer ${JSON.stringify(result)}`);
  };
  const verification = await measureTogether(
    { sha256: first(sha), scrypt: first(legacy), sha256Unknown: first(sha, unknown), scryptUnknown: first(legacy, unknown) },
    { runs: 30 },
  );
  console.log(`first verification   sha256 ${ms(verification.sha256)}   scrypt ${ms(verification.scrypt)}`);
  console.log(`unknown id refused   sha256 ${ms(verification.sha256Unknown)}   scrypt ${ms(verification.scryptUnknown)}`);

  const runs = Number(process.env.BENCH_RUNS ?? 12);
  const env = (key: BenchKey) => ({
    CAPI_MCP_MANAGEMENT_CLUSTERS: JSON.stringify([{ name: 'bench', kubeconfig: join(dataDir, 'kubeconfig') }]),
    CAPI_MCP_READ_ONLY: 'false',
    CAPI_MCP_API_KEYS_FILE: key.storeFile,
    CAPI_MCP_LOG_FILE: join(dataDir, 'server.log'),
  });
  for (const [name, key] of [['sha256', sha], ['scrypt', legacy]] as const) {
    const { capi, hello } = await measureColdStart({ outDir: join(dataDir, 'bundles'), key, env: env(key), runs });
    const split = `import ${capi.importMs.toFixed(0)} / discover ${capi.discoverMs.toFixed(0)} / tools/list ${capi.toolsListMs.toFixed(0)} ms`;
    console.log(`cold start, ${name.padEnd(6)} record: capi ${ms(capi.wall)} (${split}), hello ${ms(hello.wall)}, ratio ${ratio(capi.wall, hello.wall)}`);
  }
}
