/**
 * shared/mcp/arguments.ts: argument schemas every tool shares. A Kubernetes version the API server's dry
 * run lets through but no controller can act on (seen in the fuzz: create_cluster accepted both below and
 * started operations that could never converge) is refused before any handler runs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCluster } from '../../shared/mcp/tools/create-cluster.ts';
import { upgradeCluster } from '../../shared/mcp/tools/upgrade-cluster.ts';
import { kubernetesVersionArg } from '../../shared/mcp/arguments.ts';

describe('kubernetesVersionArg', () => {
  const cases: [string, boolean][] = [
    ['v1.35.0', true],
    ['v1.36.12', true],
    ['v0.0.0', true],
    ['v1.35.00', false],
    ['v01.35.0', false],
    ['v99999999999999999999.0.0', false],
    ['v1.35', false],
    ['1.35.0', false],
    ['v1.35.0-rc.1', false],
  ];
  for (const [version, ok] of cases) {
    it(`${ok ? 'accepts' : 'refuses'} ${version}`, () => assert.equal(kubernetesVersionArg.safeParse(version).success, ok));
  }

  it('is what create_cluster and upgrade_cluster take', () => {
    for (const tool of [createCluster, upgradeCluster]) {
      assert.equal((tool.inputSchema.shape as Record<string, unknown>).kubernetes_version, kubernetesVersionArg, tool.name);
    }
  });
});
