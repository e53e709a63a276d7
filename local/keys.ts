/**
 * `npm run keys -- create|list|revoke|rotate`: manages API keys in the local file store (default:
 * .capi-mcp/api-keys.json, as `npm start` uses) or in the Secrets Manager secret of a deployment
 * (`--secret-arn`, with the usual AWS credentials). A new or rotated key is printed once; the store only
 * ever holds its hash.
 *
 *   create --name NAME --scopes read[,kubeconfig,write,admin] [--namespaces a,b] [--management-clusters a,b] [--expires 30d|2027-01-01T00:00:00Z]
 *   list
 *   revoke ID
 *   rotate ID
 *   store options: [--file PATH | --secret-arn ARN]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createKey, revokeKey, rotateKey } from '../shared/auth/key-admin.ts';
import { openKeyStore } from '../shared/auth/key-store.ts';
import { scopes as knownScopes, type Scope } from '../shared/auth/scopes.ts';
import { optionsFromEnv } from '../sandbox/layout.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    name: { type: 'string' },
    scopes: { type: 'string' },
    namespaces: { type: 'string' },
    'management-clusters': { type: 'string' },
    expires: { type: 'string' },
    file: { type: 'string' },
    'secret-arn': { type: 'string' },
  },
});
const [command, id] = positionals;
const store = openKeyStore(
  values['secret-arn']
    ? { kind: 'secretsmanager', secretId: values['secret-arn'] }
    : { kind: 'file', path: values.file ?? process.env.CAPI_MCP_API_KEYS_FILE ?? join(optionsFromEnv().dataDir, 'api-keys.json') },
);

function fail(message: string): never {
  console.error(`keys: ${message}`);
  process.exit(2);
}

/**
 * A comma-separated option. With `refusal`, a given value must name at least one item and no empty
 * one: `--namespaces ""` is a typo or an empty variable, never "no limit", so it stops the command.
 */
function list(value: string | undefined, refusal?: string): string[] | undefined {
  const items = value?.split(',').map((s) => s.trim());
  if (refusal && items && (items.length === 0 || items.some((s) => s === ''))) fail(refusal);
  const named = items?.filter(Boolean);
  return named && named.length > 0 ? named : undefined;
}

function expiry(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const days = /^(\d+)d$/.exec(value);
  const date = days ? new Date(Date.now() + Number(days[1]) * 86_400_000) : new Date(value);
  if (Number.isNaN(date.getTime())) fail(`--expires takes "<days>d" or an ISO date, got "${value}"`);
  return date;
}

switch (command) {
  case 'create': {
    if (!values.name) fail('create needs --name');
    const scopes = list(values.scopes, `--scopes needs one or more of ${knownScopes.join(', ')}, comma-separated`) ?? fail(`create needs --scopes (any of ${knownScopes.join(', ')})`);
    const unknown = scopes.filter((s) => !(knownScopes as readonly string[]).includes(s));
    if (unknown.length > 0) fail(`unknown scope(s) ${unknown.join(', ')}; known: ${knownScopes.join(', ')}`);
    const namespaces = list(values.namespaces, '--namespaces needs one or more namespace names, comma-separated, none empty (leave it out for a key that may use every namespace)');
    const managementClusters = list(values['management-clusters'], '--management-clusters needs one or more management cluster names, comma-separated, none empty (leave it out for a key that may use every one)');
    const expiresAt = expiry(values.expires);
    const { token, record } = await createKey(store, {
      name: values.name,
      scopes: scopes as Scope[],
      ...(namespaces ? { namespaces } : {}),
      ...(managementClusters ? { managementClusters } : {}),
      ...(expiresAt ? { expiresAt } : {}),
    });
    console.log(`created key ${record.id} (${record.name}; scopes ${record.scopes.join(',')}) in ${store.description}`);
    console.log(`this is the only time it is shown:\n${token}`);
    break;
  }
  case 'list': {
    const { keys } = await store.read();
    for (const k of keys) {
      const state = k.disabled ? 'revoked' : k.expiresAt && Date.parse(k.expiresAt) <= Date.now() ? 'expired' : 'active';
      console.log(`${k.id}  ${state.padEnd(7)}  ${k.name}  scopes=${k.scopes.join(',')}  namespaces=${k.namespaces?.join(',') ?? '*'}  management-clusters=${k.managementClusters?.join(',') ?? '*'}  expires=${k.expiresAt ?? 'never'}`);
    }
    if (keys.length === 0) console.log(`no keys in ${store.description}`);
    break;
  }
  case 'revoke': {
    if (!id) fail('revoke needs the key id');
    const record = await revokeKey(store, id).catch((e: Error) => fail(e.message));
    console.log(`revoked ${record.id} (${record.name}); servers stop accepting it within a minute`);
    break;
  }
  case 'rotate': {
    if (!id) fail('rotate needs the key id');
    const { token, record } = await rotateKey(store, id).catch((e: Error) => fail(e.message));
    console.log(`rotated ${record.id} (${record.name}); the old secret stops working within a minute. New key, shown once:\n${token}`);
    break;
  }
  default:
    fail('usage: npm run keys -- create|list|revoke|rotate [options] (see local/keys.ts)');
}
