/**
 * rollout_cluster (shared/mcp/tools/rollout-cluster.ts) against a fake management cluster, for a cluster
 * with a ClusterClass (rollout.after in its topology) and one without (on its KubeadmControlPlane or
 * MachineDeployment): the target judged, the owners' guard (a rollout replaces every machine of it), the
 * time to the second from the deps' clock, the operation keyed by its target and not that time, the plan.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../shared/errors.ts';
import type { KubeObject } from '../../shared/kube/client.ts';
import type { ToolDeps } from '../../shared/mcp/tool.ts';
import { rolloutCluster } from '../../shared/mcp/tools/rollout-cluster.ts';
import { apiFailure, assertRefusal, callTool, FakeKube, fakeNow, fakeToolDeps, fieldConflict, labelled, topologyCluster, refusal, uidOf } from '../support/fake-kube.ts';
import { fakeMachine } from '../support/fake-machines.ts';

const ns = 'team-a';
const args = (target: string, fields: Record<string, unknown> = {}) => ({ namespace: ns, name: 'demo', target, ...fields });

/** fakeNow with milliseconds: rollout.after is a metav1.Time, to the second. */
const clock = new Date(fakeNow.getTime() + 750);
const after = '2026-11-25T12:00:00Z';

/** The deps of `world`, their clock at `at`. */
const at = (deps: ToolDeps, time: Date): ToolDeps => ({ ...deps, now: () => new Date(time) });

/** A topology cluster with a control plane of 3, md-0 (2 replicas, class default-worker) and md-big (class large-worker). */
const withClass = (labels: Record<string, string> = {}) =>
  labelled(topologyCluster({ pools: [{ name: 'md-0', replicas: 2 }, { name: 'md-big', class: 'large-worker', replicas: 4 }] }), labels);

/** A cluster without a ClusterClass: MachineDeployment md-0 (2 replicas), a KubeadmControlPlane of 3; md-x belongs to another cluster. */
function classic({ cluster = {}, md = {} }: { cluster?: Record<string, string>; md?: Record<string, string> } = {}): KubeObject[] {
  const part = (kind: string, apiVersion: string, name: string, owner: string, replicas: number, labels: Record<string, string> = {}): KubeObject => ({
    apiVersion,
    kind,
    metadata: { name, namespace: ns, uid: uidOf(name), labels: { 'cluster.x-k8s.io/cluster-name': owner, ...labels } },
    spec: { replicas },
  });
  return [
    {
      apiVersion: 'cluster.x-k8s.io/v1beta2',
      kind: 'Cluster',
      metadata: { name: 'demo', namespace: ns, uid: uidOf('demo'), labels: cluster },
      spec: {
        infrastructureRef: { apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'DevCluster', name: 'demo' },
        controlPlaneRef: { apiGroup: 'controlplane.cluster.x-k8s.io', kind: 'KubeadmControlPlane', name: 'demo-cp' },
      },
    },
    part('MachineDeployment', 'cluster.x-k8s.io/v1beta2', 'md-0', 'demo', 2, md),
    part('MachineDeployment', 'cluster.x-k8s.io/v1beta2', 'md-x', 'other', 5),
    part('KubeadmControlPlane', 'controlplane.cluster.x-k8s.io/v1beta2', 'demo-cp', 'demo', 3),
  ];
}

const clusterPatch = (spec: Record<string, unknown>) => ({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name: 'demo', namespace: ns }, spec });

interface RefusalCase {
  readonly name: string;
  readonly objects: readonly KubeObject[];
  readonly target: string;
  readonly prepare?: (kube: FakeKube) => void;
  readonly expect: { readonly code: ErrorCode; readonly message: string | RegExp; readonly hint?: string | RegExp };
}

const refusals: RefusalCase[] = [
  {
    name: 'a worker pool the topology does not have, naming those it has',
    objects: [withClass()],
    target: 'md-9',
    expect: { code: ErrorCode.InvalidInput, message: 'cannot rollout cluster team-a/demo: worker pool "md-9" does not exist (the cluster has: md-0, md-big)', hint: 'call get_cluster to see its current topology' },
  },
  {
    name: 'the control plane of a cluster Flux manages, as a destructive change',
    objects: [withClass({ 'kustomize.toolkit.fluxcd.io/name': 'clusters' })],
    target: 'control_plane',
    expect: {
      code: ErrorCode.Forbidden,
      message:
        'refusing to rollout cluster team-a/demo: it is managed by Flux (Kustomization) (label kustomize.toolkit.fluxcd.io/name=clusters), and the rollout of the control plane (every machine of it replaced) is a destructive change: make it in its Git source instead',
      hint: 'change the cluster in the Git source Flux (Kustomization) applies; capi-mcp makes no destructive change to a GitOps-managed cluster',
    },
  },
  {
    name: 'a worker pool of a cluster Helm installed',
    objects: [withClass({ 'app.kubernetes.io/instance': 'fleet' })],
    target: 'md-0',
    expect: { code: ErrorCode.Forbidden, message: /^refusing to rollout cluster team-a\/demo: it is managed by Argo CD or Helm \(label app\.kubernetes\.io\/instance=fleet\), and the rollout of worker pool "md-0" \(every machine of it replaced\)/ },
  },
  { name: 'a cluster that does not exist', objects: [], target: 'control_plane', expect: { code: ErrorCode.NotFound, message: 'cluster team-a/demo not found' } },
  {
    name: 'a rollout time another field manager set, naming it',
    objects: [withClass()],
    target: 'control_plane',
    prepare: (kube) => kube.failOn({ verb: 'apply', dryRun: true }, fieldConflict('validate Cluster team-a/demo', 'kubectl', ['.spec.topology.controlPlane.rollout.after'])),
    expect: { code: ErrorCode.Conflict, message: /^the API server rejected the rollout of cluster team-a\/demo: failed to validate Cluster team-a\/demo: field manager "kubectl" owns \.spec\.topology\.controlPlane\.rollout\.after/ },
  },
  {
    name: 'without a ClusterClass, a pool that is no MachineDeployment of the cluster (md-x is another’s), naming its own',
    objects: classic(),
    target: 'md-x',
    expect: {
      code: ErrorCode.InvalidInput,
      message: 'cannot rollout cluster team-a/demo: worker pool "md-x" does not exist: without a ClusterClass, pools are the cluster\'s MachineDeployments (it has: md-0)',
      hint: 'call get_cluster to see its MachineDeployments and control plane',
    },
  },
  {
    name: 'without a ClusterClass, a MachineDeployment Argo CD manages on its own',
    objects: classic({ md: { 'argocd.argoproj.io/instance': 'fleet' } }),
    target: 'md-0',
    expect: { code: ErrorCode.Forbidden, message: /^refusing to rollout cluster team-a\/demo: it is managed by Argo CD \(label argocd\.argoproj\.io\/instance=fleet on MachineDeployment md-0\), and the rollout of worker pool "md-0"/ },
  },
  {
    name: 'without a ClusterClass, a KubeadmControlPlane the identity may not patch, found by the dry run',
    objects: classic(),
    target: 'control_plane',
    prepare: (kube) => kube.failOn({ verb: 'apply', kind: 'KubeadmControlPlane', dryRun: true }, apiFailure('validate KubeadmControlPlane team-a/demo-cp', 403, { message: 'kubeadmcontrolplanes is forbidden' })),
    expect: { code: ErrorCode.Forbidden, message: 'the API server rejected the rollout of KubeadmControlPlane team-a/demo-cp: failed to validate KubeadmControlPlane team-a/demo-cp: kubeadmcontrolplanes is forbidden' },
  },
];

describe('rollout_cluster', () => {
  for (const c of refusals) {
    it(`refuses ${c.name}, writing and starting nothing`, async () => {
      // Prepare
      const { deps, kube, workflows } = fakeToolDeps({ kube: new FakeKube().add(...c.objects) });
      c.prepare?.(kube);

      // Act
      const error = await refusal(callTool(rolloutCluster, args(c.target), at(deps, clock)));

      // Assess
      assertRefusal(error, c.expect);
      assert.deepEqual(kube.writes(), [], 'nothing written');
      assert.deepEqual(workflows.starts, [], 'nothing started');
    });
  }

  it("rolls out the control plane: dry-runs the topology's controlPlane.rollout.after at the call's second, as capi-mcp-rollout, then starts the rollout expecting its 3 Machines renewed", async () => {
    // Prepare
    const { deps, kube, workflows, operationsStarted } = fakeToolDeps({ kube: new FakeKube().add(withClass()) });

    // Act
    const { structured, text } = await callTool(rolloutCluster, args('control_plane'), at(deps, clock));

    // Assess
    const applies = kube.calls.filter((c) => c.verb === 'apply');
    assert.deepEqual(applies.map((c) => [c.text, c.fieldManager, c.force]), [['apply Cluster team-a/demo (dry run)', 'capi-mcp-rollout', false]]);
    const patch = clusterPatch({ topology: { controlPlane: { rollout: { after } } } });
    assert.deepEqual(applies[0]!.object?.spec, patch.spec);
    assert.deepEqual(kube.writes(), []);
    assert.deepEqual(workflows.starts.map((s) => s.input), [
      { operation: { action: 'rollout', namespace: ns, name: 'demo', cluster: patch, expect: { renewed: { pool: 'control plane', after, replicas: 3 } } }, timeoutSeconds: 3600, pollSeconds: 10 },
    ]);
    assert.equal(structured.action, 'rollout');
    assert.match(text, /^operation rollout_team-a_demo_[0-9a-f]{20}: rollout team-a\/demo RUNNING at Apply \d+s\n/);
    assert.deepEqual(operationsStarted, ['rollout']);
  });

  it('rolls out one worker pool: its name, class and rollout.after alone (no replicas, no other pool), expecting its 4 Machines renewed', async () => {
    // Prepare
    const { deps, kube, workflows } = fakeToolDeps({ kube: new FakeKube().add(withClass()) });

    // Act
    await callTool(rolloutCluster, args('md-big', { timeout_seconds: 900 }), at(deps, clock));

    // Assess
    const patch = clusterPatch({ topology: { workers: { machineDeployments: [{ name: 'md-big', class: 'large-worker', rollout: { after } }] } } });
    assert.deepEqual(kube.calls.find((c) => c.verb === 'apply')?.object?.spec, patch.spec);
    assert.deepEqual(workflows.starts.map((s) => s.input), [
      { operation: { action: 'rollout', namespace: ns, name: 'demo', cluster: patch, expect: { renewed: { pool: 'md-big', after, replicas: 4 } } }, timeoutSeconds: 900, pollSeconds: 10 },
    ]);
  });

  it('expects no count of a pool the cluster autoscaler sizes, only its Machines renewed', async () => {
    const { deps, workflows } = fakeToolDeps({ kube: new FakeKube().add(topologyCluster({ pools: [{ name: 'md-auto' }] })) });
    await callTool(rolloutCluster, args('md-auto'), at(deps, clock));
    assert.deepEqual(workflows.starts[0]!.input.operation.expect, { renewed: { pool: 'md-auto', after } });
  });

  it('rolls out a cluster labelled prevent-deletion: the label names deletion, not rollouts', async () => {
    const { deps, workflows } = fakeToolDeps({ kube: new FakeKube().add(withClass({ 'capi-mcp.io/prevent-deletion': 'true' })) });
    await callTool(rolloutCluster, args('md-0'), at(deps, clock));
    assert.equal(workflows.starts.length, 1);
  });

  it('without a ClusterClass, patches rollout.after on the KubeadmControlPlane (labelled with its cluster), expecting its 3 replicas renewed', async () => {
    // Prepare
    const { deps, kube, workflows } = fakeToolDeps({ kube: new FakeKube().add(...classic()) });

    // Act
    await callTool(rolloutCluster, args('control_plane'), at(deps, clock));

    // Assess
    const applies = kube.calls.filter((c) => c.verb === 'apply');
    assert.deepEqual(applies.map((c) => [c.text, c.fieldManager]), [['apply KubeadmControlPlane team-a/demo-cp (dry run)', 'capi-mcp-rollout']]);
    const patch = { apiVersion: 'controlplane.cluster.x-k8s.io/v1beta2', kind: 'KubeadmControlPlane', metadata: { name: 'demo-cp', namespace: ns, labels: { 'cluster.x-k8s.io/cluster-name': 'demo' } }, spec: { rollout: { after } } };
    assert.deepEqual(applies[0]!.object, patch);
    assert.deepEqual(kube.writes(), []);
    assert.deepEqual(workflows.starts.map((s) => s.input), [
      { operation: { action: 'rollout', namespace: ns, name: 'demo', objects: [patch], expect: { renewed: { pool: 'control plane', after, replicas: 3 } } }, timeoutSeconds: 3600, pollSeconds: 10 },
    ]);
  });

  it('without a ClusterClass, patches rollout.after on the MachineDeployment named, expecting its 2 replicas renewed', async () => {
    // Prepare
    const { deps, kube, workflows } = fakeToolDeps({ kube: new FakeKube().add(...classic()) });

    // Act
    await callTool(rolloutCluster, args('md-0'), at(deps, clock));

    // Assess
    const patch = { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'MachineDeployment', metadata: { name: 'md-0', namespace: ns, labels: { 'cluster.x-k8s.io/cluster-name': 'demo' } }, spec: { rollout: { after } } };
    assert.deepEqual(kube.calls.filter((c) => c.verb === 'apply').map((c) => c.object), [patch]);
    assert.deepEqual(workflows.starts.map((s) => s.input.operation), [{ action: 'rollout', namespace: ns, name: 'demo', objects: [patch], expect: { renewed: { pool: 'md-0', after, replicas: 2 } } }]);
  });

  it('joins the running rollout when the same call is retried a second later (the operation is keyed by its target, not its time): one start', async () => {
    // Prepare
    const { deps, workflows } = fakeToolDeps({ kube: new FakeKube().add(withClass()) });
    const first = await callTool(rolloutCluster, args('md-0'), at(deps, clock));

    // Act
    const again = await callTool(rolloutCluster, args('md-0'), at(deps, new Date(clock.getTime() + 1_000)));

    // Assess
    assert.equal(again.structured.operation_id, first.structured.operation_id);
    assert.equal(workflows.starts.length, 1, workflows.starts.map((s) => s.name).join(', '));
  });

  it('joins the running rollout of a cluster without a ClusterClass when retried a minute later: one start', async () => {
    const { deps, workflows } = fakeToolDeps({ kube: new FakeKube().add(...classic()) });
    const first = await callTool(rolloutCluster, args('control_plane'), at(deps, clock));
    const again = await callTool(rolloutCluster, args('control_plane'), at(deps, new Date(clock.getTime() + 60_000)));
    assert.equal(again.structured.operation_id, first.structured.operation_id);
    assert.equal(workflows.starts.length, 1, workflows.starts.map((s) => s.name).join(', '));
  });

  it('joins the running rollout when the same call is retried within its second', async () => {
    const { deps, workflows } = fakeToolDeps({ kube: new FakeKube().add(withClass()) });
    const first = await callTool(rolloutCluster, args('md-0'), at(deps, clock));
    const again = await callTool(rolloutCluster, args('md-0'), at(deps, new Date(clock.getTime() + 200)));
    assert.equal(again.structured.operation_id, first.structured.operation_id);
    assert.equal(workflows.starts.length, 1);
  });

  it('starts one rollout per target: the control plane and a pool side by side', async () => {
    const { deps, workflows } = fakeToolDeps({ kube: new FakeKube().add(withClass()) });
    const cp = await callTool(rolloutCluster, args('control_plane'), at(deps, clock));
    const md = await callTool(rolloutCluster, args('md-0'), at(deps, clock));
    assert.notEqual(cp.structured.operation_id, md.structured.operation_id);
    assert.deepEqual(workflows.starts.map((s) => s.input.operation.expect?.renewed?.pool), ['control plane', 'md-0']);
  });

  const targets: { name: string; target: string; valid: boolean }[] = [
    { name: 'the control plane', target: 'control_plane', valid: true },
    { name: 'a pool name of 63 characters', target: 'm'.repeat(63), valid: true },
    { name: 'a target over 63 characters', target: 'm'.repeat(64), valid: false },
  ];
  for (const c of targets) {
    it(`${c.valid ? 'accepts' : 'refuses'} ${c.name} as target`, () => {
      assert.equal(rolloutCluster.inputSchema.safeParse(args(c.target)).success, c.valid);
    });
  }
});

describe('rollout_cluster with dry_run', () => {
  /** demo: three control-plane Machines, md-0 with two workers (one being deleted) and md-big with one; another cluster's worker. */
  function world(objects: readonly KubeObject[] = [withClass()]) {
    const going = fakeMachine('demo-md-0-c');
    going.metadata.deletionTimestamp = '2026-11-25T11:59:00Z';
    const machines = [
      fakeMachine('demo-cp-1', { pool: 'control plane' }),
      fakeMachine('demo-md-0-b'),
      fakeMachine('demo-md-0-a'),
      going,
      fakeMachine('demo-md-big-a', { pool: 'md-big' }),
      fakeMachine('other-md-0-a', { cluster: 'other' }),
    ];
    return fakeToolDeps({ kube: new FakeKube().add(...objects, ...machines) });
  }

  it("runs the same dry-run apply, then answers a plan: the pool's rollout.after, its live Machines replaced, the call; nothing written, started or looked up", async () => {
    // Prepare
    const { deps, kube, workflows, operationsStarted } = world();

    // Act
    const { structured, text } = await callTool(rolloutCluster, args('md-0', { dry_run: true }), at(deps, clock));

    // Assess
    assert.deepEqual(kube.calls.filter((c) => c.verb === 'apply').map((c) => [c.text, c.fieldManager]), [['apply Cluster team-a/demo (dry run)', 'capi-mcp-rollout']]);
    assert.deepEqual([kube.writes(), workflows.starts, workflows.describes, operationsStarted], [[], [], [], []]);
    const plan = (structured as { plan?: { changes: string[]; machines: string[]; replaced?: string[]; guards: string[]; call: string } }).plan;
    assert.equal((structured as { operation_id?: string }).operation_id, undefined);
    assert.deepEqual(plan?.changes, [`Cluster team-a/demo: spec.topology.workers.machineDeployments[md-0].rollout.after (none) → ${after}`]);
    assert.deepEqual(plan?.replaced, ['demo-md-0-a', 'demo-md-0-b']);
    assert.deepEqual(plan?.machines, ['replace demo-md-0-a (md-0, same version)', 'replace demo-md-0-b (md-0, same version)']);
    assert.equal(plan?.guards[0], 'target: the control plane or an existing worker pool');
    assert.equal(plan?.call, 'rollout_cluster {"namespace":"team-a","name":"demo","target":"md-0","timeout_seconds":3600} without dry_run');
    assert.match(text, /^dry run of rollout_cluster: nothing applied, no operation started\n/);
    assert.ok(rolloutCluster.outputSchema.safeParse(structured).success, 'the plan fits the output schema');
  });

  it('names the control-plane Machines a control-plane rollout replaces, for a cluster without a ClusterClass too', async () => {
    for (const objects of [[withClass()], classic()]) {
      const { deps } = world(objects);
      const plan = (await callTool(rolloutCluster, args('control_plane', { dry_run: true }), at(deps, clock))).structured as { plan?: { replaced?: string[] } };
      assert.deepEqual(plan.plan?.replaced, ['demo-cp-1']);
    }
  });

  it('answers a plan while the same rollout runs, and neither joins nor starts it', async () => {
    const { deps, workflows } = world();
    const running = await callTool(rolloutCluster, args('md-0'), at(deps, clock));
    const planned = await callTool(rolloutCluster, args('md-0', { dry_run: true }), at(deps, clock));
    assert.ok((planned.structured as { plan?: unknown }).plan);
    assert.deepEqual(workflows.starts.map((s) => s.name), [running.structured.operation_id]);
  });

  it('refuses what the real call refuses: an unknown pool, a GitOps owner; nothing written or started', async () => {
    const unknown = world();
    assert.equal((await refusal(callTool(rolloutCluster, args('md-9', { dry_run: true }), unknown.deps))).code, ErrorCode.InvalidInput);
    const gitops = world([withClass({ 'kustomize.toolkit.fluxcd.io/name': 'fleet' })]);
    assert.equal((await refusal(callTool(rolloutCluster, args('md-0', { dry_run: true }), gitops.deps))).code, ErrorCode.Forbidden);
    for (const w of [unknown, gitops]) assert.deepEqual([w.kube.writes(), w.workflows.starts], [[], []]);
  });
});
