/**
 * Findings 4 and 5 of the day-2 review on the sandbox's real API server (server-side apply's list-map merge):
 * a rollout step input naming a pool the Cluster does not have adds none; a rollout of one pool keeps the
 * control plane's running rollout time. Both red before their fixes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { kubeClientFor } from '../../shared/kube/client.ts';
import { topologyRolloutChange } from '../../shared/capi/rollout.ts';
import { runStep, type StepDeps, type StepEvent } from '../../shared/workflows/steps.ts';
import { topologyCluster } from '../support/clusters.ts';
import { adminKubeConfig, testSandbox, useNamespace } from '../support/sandbox.ts';

const ns = await useNamespace('r-finding4', { withClusterClass: true });
const kube = await kubeClientFor(adminKubeConfig());
const deps: StepDeps = { clusters: { client: () => kube }, now: () => new Date(), log: { warn() {} } };

describe('finding 4 on the sandbox', () => {
  it('a rollout step input naming a pool the Cluster lacks is refused, and the topology keeps its one pool', async () => {
    const child = promisify(execFile)('kubectl', ['--kubeconfig', testSandbox().paths.kubeconfig, 'apply', '--server-side', '--field-manager=capi-mcp-create', '-f', '-']);
    child.child.stdin!.end(JSON.stringify(topologyCluster(ns.name, 'roll', 1)));
    await child;
    const event: StepEvent = {
      step: 'apply',
      operation: {
        action: 'rollout',
        namespace: ns.name,
        name: 'roll',
        cluster: {
          apiVersion: 'cluster.x-k8s.io/v1beta2',
          kind: 'Cluster',
          metadata: { name: 'roll', namespace: ns.name },
          spec: { topology: { workers: { machineDeployments: [{ name: 'md-extra', class: 'default-worker', rollout: { after: '2026-01-01T00:00:00Z' } }] } } },
        },
      },
    };
    const outcome = await runStep(event, deps).then((r) => `applied: ${JSON.stringify(r)}`, (e: Error) => `${e.name}: ${e.message}`);
    const cluster: any = await ns.objects.read({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name: 'roll', namespace: ns.name } });
    const pools = cluster.spec.topology.workers.machineDeployments.map((p: any) => `${p.name}:${p.class}:${p.replicas ?? 'unset'}`);
    assert.deepEqual(pools, ['md-0:default-worker:1'], `step outcome: ${outcome}`);
  });
});

describe('finding 5 on the sandbox', () => {
  it('a rollout of md-0 started while the control plane rolls out keeps the control plane\'s rollout.after', async () => {
    const child = promisify(execFile)('kubectl', ['--kubeconfig', testSandbox().paths.kubeconfig, 'apply', '--server-side', '--field-manager=capi-mcp-create', '-f', '-']);
    child.child.stdin!.end(JSON.stringify(topologyCluster(ns.name, 'overlap', 1)));
    await child;
    const read = async (): Promise<any> => ns.objects.read({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name: 'overlap', namespace: ns.name } });
    // The patches rollout_cluster's planner builds from the Cluster as it then is, applied by the step, one after the other.
    const rollout = async (target: string, at: string): Promise<void> => {
      const [patch] = topologyRolloutChange(await read(), target, new Date(at)).objects;
      const event: StepEvent = { step: 'apply', operation: { action: 'rollout', namespace: ns.name, name: 'overlap', cluster: patch } };
      await runStep(event, deps);
    };
    await rollout('control_plane', '2026-12-04T08:00:00Z');
    await rollout('md-0', '2026-12-04T08:00:05Z');
    const cluster: any = await ns.objects.read({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name: 'overlap', namespace: ns.name } });
    assert.equal(cluster.spec.topology.workers.machineDeployments[0].rollout?.after, '2026-12-04T08:00:05Z');
    assert.equal(cluster.spec.topology.controlPlane.rollout?.after, '2026-12-04T08:00:00Z', 'the control plane\'s rollout time was removed by the second apply');
  });
});
