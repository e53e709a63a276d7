/**
 * shared/auth/scopes.ts: the scope each tool needs, derived from its annotations (never a list of names),
 * and what admin and namespace limits grant.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hasScope, mayUseNamespace, requiredScope } from '../../shared/auth/scopes.ts';
import { tools } from '../../shared/mcp/registry.ts';

describe('scopes derived from annotations', () => {
  it('asks write of every tool that changes something, kubeconfig of the credential tool, read of the rest', () => {
    const scopeOf = Object.fromEntries(tools.map((t) => [t.name, requiredScope(t)]));
    for (const t of tools) {
      if (!t.annotations.readOnlyHint) assert.equal(scopeOf[t.name], 'write', t.name);
    }
    assert.equal(scopeOf.get_cluster_kubeconfig, 'kubeconfig');
    assert.equal(scopeOf.list_clusters, 'read');
    assert.equal(scopeOf.delete_cluster, 'write');
  });

  it('lets admin do everything and limits namespaces only when the key names some', () => {
    assert.equal(hasScope({ keyId: 'a', scopes: ['admin'] }, 'write'), true);
    assert.equal(hasScope({ keyId: 'a', scopes: ['read'] }, 'kubeconfig'), false);
    assert.equal(mayUseNamespace({ keyId: 'a', scopes: ['read'] }, 'anything'), true);
    assert.equal(mayUseNamespace({ keyId: 'a', scopes: ['read'], namespaces: ['team-a'] }, 'team-b'), false);
  });
});
