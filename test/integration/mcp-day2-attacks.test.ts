/**
 * Attacks on the day-2 operations that need a real API server to answer them (the unit tests in
 * test/unit/mcp-day2-attacks.test.ts fake its field managers and webhooks): resume_cluster through a real
 * MCP client on a Cluster that clusterctl or a person paused gets a Conflict naming them and changes
 * nothing, and a Machine cannot claim another cluster by its cluster-name label, which remediate_machine
 * and its step judge by, since Cluster API's webhook writes that label from the immutable spec.clusterName.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { remediationPlan } from '../../shared/capi/remediation.ts';
import type { KubeObject } from '../../shared/kube/client.ts';
import { stuckCluster } from '../support/clusters.ts';
import { connectV2, startTestServer, textOf } from '../support/mcp.ts';
import { testSandbox, useNamespace } from '../support/sandbox.ts';
import { eventually, settled, writtenState } from '../support/wait.ts';

const ns = await useNamespace('day2-attacks');
const url = await startTestServer();
const client = await connectV2(url);

const readCluster = async (name: string): Promise<any> => ns.objects.read({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name, namespace: ns.name } });

async function kubectl(stdin: string, ...args: string[]): Promise<string> {
  const child = promisify(execFile)('kubectl', ['--kubeconfig', testSandbox().paths.kubeconfig, ...args]);
  child.child.stdin!.end(stdin);
  return (await child).stdout;
}

describe('resume_cluster on a pause that is someone else\'s', () => {
  for (const [who, manager, pause] of [
    ['clusterctl (a server-side apply)', 'clusterctl', (name: string) => kubectl(JSON.stringify({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name, namespace: ns.name }, spec: { paused: true } }), 'apply', '--server-side', '--field-manager=clusterctl', '-f', '-')],
    ['a person (kubectl patch)', 'kubectl-patch', (name: string) => kubectl('', 'patch', '-n', ns.name, 'clusters.cluster.x-k8s.io', name, '--type', 'merge', '-p', '{"spec":{"paused":true}}')],
  ] as const) {
    it(`answers a Conflict naming ${manager}, dry run or not, and the Cluster stays paused, unchanged: ${who}`, async () => {
      const name = `paused-${manager.replace(/[^a-z]/g, '')}`;
      await ns.objects.create(stuckCluster(ns.name, name));
      await pause(name);
      try {
        assert.equal((await readCluster(name)).spec.paused, true);
        // Note: what a write changes, once the controllers have stopped writing: capi-manager takes a new
        // Cluster on (its own non-status write, paused or not) and reports the pause in status, neither of
        // which is the call's write. Seen in CI: its first write came after two reads 2 s apart agreed.
        await eventually(`capi-manager to take Cluster ${name} on`, async () => {
          const managers = ((await readCluster(name)).metadata.managedFields ?? []) as { manager?: string; subresource?: string }[];
          return { done: managers.some((f) => f.manager === 'capi-manager' && f.subresource !== 'status'), value: undefined, seen: JSON.stringify(managers.map((f) => f.manager)) };
        }, { timeoutMs: 60_000, intervalMs: 500 });
        const before = await settled(`Cluster ${name}`, async () => writtenState(await readCluster(name)));
        for (const dry_run of [true, false]) {
          const result = await client.callTool({ name: 'resume_cluster', arguments: { namespace: ns.name, name, dry_run } });
          assert.equal(result.isError, true, textOf(result));
          assert.match(textOf(result), new RegExp(`^Conflict: .*field manager "${manager}" owns \\.spec\\.paused`));
        }
        const after = await readCluster(name);
        assert.equal(after.spec.paused, true);
        assert.equal(writtenState(after), before, 'the Cluster was written');
        const operations = await client.callTool({ name: 'list_operations', arguments: { namespace: ns.name } });
        assert.doesNotMatch(textOf(operations), new RegExp(name), 'an operation started');
      } finally {
        // A paused Cluster is never let go by CAPI's finalizer: resumed by hand, as the pauser would, so the namespace can go.
        await kubectl('', 'patch', '-n', ns.name, 'clusters.cluster.x-k8s.io', name, '--type', 'merge', '-p', '{"spec":{"paused":false}}');
      }
    });
  }
});

describe('a Machine\'s cluster-name label', () => {
  it('is written by Cluster API from spec.clusterName, so a Machine cannot claim another cluster to be remediated through it', async () => {
    const claimed: KubeObject = {
      apiVersion: 'cluster.x-k8s.io/v1beta2',
      kind: 'Machine',
      metadata: {
        name: 'liar-cp-1',
        namespace: ns.name,
        labels: { 'cluster.x-k8s.io/cluster-name': 'victim', 'cluster.x-k8s.io/control-plane': '' },
        ownerReferences: [{ apiVersion: 'controlplane.cluster.x-k8s.io/v1beta2', kind: 'KubeadmControlPlane', name: 'liar', uid: '5f0c0e1a-0000-4000-8000-000000000000', controller: true }],
      },
      spec: { clusterName: 'liar', version: 'v1.34.1', bootstrap: { dataSecretName: 'x' }, infrastructureRef: { apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'DevMachine', name: 'x' } },
    };
    // A server-side dry run runs the admission webhooks and answers the object as it would be stored.
    const admitted = JSON.parse(await kubectl(JSON.stringify(claimed), 'create', '--dry-run=server', '-o', 'json', '-f', '-')) as KubeObject;
    assert.equal(admitted.metadata.labels?.['cluster.x-k8s.io/cluster-name'], 'liar');
    assert.deepEqual(remediationPlan('victim', admitted, [], 1).problems, ['Machine liar-cp-1 is not part of cluster victim']);
  });
});
