/**
 * Management-cluster limits: the one check in invoke (shared/mcp/invoke.ts, assertManagementCluster) and
 * the key records that carry them (shared/auth/key-admin.ts, key-store.ts), where an empty list is refused.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKey } from '../../shared/auth/key-admin.ts';
import { FileKeyStore, parseKeyFile } from '../../shared/auth/key-store.ts';
import type { Caller } from '../../shared/auth/scopes.ts';
import { CapiMcpError } from '../../shared/errors.ts';
import type { ManagementClusters } from '../../shared/kube/management-clusters.ts';
import { assertManagementCluster } from '../../shared/mcp/invoke.ts';

const clusters = { names: ['alpha', 'bravo', 'charlie'], client: () => assert.fail('no client is built by the check') } as ManagementClusters;
const caller = (managementClusters?: string[]): Caller => ({ keyId: 'keyaaaaaaaaa', scopes: ['read'], ...(managementClusters ? { managementClusters } : {}) });

function outcome(managementClusters: string[] | undefined, requested: string | undefined): string {
  try {
    assertManagementCluster({ caller: caller(managementClusters), clusters }, requested);
    return 'ok';
  } catch (error) {
    assert.ok(error instanceof CapiMcpError);
    return `${error.code}: ${error.message} / ${error.hint}`;
  }
}

describe('assertManagementCluster', () => {
  const cases: [string, string[] | undefined, string | undefined, string][] = [
    ['an unlimited key passes whatever it names (the kube layer knows the names)', undefined, 'zulu', 'ok'],
    ['an unlimited key passes without a name', undefined, undefined, 'ok'],
    ['a limited key may name its own', ['bravo'], 'bravo', 'ok'],
    ['a limited key gets the default when it is its own', ['alpha', 'charlie'], undefined, 'ok'],
    ['a limited key naming another one is told it does not exist, and shown only its own', ['bravo', 'charlie'], 'alpha', 'InvalidInput: unknown management cluster "alpha" / use one of: bravo, charlie'],
    ['a name that is not configured gets the same answer', ['bravo', 'charlie'], 'zulu', 'InvalidInput: unknown management cluster "zulu" / use one of: bravo, charlie'],
    ['a limited key without a name is refused a default that is not its own, without its name', ['charlie'], undefined, 'InvalidInput: API key keyaaaaaaaaa may not use the default management cluster / pass management_cluster: one of charlie'],
    ['a key limited to clusters this server does not reach may use none', ['delta'], 'delta', 'InvalidInput: unknown management cluster "delta" / ask an administrator: none of the management clusters this server reaches is one the key may use'],
  ];
  for (const [what, limit, requested, expected] of cases) {
    it(what, () => assert.equal(outcome(limit, requested), expected));
  }
});

describe('key records limited to management clusters', () => {
  const store = () => new FileKeyStore(join(mkdtempSync(join(tmpdir(), 'capi-mcp-mc-unit-')), 'api-keys.json'));

  it('are stored with the limit, once per name', async () => {
    const keys = store();
    const { record } = await createKey(keys, { name: 'limited', scopes: ['read'], managementClusters: ['bravo', 'bravo', 'alpha'] });
    assert.deepEqual(record.managementClusters, ['bravo', 'alpha']);
    assert.deepEqual((await keys.read()).keys[0]!.managementClusters, ['bravo', 'alpha']);
  });

  it('are refused with an empty list, and nothing is stored', async () => {
    const keys = store();
    await assert.rejects(createKey(keys, { name: 'nothing', scopes: ['read'], managementClusters: [] }), /needs at least one/);
    assert.equal((await keys.read()).keys.length, 0);
  });

  it('make a stored document with an empty list invalid rather than unlimited', () => {
    const record = { id: 'abcdefghijkl', name: 'x', hash: `sha256$${'A'.repeat(43)}`, scopes: ['read'], managementClusters: [], createdAt: new Date().toISOString() };
    assert.throws(() => parseKeyFile(JSON.stringify({ version: 1, keys: [record] }), 'test'), /managementClusters/);
  });
});
