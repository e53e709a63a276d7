/**
 * Where API keys live: one JSON document, the same format in a local file (the embedded default) and in
 * a Secrets Manager secret (production). It holds key ids, hashes (SHA-256; scrypt for keys not rotated
 * since that era), scopes, namespace and management-cluster limits, expiry and a disabled flag — never an API key.
 * Both stores read and write the whole document: keys are few and change rarely, and one document keeps
 * a revocation atomic.
 *
 * Writes are compare-and-swap: `replace` writes only over the version `readVersioned` returned and
 * otherwise throws KeyStoreConflictError, so two administrators working at once cannot undo each other
 * (a `create` that read the document before a `revoke` landed must not write the key back as enabled).
 * key-admin.ts re-reads and retries. The file store takes a lock file (O_EXCL) around check-and-rename;
 * Secrets Manager stages the new version without AWSCURRENT, then moves AWSCURRENT from the version read
 * to it (UpdateSecretVersionStage fails when the label has moved since).
 *
 * The document also holds the deployment's `cursorKey`, the secret list cursors are sealed with
 * (shared/mcp/cursor.ts): every server already reads this document, it is readable by nothing a caller
 * controls, and it is the same for every Lambda container and after every restart. The first write
 * through key-admin adds it, so any document that holds a key holds one.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { scopes } from './scopes.ts';

const keyRecordSchema = z
  .object({
    id: z.string().regex(/^[a-z2-7]{12}$/),
    name: z.string().min(1).max(100),
    hash: z.string().regex(/^(?:sha256\$[A-Za-z0-9_-]{43}|scrypt\$.+)$/),
    scopes: z.array(z.enum(scopes)).min(1),
    namespaces: z.array(z.string().min(1)).optional(),
    /** Management clusters the key is limited to; never empty (a key for nothing is a mistake, not a limit). */
    managementClusters: z.array(z.string().min(1)).min(1).optional(),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime().optional(),
    disabled: z.boolean().default(false),
  })
  .strict();
export type KeyRecord = z.output<typeof keyRecordSchema>;

const keyFileSchema = z
  .object({ version: z.literal(1), cursorKey: z.string().regex(/^[A-Za-z0-9_-]{43,}$/).optional(), keys: z.array(keyRecordSchema) })
  .strict();
export type KeyFile = z.output<typeof keyFileSchema>;

/** A new cursor secret: 32 random bytes, base64url. */
export function newCursorSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** `file` with a cursor secret: its own if it has one (replacing it would void every open cursor). */
export function withCursorKey(file: KeyFile): KeyFile {
  return file.cursorKey ? file : { ...file, cursorKey: newCursorSecret() };
}

export const emptyKeyFile: KeyFile = { version: 1, keys: [] };

export interface KeyStore {
  /** Where the keys are, for messages (never secret). */
  readonly description: string;
  read(): Promise<KeyFile>;
  /** The document and the version it was read at, for `replace`. */
  readVersioned(): Promise<VersionedKeyFile>;
  /** Writes `file` if the store still holds `version` (undefined: no document yet); else KeyStoreConflictError. */
  replace(file: KeyFile, version: string | undefined): Promise<void>;
}

export interface VersionedKeyFile {
  readonly file: KeyFile;
  /** Opaque: a content hash (file) or a secret VersionId (Secrets Manager); undefined when nothing is stored yet. */
  readonly version: string | undefined;
}

/** Someone else wrote the document after it was read: read again, apply the change again. */
export class KeyStoreConflictError extends Error {
  constructor(where: string) {
    super(`the API key store ${where} changed while this change was being made`);
    this.name = 'KeyStoreConflictError';
  }
}

/** Parses a stored document, naming the store when it is malformed rather than failing open. */
export function parseKeyFile(text: string, where: string): KeyFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`the API key store ${where} is not JSON: ${(error as Error).message}`);
  }
  const parsed = keyFileSchema.safeParse(json);
  if (!parsed.success) throw new Error(`the API key store ${where} is invalid: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export class FileKeyStore implements KeyStore {
  readonly path: string;
  readonly description: string;
  private readonly lockPath: string;
  private readonly lockTimeoutMs: number;

  /** `lockTimeoutMs`: how long a writer waits for another one's lock (default 10 s; a write holds it for milliseconds). */
  constructor(path: string, { lockTimeoutMs = 10_000 }: { readonly lockTimeoutMs?: number } = {}) {
    this.path = path;
    this.description = `file ${path}`;
    this.lockPath = `${path}.lock`;
    this.lockTimeoutMs = lockTimeoutMs;
  }

  async read(): Promise<KeyFile> {
    return (await this.readVersioned()).file;
  }

  async readVersioned(): Promise<VersionedKeyFile> {
    const text = await this.readText();
    return text === undefined ? { file: emptyKeyFile, version: undefined } : { file: parseKeyFile(text, this.description), version: contentVersion(text) };
  }

  /** Under the lock: compare, then write-then-rename owner-only, so a crash never leaves half a file and other users cannot read hashes. */
  async replace(file: KeyFile, version: string | undefined): Promise<void> {
    const text = `${JSON.stringify(keyFileSchema.parse(file), null, 2)}\n`;
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const unlock = await this.lock();
    try {
      const current = await this.readText();
      if ((current === undefined ? undefined : contentVersion(current)) !== version) throw new KeyStoreConflictError(this.description);
      const temporary = `${this.path}.${process.pid}.${randomUUID()}.tmp`;
      await writeFile(temporary, text, { mode: 0o600 });
      await chmod(temporary, 0o600);
      await rename(temporary, this.path);
    } finally {
      await unlock();
    }
  }

  private async readText(): Promise<string | undefined> {
    try {
      return await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /**
   * Creates the lock file exclusively (O_EXCL) with this process's id in it, waiting while another
   * writer holds it. A lock whose process is gone (a writer that crashed) is set aside and retaken.
   */
  private async lock(): Promise<() => Promise<void>> {
    const deadline = Date.now() + this.lockTimeoutMs;
    for (let pause = 2; ; pause = Math.min(pause * 2, 100)) {
      try {
        const handle = await open(this.lockPath, 'wx', 0o600);
        await handle.writeFile(`${process.pid}\n`);
        await handle.close();
        return () => rm(this.lockPath, { force: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      if (await this.breakAbandonedLock()) continue;
      if (Date.now() > deadline) {
        throw new Error(`the API key store ${this.description} is locked by another writer (${this.lockPath}); if no key command is running, remove that file`);
      }
      await sleep(pause * (0.5 + Math.random()));
    }
  }

  /**
   * Whether the lock was abandoned and is now gone. Note: a holder that died between creating the file
   * and writing its pid leaves an empty file; after a second it counts as abandoned too. The lock is set
   * aside by renaming (only one of several breakers can), and only if it is still the file judged.
   */
  private async breakAbandonedLock(): Promise<boolean> {
    let judged;
    let holder: number;
    try {
      judged = await stat(this.lockPath);
      holder = Number.parseInt(await readFile(this.lockPath, 'utf8'), 10);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
      throw error;
    }
    const abandoned = Number.isInteger(holder) && holder > 0 ? !processRuns(holder) : Date.now() - judged.mtimeMs > 1000;
    if (!abandoned) return false;
    const aside = `${this.lockPath}.${process.pid}.${randomUUID()}.abandoned`;
    try {
      await rename(this.lockPath, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
      throw error;
    }
    // Another breaker replaced the lock between the look and the rename: put the live one back (link,
    // which never replaces a lock taken meanwhile).
    if ((await stat(aside)).ino !== judged.ino) await link(aside, this.lockPath).catch(() => undefined);
    await rm(aside, { force: true });
    return true;
  }
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function contentVersion(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/**
 * The Secrets Manager client package, imported on first use. Note: ~180 KiB of code (the client and the
 * SDK core under it) that a server reading its keys from a file never runs, and a Lambda container runs
 * only from its first authenticated request on: it is not part of what a cold start loads.
 */
const secretsManager = () => import('@aws-sdk/client-secrets-manager');

export class SecretsManagerKeyStore implements KeyStore {
  readonly description: string;
  private readonly secretId: string;
  private readonly makeClient: () => Promise<SecretsManagerClient>;
  private client: Promise<SecretsManagerClient> | undefined;

  /** `client`: a client, or how to make one when the store is first read or written. */
  constructor(client: SecretsManagerClient | (() => Promise<SecretsManagerClient>), secretId: string) {
    this.makeClient = typeof client === 'function' ? client : async () => client;
    this.secretId = secretId;
    this.description = `secret ${secretId}`;
  }

  private async connect() {
    // Note: a failed import or construction is not kept, so the next request tries again.
    this.client ??= this.makeClient().catch((error: unknown) => {
      this.client = undefined;
      throw error;
    });
    return { client: await this.client, sdk: await secretsManager() };
  }

  async read(): Promise<KeyFile> {
    return (await this.readVersioned()).file;
  }

  async readVersioned(): Promise<VersionedKeyFile> {
    const { client, sdk } = await this.connect();
    try {
      // Note: AWSCURRENT is what GetSecretValue returns by default; naming it also makes moto (the tests'
      // endpoint) follow the label after UpdateSecretVersionStage rather than the version put last.
      const { SecretString, VersionId } = await client.send(new sdk.GetSecretValueCommand({ SecretId: this.secretId, VersionStage: 'AWSCURRENT' }));
      // A secret created without a value (or with CDK's placeholder) holds no keys yet.
      if (!SecretString || SecretString.trim() === '' || SecretString.trim() === '{}') return { file: emptyKeyFile, version: VersionId };
      return { file: parseKeyFile(SecretString, this.description), version: VersionId };
    } catch (error) {
      // The secret exists but has no AWSCURRENT value yet: no keys, not an outage.
      if (error instanceof sdk.ResourceNotFoundException && /staging label/i.test(error.message)) return { file: emptyKeyFile, version: undefined };
      throw error;
    }
  }

  /**
   * Stages the document as a new version without AWSCURRENT, then moves AWSCURRENT to it from `version`:
   * Secrets Manager refuses the move when AWSCURRENT is no longer on `version`, which makes it a
   * compare-and-swap. A version that lost the race keeps only the staging label (Secrets Manager keeps
   * unlabelled versions for at least a day and prunes them beyond 100), and is never served.
   */
  async replace(file: KeyFile, version: string | undefined): Promise<void> {
    const { client, sdk } = await this.connect();
    const staged = await client.send(
      new sdk.PutSecretValueCommand({
        SecretId: this.secretId,
        SecretString: JSON.stringify(keyFileSchema.parse(file)),
        ClientRequestToken: randomUUID(),
        VersionStages: [stagingLabel],
      }),
    );
    // The first version of a secret gets AWSCURRENT whatever it asks for.
    if (staged.VersionStages?.includes('AWSCURRENT')) {
      if (version === undefined) return;
      throw new KeyStoreConflictError(this.description);
    }
    try {
      await client.send(
        new sdk.UpdateSecretVersionStageCommand({
          SecretId: this.secretId,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: staged.VersionId,
          ...(version === undefined ? {} : { RemoveFromVersionId: version }),
        }),
      );
    } catch (error) {
      if (error instanceof sdk.InvalidParameterException && (await this.readVersioned()).version !== version) throw new KeyStoreConflictError(this.description);
      throw error;
    }
  }
}

/** The label a new version carries until it becomes AWSCURRENT (not AWSPENDING, which rotation functions own). */
const stagingLabel = 'capi-mcp-staged';

/** The store a config names. Secrets Manager honours AWS_ENDPOINT_URL_SECRETS_MANAGER (a local endpoint in tests). */
export function openKeyStore(
  config: { readonly kind: 'file'; readonly path: string } | { readonly kind: 'secretsmanager'; readonly secretId: string },
  wrap: <C>(client: C) => C = (client) => client,
): KeyStore {
  if (config.kind === 'file') return new FileKeyStore(config.path);
  return new SecretsManagerKeyStore(async () => wrap(new (await secretsManager()).SecretsManagerClient({})), config.secretId);
}
