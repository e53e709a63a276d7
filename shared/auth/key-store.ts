/**
 * Where API keys live: one JSON document, the same format in a local file (the embedded default) and in
 * a Secrets Manager secret (production). It holds key ids, hashes (SHA-256; scrypt for keys not rotated
 * since that era), scopes, namespaces, expiry and a disabled flag — never a secret. Both stores read and
 * write the whole document: keys are few and change rarely, and one document keeps a revocation atomic.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { scopes } from './scopes.ts';

const keyRecordSchema = z
  .object({
    id: z.string().regex(/^[a-z2-7]{12}$/),
    name: z.string().min(1).max(100),
    hash: z.string().regex(/^(?:sha256\$[A-Za-z0-9_-]{43}|scrypt\$.+)$/),
    scopes: z.array(z.enum(scopes)).min(1),
    namespaces: z.array(z.string().min(1)).optional(),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime().optional(),
    disabled: z.boolean().default(false),
  })
  .strict();
export type KeyRecord = z.output<typeof keyRecordSchema>;

const keyFileSchema = z.object({ version: z.literal(1), keys: z.array(keyRecordSchema) }).strict();
export type KeyFile = z.output<typeof keyFileSchema>;

export const emptyKeyFile: KeyFile = { version: 1, keys: [] };

export interface KeyStore {
  /** Where the keys are, for messages (never secret). */
  readonly description: string;
  read(): Promise<KeyFile>;
  write(file: KeyFile): Promise<void>;
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

  constructor(path: string) {
    this.path = path;
    this.description = `file ${path}`;
  }

  async read(): Promise<KeyFile> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyKeyFile;
      throw error;
    }
    return parseKeyFile(text, this.description);
  }

  /** Write-then-rename, owner-only: a crash never leaves half a file, and other users cannot read hashes. */
  async write(file: KeyFile): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(keyFileSchema.parse(file), null, 2)}\n`, { mode: 0o600 });
    await chmod(temporary, 0o600);
    await rename(temporary, this.path);
  }
}

export class SecretsManagerKeyStore implements KeyStore {
  readonly description: string;
  private readonly client: SecretsManagerClient;
  private readonly secretId: string;

  constructor(client: SecretsManagerClient, secretId: string) {
    this.client = client;
    this.secretId = secretId;
    this.description = `secret ${secretId}`;
  }

  async read(): Promise<KeyFile> {
    try {
      const { SecretString } = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
      // A secret created without a value (or with CDK's placeholder) holds no keys yet.
      if (!SecretString || SecretString.trim() === '' || SecretString.trim() === '{}') return emptyKeyFile;
      return parseKeyFile(SecretString, this.description);
    } catch (error) {
      // The secret exists but has no AWSCURRENT value yet: no keys, not an outage.
      if (error instanceof ResourceNotFoundException && /staging label/i.test(error.message)) return emptyKeyFile;
      throw error;
    }
  }

  async write(file: KeyFile): Promise<void> {
    await this.client.send(new PutSecretValueCommand({ SecretId: this.secretId, SecretString: JSON.stringify(keyFileSchema.parse(file)) }));
  }
}

/** The store a config names. Secrets Manager honours AWS_ENDPOINT_URL_SECRETS_MANAGER (a local endpoint in tests). */
export function openKeyStore(
  config: { readonly kind: 'file'; readonly path: string } | { readonly kind: 'secretsmanager'; readonly secretId: string },
  wrap: <C>(client: C) => C = (client) => client,
): KeyStore {
  return config.kind === 'file' ? new FileKeyStore(config.path) : new SecretsManagerKeyStore(wrap(new SecretsManagerClient({})), config.secretId);
}
