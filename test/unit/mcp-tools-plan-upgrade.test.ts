/**
 * plan_upgrade (shared/mcp/tools/plan-upgrade.ts) against a fake management cluster: where a cluster can go
 * next (one minor at most, what its ClusterClass lists), which Machines an upgrade replaces, what blocks it
 * (unhealthy or paused Machines, a remediation, a rollout or an operation under way), and how long this
 * cluster's own past upgrades took. Read-only: nothing is applied, dry-run or started.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../shared/errors.ts';
import type { KubeObject } from '../../shared/kube/client.ts';
import { planUpgrade } from '../../shared/mcp/tools/plan-upgrade.ts';
import { callTool, execution, FakeKube, fakeToolDeps, refusal, topologyCluster } from '../support/fake-kube.ts';
import { fakeMachine } from '../support/fake-machines.ts';

const args = (fields: Record<string, unknown> = {}) => ({ namespace: 'team-a', name: 'demo', ...fields });

/** demo at v1.34.1 with a ClusterClass quick-start, one control-plane Machine and two workers. */
function world({ cluster = topologyCluster(), machines = [fakeMachine('demo-cp-1', { pool: 'control plane' }), fakeMachine('demo-md-0-b'), fakeMachine('demo-md-0-a')], classVersions }: { cluster?: KubeObject; machines?: KubeObject[]; classVersions?: string[] } = {}) {
  const clusterClass: KubeObject = { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'ClusterClass', metadata: { name: 'quick-start', namespace: 'team-a' }, spec: { ...(classVersions ? { kubernetesVersions: classVersions } : {}) } };
  return fakeToolDeps({ kube: new FakeKube().add(cluster, clusterClass, ...machines) });
}

const finished = (action: 'upgrade' | 'scale', minutes: number, at: string, name = 'demo') =>
  execution(action, 'team-a', name, { status: 'SUCCEEDED', startedAt: at, stoppedAt: new Date(Date.parse(at) + minutes * 60_000).toISOString() });

describe('plan_upgrade', () => {
  it('names the next versions, every Machine an upgrade replaces, no blockers and no history, and changes nothing', async () => {
    // Prepare
    const { deps, kube, workflows } = world();

    // Act
    const { structured, text } = await callTool(planUpgrade, args(), deps);

    // Assess
    assert.deepEqual(structured.next, ['v1.34.x above v1.34.1', 'v1.35.x']);
    assert.deepEqual(structured.replaced, ['demo-cp-1', 'demo-md-0-a', 'demo-md-0-b']);
    assert.deepEqual(structured.blockers, []);
    assert.equal(structured.estimate, 'no history: this cluster has no finished upgrade or scale operation');
    assert.deepEqual([kube.writes(), kube.calls.filter((c) => c.dryRun), workflows.starts], [[], [], []]);
    assert.match(text, /^cluster team-a\/demo runs v1\.34\.1; next: v1\.34\.x above v1\.34\.1, v1\.35\.x \(control plane first, then each worker pool\)\n/);
    assert.match(text, /\nNext: call upgrade_cluster with kubernetes_version \(dry_run: true first\)$/);
  });

  it('checks a target version as upgrade_cluster does, and refuses a skipped minor naming the one to take first', async () => {
    const { deps } = world();
    const error = await refusal(callTool(planUpgrade, args({ kubernetes_version: 'v1.36.0' }), deps));
    assert.equal(error.code, ErrorCode.InvalidInput);
    assert.equal(error.message, 'cannot upgrade cluster team-a/demo: v1.36.0 skips a minor version from v1.34.1: upgrade to v1.35.x first');
    assert.match(error.hint ?? '', /call plan_upgrade without kubernetes_version/);
  });

  it("offers only what the ClusterClass lists, and refuses a version it does not list", async () => {
    const { deps } = world({ classVersions: ['v1.34.1', 'v1.34.3', 'v1.35.2', 'v1.36.0'] });
    assert.deepEqual((await callTool(planUpgrade, args(), deps)).structured.next, ['v1.34.3', 'v1.35.2']);
    const error = await refusal(callTool(planUpgrade, args({ kubernetes_version: 'v1.35.0' }), deps));
    assert.match(error.message, /v1\.35\.0 is not one of the versions ClusterClass quick-start allows \(v1\.34\.1, v1\.34\.3, v1\.35\.2, v1\.36\.0\)/);
  });

  it('for a target, replaces only the Machines not already on it', async () => {
    const { deps } = world({ machines: [fakeMachine('demo-cp-1', { pool: 'control plane', version: 'v1.35.0' }), fakeMachine('demo-md-0-a')] });
    const { structured } = await callTool(planUpgrade, args({ kubernetes_version: 'v1.35.0' }), deps);
    assert.equal(structured.target, 'v1.35.0');
    assert.deepEqual(structured.replaced, ['demo-md-0-a']);
  });

  it('lists what blocks an upgrade: an unhealthy Machine, a remediation, a paused cluster, a rollout and an operation under way', async () => {
    // Prepare
    const cluster = topologyCluster();
    cluster.spec.paused = true;
    const unhealthy = fakeMachine('demo-md-0-a');
    delete unhealthy.status.nodeRef;
    const remediated = fakeMachine('demo-md-0-b');
    remediated.status.conditions = [{ type: 'HealthCheckSucceeded', status: 'False', reason: 'UnhealthyNode', message: 'Node demo-md-0-b NotReady for 5m' }];
    const behind = fakeMachine('demo-md-0-c', { version: 'v1.33.9' });
    const { deps, workflows } = world({ cluster, machines: [fakeMachine('demo-cp-1', { pool: 'control plane' }), unhealthy, remediated, behind] });
    workflows.seed(execution('scale', 'team-a', 'demo'));

    // Act
    const { structured } = await callTool(planUpgrade, args(), deps);

    // Assess
    assert.deepEqual(structured.blockers, [
      'cluster team-a/demo is paused (spec.paused): nothing reconciles until it is resumed',
      `operation ${execution('scale', 'team-a', 'demo').name} (scale) is running on this cluster`,
      'Machine demo-md-0-a is not healthy: it has no Node yet',
      'Machine demo-md-0-b is being remediated by a MachineHealthCheck: UnhealthyNode: Node demo-md-0-b NotReady for 5m',
      'Machine demo-md-0-c runs v1.33.9, not the topology version v1.34.1: the last rollout has not finished',
    ]);
  });

  it("estimates from this cluster's own finished upgrades (the median), else its scales, never another cluster's", async () => {
    const { deps, workflows } = world();
    workflows.seed(finished('upgrade', 6, '2026-11-20T10:00:00Z')).seed({ ...finished('upgrade', 10, '2026-11-21T10:00:00Z'), name: 'upgrade-2' }).seed({ ...finished('upgrade', 8, '2026-11-22T10:00:00Z'), name: 'upgrade-3' });
    workflows.seed({ ...finished('upgrade', 99, '2026-11-22T10:00:00Z', 'other'), name: 'upgrade-other' });
    assert.equal((await callTool(planUpgrade, args(), deps)).structured.estimate, 'about 8m: the median of 3 finished upgrades of this cluster (6m to 10m)');

    const scales = world();
    scales.workflows.seed(finished('scale', 3, '2026-11-20T10:00:00Z'));
    assert.equal((await callTool(planUpgrade, args(), scales.deps)).structured.estimate, 'no upgrade history; 1 finished scale of this cluster took a median of 3m (an upgrade replaces 3 Machines, each as long as a scale adds one)');
  });

  it('refuses a cluster without a ClusterClass, and one that does not exist', async () => {
    const classic = topologyCluster();
    delete classic.spec.topology;
    assert.match((await refusal(callTool(planUpgrade, args(), world({ cluster: classic }).deps))).message, /has no managed topology/);
    assert.equal((await refusal(callTool(planUpgrade, args({ name: 'nope' }), world().deps))).code, ErrorCode.NotFound);
  });
});
