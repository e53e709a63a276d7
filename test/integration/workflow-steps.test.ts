/**
 * The workflow step's delete against the sandbox's API server (shared/workflows/steps.ts): it deletes
 * only the Cluster the tool judged — a Cluster created since under the same name is refused by its UID —
 * and judges it again, so a prevent-deletion label set after the tool's judgement still stops it. The
 * step runs as Step Functions would invoke it; its preconditions are the API server's, not a fake's.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kubeClientFor } from '../../shared/kube/client.ts';
import { Kinds } from '../../shared/kube/kinds.ts';
import { runStep, type StepDeps } from '../../shared/workflows/steps.ts';
import { stuckCluster } from '../support/clusters.ts';
import { adminKubeConfig, useNamespace } from '../support/sandbox.ts';
import { eventually } from '../support/wait.ts';

const ns = await useNamespace('steps');
const kube = await kubeClientFor(adminKubeConfig());
const deps: StepDeps = { clusters: { client: () => kube }, now: () => new Date(), log: { warn() {} } };

const deleteStep = (name: string, uid: string) => runStep({ step: 'apply', operation: { action: 'delete', namespace: ns.name, name, uid } }, deps);
const exists = async (name: string) => (await kube.list(Kinds.Cluster, { namespace: ns.name })).items.some((c) => c.metadata.name === name && !c.metadata.deletionTimestamp);

describe('the delete step', () => {
  it('refuses a Cluster created since under the judged name, deleting nothing', async () => {
    const judged = await ns.objects.create(stuckCluster(ns.name, 'replaced'));
    await ns.objects.delete(judged);
    // CAPI's finalizer holds the name until its controller lets the Cluster go.
    await eventually('the judged Cluster to be gone', async () => {
      const gone = (await kube.list(Kinds.Cluster, { namespace: ns.name })).items.every((c) => c.metadata.name !== 'replaced');
      return { done: gone, value: undefined, seen: String(gone) };
    }, { timeoutMs: 60_000 });
    const replacement = await ns.objects.create(stuckCluster(ns.name, 'replaced'));
    assert.notEqual(replacement.metadata!.uid, judged.metadata!.uid);
    await assert.rejects(deleteStep('replaced', judged.metadata!.uid!), (error: Error) => {
      assert.equal(error.name, 'Conflict');
      assert.match(error.message, /was replaced since its deletion was asked/);
      return true;
    });
    assert.equal(await exists('replaced'), true);
  });

  it('refuses a Cluster labelled prevent-deletion after the tool judged it', async () => {
    const judged = await ns.objects.create(stuckCluster(ns.name, 'protected'));
    await ns.objects.patch(
      { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name: 'protected', namespace: ns.name, labels: { 'capi-mcp.io/prevent-deletion': 'true' } } },
      undefined, undefined, 'test', undefined, 'application/merge-patch+json' as never,
    );
    await assert.rejects(deleteStep('protected', judged.metadata!.uid!), { name: 'Forbidden' });
    assert.equal(await exists('protected'), true);
  });

  it('deletes the judged Cluster, with its UID and resourceVersion as the API server preconditions', async () => {
    const judged = await ns.objects.create(stuckCluster(ns.name, 'judged'));
    assert.deepEqual(await deleteStep('judged', judged.metadata!.uid!), { applied: `deletion of ${ns.name}/judged requested` });
    assert.equal(await exists('judged'), false);
  });

  it('the API server refuses a DELETE whose UID precondition names another object (409 Conflict)', async () => {
    await ns.objects.create(stuckCluster(ns.name, 'precondition'));
    await assert.rejects(kube.delete(Kinds.Cluster, ns.name, 'precondition', { preconditions: { uid: '00000000-0000-4000-8000-000000000000' } }), { code: 'Conflict' });
    assert.equal(await exists('precondition'), true);
  });
});
