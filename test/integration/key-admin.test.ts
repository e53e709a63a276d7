/**
 * Key administration under concurrency, on both stores: a Secrets Manager secret on a real local
 * endpoint (moto) and a local file. Many creates and revokes run at once — as promises in one process
 * and as separate `npm run keys` processes — and afterwards every created key is in the store and every
 * revoked key is still revoked: no write undid another. The CLI refuses empty limits before writing.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createKey, revokeKey } from '../../shared/auth/key-admin.ts';
import { FileKeyStore, SecretsManagerKeyStore, type KeyStore } from '../../shared/auth/key-store.ts';
import { repoRoot } from '../../sandbox/layout.ts';
import { motoClient, motoClientConfig, motoRegion, startMoto } from '../support/moto.ts';

const execFileAsync = promisify(execFile);
const moto = await startMoto();
after(() => moto.stop());
const secretsManager = motoClient(SecretsManagerClient, moto);

async function newSecret(name: string): Promise<string> {
  const { ARN } = await secretsManager.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify({ version: 1, keys: [] }) }));
  return ARN!;
}

const newFile = () => join(mkdtempSync(join(tmpdir(), 'capi-key-admin-')), 'api-keys.json');

const stores: [string, () => Promise<{ store: KeyStore; option: string[] }>][] = [
  [
    'the Secrets Manager store',
    async () => {
      const arn = await newSecret(`capi-mcp/key-admin-${Math.random().toString(36).slice(2)}`);
      return { store: new SecretsManagerKeyStore(secretsManager, arn), option: ['--secret-arn', arn] };
    },
  ],
  [
    'the file store',
    async () => {
      const path = newFile();
      return { store: new FileKeyStore(path), option: ['--file', path] };
    },
  ],
];

/** `npm run keys -- …` as a process of its own; Secrets Manager reached through moto, as an operator's shell would. */
function keysCommand(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { credentials } = motoClientConfig(moto);
  return execFileAsync(process.execPath, [join(repoRoot, 'local', 'keys.ts'), ...args], {
    env: {
      PATH: process.env.PATH,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: moto.endpoint,
      AWS_REGION: motoRegion,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

/** Every created id present, every revoked id disabled, every other id enabled. */
async function assertNothingLost(store: KeyStore, created: readonly string[], revoked: readonly string[], untouched: readonly string[]): Promise<void> {
  const byId = new Map((await store.read()).keys.map((k) => [k.id, k]));
  const lost = created.filter((id) => !byId.has(id));
  assert.deepEqual(lost, [], `created keys missing from the store (${lost.length} of ${created.length})`);
  const undone = revoked.filter((id) => byId.get(id)?.disabled !== true);
  assert.deepEqual(undone, [], `revocations undone (${undone.length} of ${revoked.length})`);
  assert.deepEqual(untouched.filter((id) => byId.get(id)?.disabled !== false), [], 'keys nobody revoked stay enabled');
  assert.equal(byId.size, created.length + revoked.length + untouched.length);
}

for (const [what, open] of stores) {
  describe(`key administration on ${what}`, () => {
    it('loses no key and no revocation when 30 creates and 15 revokes run at once in one process', async () => {
      const { store } = await open();
      const existing: string[] = [];
      for (let i = 0; i < 20; i++) existing.push((await createKey(store, { name: `existing-${i}`, scopes: ['read'] })).record.id);
      const revoked = existing.slice(0, 15);
      const operations: Promise<{ id: string } | void>[] = [];
      for (let i = 0; i < 30; i++) {
        operations.push(createKey(store, { name: `new-${i}`, scopes: ['read'] }).then(({ record }) => ({ id: record.id })));
        if (i % 2 === 0) operations.push(revokeKey(store, revoked[i / 2]!).then(() => undefined));
      }
      const created = (await Promise.all(operations)).filter((r) => r !== undefined).map((r) => r.id);
      await assertNothingLost(store, created, revoked, existing.slice(15));
    });

    it('loses no key and no revocation when 6 `keys create` and 6 `keys revoke` processes run at once', async () => {
      const { store, option } = await open();
      const existing: string[] = [];
      for (let i = 0; i < 8; i++) existing.push((await createKey(store, { name: `existing-${i}`, scopes: ['read'] })).record.id);
      const revoked = existing.slice(0, 6);
      const runs = await Promise.all([
        ...Array.from({ length: 6 }, (_, i) => keysCommand(['create', '--name', `cli-${i}`, '--scopes', 'read', ...option])),
        ...revoked.map((id) => keysCommand(['revoke', id, ...option])),
      ]);
      for (const run of runs) assert.equal(run.code, 0, run.stderr);
      const created = runs.flatMap((r) => /^created key ([a-z2-7]{12}) /m.exec(r.stdout)?.[1] ?? []);
      assert.equal(created.length, 6);
      await assertNothingLost(store, created, revoked, existing.slice(6));
    });

    const refused: [string, string[], RegExp][] = [
      ['an empty --namespaces', ['--namespaces', ''], /--namespaces needs one or more namespace names/],
      ['a --namespaces with an empty name in it', ['--namespaces', 'team-a,,team-b'], /--namespaces needs one or more namespace names/],
      ['an empty --scopes', ['--scopes', ''], /--scopes needs one or more of read, kubeconfig, write, admin/],
    ];
    for (const [case_, args, message] of refused) {
      it(`refuses ${case_} with a clear error and writes nothing`, async () => {
        const { store, option } = await open();
        const run = await keysCommand(['create', '--name', 'k', '--scopes', 'read', ...args, ...option]);
        assert.equal(run.code, 2);
        assert.match(run.stderr, message);
        assert.deepEqual((await store.read()).keys, []);
      });
    }
  });
}
