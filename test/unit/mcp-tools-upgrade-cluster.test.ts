/**
 * upgrade_cluster (shared/mcp/tools/upgrade-cluster.ts) against a fake management cluster: the version
 * rules (no downgrade, no skipped minor, no same version), topology-managed clusters only, the owners'
 * guard (GitOps refuses, prevent-deletion does not), one dry-run patch of the version, the operation.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../shared/errors.ts';
import type { KubeObject } from '../../shared/kube/client.ts';
import { upgradeCluster } from '../../shared/mcp/tools/upgrade-cluster.ts';
import { annotated, assertRefusal, callTool, FakeKube, fakeToolDeps, fieldConflict, labelled, topologyCluster, refusal } from '../support/fake-kube.ts';
import { fakeMachine } from '../support/fake-machines.ts';

const ns = 'team-a';
const args = (version: string) => ({ namespace: ns, name: 'demo', kubernetes_version: version });

/** A cluster without a ClusterClass: capi-mcp upgrades topologies only. */
function classic(): KubeObject {
  const cluster = topologyCluster();
  delete cluster.spec.topology;
  return cluster;
}

interface RefusalCase {
  readonly name: string;
  readonly cluster?: KubeObject;
  readonly version: string;
  readonly prepare?: (kube: FakeKube) => void;
  readonly expect: { readonly code: ErrorCode; readonly message: string | RegExp; readonly hint?: string | RegExp };
}

const refusals: RefusalCase[] = [
  { name: 'a downgrade', version: 'v1.33.9', expect: { code: ErrorCode.InvalidInput, message: 'cannot upgrade cluster team-a/demo: v1.33.9 is older than the current v1.34.1: downgrades are not supported', hint: 'call get_cluster to see its current topology' } },
  { name: 'a skipped minor version', version: 'v1.36.0', expect: { code: ErrorCode.InvalidInput, message: 'cannot upgrade cluster team-a/demo: v1.36.0 skips a minor version from v1.34.1: upgrade to v1.35.x first' } },
  { name: 'a new major version', version: 'v2.0.0', expect: { code: ErrorCode.InvalidInput, message: /v2\.0\.0 skips a minor version from v1\.34\.1/ } },
  { name: 'the version it runs', version: 'v1.34.1', expect: { code: ErrorCode.InvalidInput, message: 'cannot upgrade cluster team-a/demo: the cluster already runs v1.34.1' } },
  { name: 'a cluster without a ClusterClass', cluster: classic(), version: 'v1.35.0', expect: { code: ErrorCode.InvalidInput, message: /has no managed topology \(no ClusterClass\); capi-mcp changes topology-managed clusters only/ } },
  { name: 'a topology version it cannot compare', cluster: topologyCluster({ version: 'v1.34.1+rke2' }), version: 'v1.35.0', expect: { code: ErrorCode.InvalidInput, message: /cannot compare versions "v1\.34\.1\+rke2" and "v1\.35\.0"/ } },
  {
    name: 'a cluster Helm installed (app.kubernetes.io/instance), as a destructive change',
    cluster: labelled(topologyCluster(), { 'app.kubernetes.io/instance': 'fleet' }),
    version: 'v1.35.0',
    expect: {
      code: ErrorCode.Forbidden,
      message: 'refusing to upgrade cluster team-a/demo: it is managed by Argo CD or Helm (label app.kubernetes.io/instance=fleet), and the upgrade from v1.34.1 to v1.35.0 (every machine replaced) is a destructive change: make it in its Git source instead',
      hint: /change the cluster in the Git source Argo CD or Helm applies/,
    },
  },
  { name: 'a cluster that does not exist', cluster: topologyCluster({ name: 'other' }), version: 'v1.35.0', expect: { code: ErrorCode.NotFound, message: 'cluster team-a/demo not found' } },
  {
    name: 'a version another field manager set, naming it',
    version: 'v1.35.0',
    prepare: (kube) => kube.failOn({ verb: 'apply', dryRun: true }, fieldConflict('validate Cluster team-a/demo', 'kubectl', ['.spec.topology.version'])),
    expect: { code: ErrorCode.Conflict, message: /^the API server rejected the upgrade of cluster team-a\/demo: failed to validate Cluster team-a\/demo: field manager "kubectl" owns \.spec\.topology\.version/ },
  },
];

describe('upgrade_cluster', () => {
  for (const c of refusals) {
    it(`refuses ${c.name}, writing and starting nothing`, async () => {
      // Prepare
      const { deps, kube, workflows } = fakeToolDeps({ kube: new FakeKube().add(c.cluster ?? topologyCluster()) });
      c.prepare?.(kube);

      // Act
      const error = await refusal(callTool(upgradeCluster, args(c.version), deps));

      // Assess
      assertRefusal(error, c.expect);
      assert.deepEqual(kube.writes(), [], 'nothing written');
      assert.deepEqual(workflows.starts, [], 'nothing started');
    });
  }

  it('upgrades a cluster labelled prevent-deletion: the label names deletion, not upgrades', async () => {
    const { deps, workflows } = fakeToolDeps({ kube: new FakeKube().add(annotated(topologyCluster(), { 'capi-mcp.io/prevent-deletion': 'true' })) });
    await callTool(upgradeCluster, args('v1.35.0'), deps);
    assert.equal(workflows.starts.length, 1);
  });

  it('dry-runs a patch of the version alone, as capi-mcp-upgrade, then starts the upgrade expecting the current counts', async () => {
    // Prepare
    const { deps, kube, workflows, operationsStarted } = fakeToolDeps({ kube: new FakeKube().add(topologyCluster({ pools: [{ name: 'md-0', replicas: 2 }, { name: 'md-1', replicas: 1 }] })) });

    // Act
    const { structured, text } = await callTool(upgradeCluster, args('v1.35.2'), deps);

    // Assess
    const patch = { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name: 'demo', namespace: ns }, spec: { topology: { version: 'v1.35.2' } } };
    const applies = kube.calls.filter((c) => c.verb === 'apply');
    assert.deepEqual(applies.map((c) => [c.text, c.fieldManager, c.force]), [['apply Cluster team-a/demo (dry run)', 'capi-mcp-upgrade', false]]);
    assert.deepEqual(applies[0]!.object?.spec, patch.spec);
    assert.deepEqual(kube.writes(), []);
    assert.deepEqual(workflows.starts.map((s) => s.input), [
      { operation: { action: 'upgrade', namespace: ns, name: 'demo', cluster: patch, expect: { controlPlaneReplicas: 3, workerReplicas: 3, version: 'v1.35.2' } }, timeoutSeconds: 3600, pollSeconds: 10 },
    ]);
    assert.equal(structured.action, 'upgrade');
    assert.match(text, /^operation upgrade_team-a_demo_[0-9a-f]{20}: upgrade team-a\/demo RUNNING at Apply 0s\n/);
    assert.deepEqual(operationsStarted, ['upgrade']);
  });

  it('joins the running upgrade to the same version instead of starting it twice', async () => {
    const { deps, workflows } = fakeToolDeps({ kube: new FakeKube().add(topologyCluster()) });
    const first = await callTool(upgradeCluster, args('v1.35.0'), deps);
    const again = await callTool(upgradeCluster, args('v1.35.0'), deps);
    assert.equal(again.structured.operation_id, first.structured.operation_id);
    assert.equal(workflows.starts.length, 1);
  });

  const versions: { name: string; version: string; valid: boolean }[] = [
    { name: 'a version without the v', version: '1.35.0', valid: false },
    { name: 'a leading zero', version: 'v1.035.0', valid: false },
    { name: 'a part over 9999', version: 'v1.35.10000', valid: false },
    { name: 'a pre-release', version: 'v1.35.0-rc.1', valid: false },
    { name: 'a plain release', version: 'v1.35.0', valid: true },
  ];
  for (const c of versions) {
    it(`${c.valid ? 'accepts' : 'refuses'} ${c.name} as kubernetes_version`, () => {
      assert.equal(upgradeCluster.inputSchema.safeParse(args(c.version)).success, c.valid);
    });
  }
});

describe('upgrade_cluster with dry_run', () => {
  /** demo at v1.34.1: one control-plane Machine, md-0 with two workers, and a worker already at the new version. */
  function world(cluster = topologyCluster()) {
    const machines = [
      fakeMachine('demo-cp-1', { pool: 'control plane' }),
      fakeMachine('demo-md-0-b'),
      fakeMachine('demo-md-0-a'),
      fakeMachine('demo-md-0-new', { version: 'v1.35.0' }),
      fakeMachine('other-md-0-a', { cluster: 'other' }),
    ];
    return fakeToolDeps({ kube: new FakeKube().add(cluster, ...machines) });
  }

  it('runs the same dry-run patch as the real call, then answers a plan: the version diff, the Machines replaced, the guards, the call; nothing written, started or looked up', async () => {
    // Prepare
    const { deps, kube, workflows, operationsStarted } = world();

    // Act
    const { structured, text } = await callTool(upgradeCluster, { ...args('v1.35.0'), dry_run: true }, deps);

    // Assess
    assert.deepEqual(kube.calls.filter((c) => c.verb === 'apply').map((c) => [c.text, c.fieldManager]), [['apply Cluster team-a/demo (dry run)', 'capi-mcp-upgrade']]);
    assert.deepEqual(kube.writes(), []);
    assert.deepEqual(workflows.starts, []);
    assert.deepEqual(workflows.describes, [], 'no operation looked up: a dry run never joins one');
    assert.deepEqual(operationsStarted, []);
    const plan = (structured as { plan?: Record<string, unknown> }).plan;
    assert.equal((structured as { operation_id?: string }).operation_id, undefined);
    assert.deepEqual(plan?.changes, ['Cluster team-a/demo: spec.topology.version v1.34.1 → v1.35.0']);
    assert.deepEqual(plan?.replaced, ['demo-cp-1', 'demo-md-0-a', 'demo-md-0-b']);
    assert.deepEqual(plan?.machines, [
      'replace demo-cp-1 (control plane, v1.34.1 → v1.35.0)',
      'replace demo-md-0-a (md-0, v1.34.1 → v1.35.0)',
      'replace demo-md-0-b (md-0, v1.34.1 → v1.35.0)',
    ]);
    assert.equal(plan?.call, 'upgrade_cluster {"namespace":"team-a","name":"demo","kubernetes_version":"v1.35.0","timeout_seconds":3600} without dry_run');
    assert.ok((plan?.guards as string[]).some((g) => /server-side dry run as capi-mcp-upgrade of Cluster demo: accepted/.test(g)), String(plan?.guards));
    assert.match(text, /^dry run of upgrade_cluster: nothing applied, no operation started\n/);
    assert.match(text, /\nNext: to make it, call upgrade_cluster \{.*\} without dry_run$/);
    assert.ok(upgradeCluster.outputSchema.safeParse(structured).success, 'the plan fits the output schema');
  });

  it('refuses what the real call refuses: a skipped minor, a GitOps owner, another field manager', async () => {
    const skipped = world();
    assert.match((await refusal(callTool(upgradeCluster, { ...args('v1.36.0'), dry_run: true }, skipped.deps))).message, /skips a minor version/);
    const gitops = world(labelled(topologyCluster(), { 'kustomize.toolkit.fluxcd.io/name': 'fleet' }));
    assert.equal((await refusal(callTool(upgradeCluster, { ...args('v1.35.0'), dry_run: true }, gitops.deps))).code, ErrorCode.Forbidden);
    const conflict = world();
    conflict.kube.failOn({ verb: 'apply', dryRun: true }, fieldConflict('validate Cluster team-a/demo', 'kubectl', ['.spec.topology.version']));
    assert.equal((await refusal(callTool(upgradeCluster, { ...args('v1.35.0'), dry_run: true }, conflict.deps))).code, ErrorCode.Conflict);
    for (const w of [skipped, gitops, conflict]) assert.deepEqual([w.kube.writes(), w.workflows.starts], [[], []]);
  });

  it('answers a plan while the same upgrade runs, and neither joins nor starts it', async () => {
    const { deps, workflows } = world();
    const running = await callTool(upgradeCluster, args('v1.35.0'), deps);
    const planned = await callTool(upgradeCluster, { ...args('v1.35.0'), dry_run: true }, deps);
    assert.equal((planned.structured as { operation_id?: string }).operation_id, undefined);
    assert.ok((planned.structured as { plan?: unknown }).plan);
    assert.deepEqual(workflows.starts.map((s) => s.name), [running.structured.operation_id]);
  });
});
