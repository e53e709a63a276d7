/**
 * scale_cluster (shared/mcp/tools/scale-cluster.ts) against a fake management cluster, for a cluster with
 * a ClusterClass (one patch of its topology) and one without (its MachineDeployments and control plane):
 * what it refuses and why, what the owners' guard allows, what it dry-runs, what operation it starts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../shared/errors.ts';
import type { KubeObject } from '../../shared/kube/client.ts';
import { scaleCluster } from '../../shared/mcp/tools/scale-cluster.ts';
import { apiFailure, assertRefusal, callTool, FakeKube, fakeToolDeps, fieldConflict, labelled, topologyCluster, refusal, uidOf } from '../support/fake-kube.ts';
import { fakeMachine, fakeMachineDeployment } from '../support/fake-machines.ts';

const ns = 'team-a';
const preventDeletion = { 'capi-mcp.io/prevent-deletion': 'true' };
const flux = { 'kustomize.toolkit.fluxcd.io/name': 'clusters' };

/** A topology cluster: 3 control-plane replicas, md-0 at 2, md-auto sized by the cluster autoscaler. */
const withClass = (labels: Record<string, string> = {}) =>
  labelled(topologyCluster({ pools: [{ name: 'md-0', replicas: 2 }, { name: 'md-auto' }] }), labels);

/** An EKS cluster with a ClusterClass: its provider sizes the control plane. */
function eks(): KubeObject {
  const cluster = topologyCluster({ controlPlaneReplicas: undefined });
  cluster.spec.infrastructureRef = { apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'AWSManagedCluster', name: 'demo' };
  cluster.spec.controlPlaneRef = { apiGroup: 'controlplane.cluster.x-k8s.io', kind: 'AWSManagedControlPlane', name: 'demo' };
  return cluster;
}

/** A cluster without a ClusterClass: md-0 (2 replicas) and a KubeadmControlPlane of 3; md-x belongs to another cluster. */
function classic({ cluster = {}, md = {}, cp = {} }: { cluster?: Record<string, string>; md?: Record<string, string>; cp?: Record<string, string> } = {}): KubeObject[] {
  const part = (kind: string, apiVersion: string, name: string, owner: string, replicas: number, labels: Record<string, string>): KubeObject => ({
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
    part('MachineDeployment', 'cluster.x-k8s.io/v1beta2', 'md-x', 'other', 5, {}),
    part('KubeadmControlPlane', 'controlplane.cluster.x-k8s.io/v1beta2', 'demo-cp', 'demo', 3, cp),
  ];
}

const args = (fields: Record<string, unknown>) => ({ namespace: ns, name: 'demo', ...fields });

interface RefusalCase {
  readonly name: string;
  readonly objects: readonly KubeObject[];
  readonly args: Record<string, unknown>;
  readonly prepare?: (kube: FakeKube) => void;
  readonly expect: { readonly code: ErrorCode; readonly message: string | RegExp; readonly hint?: string | RegExp };
}

const refusals: RefusalCase[] = [
  {
    name: 'a cluster that does not exist',
    objects: [],
    args: args({ worker_pools: [{ name: 'md-0', replicas: 3 }] }),
    expect: { code: ErrorCode.NotFound, message: 'cluster team-a/demo not found' },
  },
  {
    name: 'a pool the topology does not have, naming those it has',
    objects: [withClass()],
    args: args({ worker_pools: [{ name: 'md-9', replicas: 3 }] }),
    expect: { code: ErrorCode.InvalidInput, message: 'cannot scale cluster team-a/demo: worker pool "md-9" does not exist (the cluster has: md-0, md-auto)', hint: 'call get_cluster to see its current topology' },
  },
  {
    name: 'a pool the cluster autoscaler sizes',
    objects: [withClass()],
    args: args({ worker_pools: [{ name: 'md-auto', replicas: 3 }] }),
    expect: { code: ErrorCode.InvalidInput, message: /worker pool "md-auto" is sized by the cluster autoscaler .*change its autoscaler min and max size instead$/ },
  },
  {
    name: 'control-plane replicas of a control plane its provider sizes (EKS)',
    objects: [eks()],
    args: args({ control_plane_replicas: 3 }),
    expect: { code: ErrorCode.InvalidInput, message: 'cannot scale cluster team-a/demo: its control plane (AWSManagedControlPlane) is sized by its provider, not by replicas' },
  },
  {
    name: 'a pool scaled to 0 on a cluster labelled prevent-deletion',
    objects: [withClass(preventDeletion)],
    args: args({ worker_pools: [{ name: 'md-0', replicas: 0 }] }),
    expect: {
      code: ErrorCode.Forbidden,
      message: 'refusing to scale cluster team-a/demo: it carries the label capi-mcp.io/prevent-deletion=true, and worker pool "md-0" from 2 to 0 would delete every machine of that pool',
      hint: 'keep at least 1 replica, or remove the label capi-mcp.io/prevent-deletion from Cluster demo first, if the user intends it',
    },
  },
  {
    name: 'a scale-down of a cluster Flux manages',
    objects: [withClass(flux)],
    args: args({ control_plane_replicas: 1 }),
    expect: {
      code: ErrorCode.Forbidden,
      message: /it is managed by Flux \(Kustomization\) \(label kustomize\.toolkit\.fluxcd\.io\/name=clusters\), and scaling down the control plane from 3 to 1 is a destructive change/,
      hint: /change the cluster in the Git source/,
    },
  },
  {
    name: 'a dry run whose replicas another field manager owns (a cluster autoscaler), naming it',
    objects: [withClass()],
    args: args({ worker_pools: [{ name: 'md-0', replicas: 3 }] }),
    prepare: (kube) => kube.failOn({ verb: 'apply', dryRun: true }, fieldConflict('validate Cluster team-a/demo', 'cluster-autoscaler', ['.spec.topology.workers.machineDeployments[name="md-0"].replicas'])),
    expect: { code: ErrorCode.Conflict, message: /^the API server rejected the scale of cluster team-a\/demo: failed to validate Cluster team-a\/demo: field manager "cluster-autoscaler" owns/ },
  },
  {
    name: 'a pool a cluster without a ClusterClass does not have, naming its own MachineDeployments only',
    objects: classic(),
    args: args({ worker_pools: [{ name: 'md-x', replicas: 1 }] }),
    expect: {
      code: ErrorCode.InvalidInput,
      message: `cannot scale cluster team-a/demo: worker pool "md-x" does not exist: without a ClusterClass, pools are the cluster's MachineDeployments (it has: md-0)`,
      hint: 'call get_cluster to see its MachineDeployments and control plane',
    },
  },
  {
    name: 'a scale-down of a MachineDeployment Argo CD manages, on a cluster that carries no marker itself',
    objects: classic({ md: { 'argocd.argoproj.io/instance': 'fleet' } }),
    args: args({ worker_pools: [{ name: 'md-0', replicas: 1 }] }),
    expect: { code: ErrorCode.Forbidden, message: /it is managed by Argo CD \(label argocd\.argoproj\.io\/instance=fleet on MachineDeployment md-0\)/ },
  },
  {
    name: 'a MachineDeployment emptied on a cluster without a ClusterClass labelled prevent-deletion',
    objects: classic({ cluster: preventDeletion }),
    args: args({ worker_pools: [{ name: 'md-0', replicas: 0 }] }),
    expect: { code: ErrorCode.Forbidden, message: /worker pool "md-0" from 2 to 0 would delete every machine of that pool/ },
  },
  {
    name: "a replica patch the API server's dry run refuses, naming the object",
    objects: classic(),
    args: args({ control_plane_replicas: 5 }),
    prepare: (kube) => kube.failOn({ verb: 'apply', kind: 'KubeadmControlPlane', dryRun: true }, apiFailure('validate KubeadmControlPlane team-a/demo-cp', 403, { message: 'kubeadmcontrolplanes is forbidden' })),
    expect: { code: ErrorCode.Forbidden, message: 'the API server rejected the scale of KubeadmControlPlane team-a/demo-cp: failed to validate KubeadmControlPlane team-a/demo-cp: kubeadmcontrolplanes is forbidden' },
  },
];

describe('scale_cluster', () => {
  for (const c of refusals) {
    it(`refuses ${c.name}, writing and starting nothing`, async () => {
      // Prepare
      const { deps, kube, workflows } = fakeToolDeps({ kube: new FakeKube().add(...c.objects) });
      c.prepare?.(kube);

      // Act
      const error = await refusal(callTool(scaleCluster, c.args, deps));

      // Assess
      assertRefusal(error, c.expect);
      assert.deepEqual(kube.writes(), [], 'nothing written');
      assert.deepEqual(workflows.starts, [], 'nothing started');
    });
  }

  const allowed: { name: string; objects: readonly KubeObject[]; args: Record<string, unknown> }[] = [
    { name: 'a scale-down that leaves machines on a cluster labelled prevent-deletion', objects: [withClass(preventDeletion)], args: args({ worker_pools: [{ name: 'md-0', replicas: 1 }] }) },
    { name: 'a scale-up of a cluster Flux manages', objects: [withClass(flux)], args: args({ worker_pools: [{ name: 'md-0', replicas: 5 }], control_plane_replicas: 5 }) },
    { name: 'a scale-up of a MachineDeployment Argo CD manages', objects: classic({ md: { 'argocd.argoproj.io/instance': 'fleet' } }), args: args({ worker_pools: [{ name: 'md-0', replicas: 3 }] }) },
  ];
  for (const c of allowed) {
    it(`starts ${c.name}`, async () => {
      const { deps, workflows } = fakeToolDeps({ kube: new FakeKube().add(...c.objects) });
      const { structured } = await callTool(scaleCluster, c.args, deps);
      assert.equal(structured.status, 'RUNNING');
      assert.equal(workflows.starts.length, 1);
    });
  }

  it('dry-runs one topology patch carrying every pool count but the autoscaled one, then starts the scale', async () => {
    // Prepare
    const { deps, kube, workflows, operationsStarted } = fakeToolDeps({ kube: new FakeKube().add(withClass()) });

    // Act
    const { structured } = await callTool(scaleCluster, args({ worker_pools: [{ name: 'md-0', replicas: 4 }] }), deps);

    // Assess
    const applies = kube.calls.filter((c) => c.verb === 'apply');
    assert.deepEqual(applies.map((c) => [c.text, c.fieldManager, c.force]), [['apply Cluster team-a/demo (dry run)', 'capi-mcp-scale', false]]);
    const patch = {
      apiVersion: 'cluster.x-k8s.io/v1beta2',
      kind: 'Cluster',
      metadata: { name: 'demo', namespace: ns },
      spec: { topology: { controlPlane: { replicas: 3 }, workers: { machineDeployments: [{ name: 'md-0', class: 'default-worker', replicas: 4 }, { name: 'md-auto', class: 'default-worker' }] } } },
    };
    // Note: the dry run is conditional on the resourceVersion it read (shared/kube/owned-apply.ts).
    assert.deepEqual(applies[0]!.object, { ...patch, metadata: { ...patch.metadata, resourceVersion: '7' } });
    assert.deepEqual(kube.writes(), []);
    assert.deepEqual(workflows.starts.map((s) => s.input), [
      { operation: { action: 'scale', namespace: ns, name: 'demo', cluster: patch, expect: { controlPlaneReplicas: 3 } }, timeoutSeconds: 1800, pollSeconds: 10 },
    ]);
    assert.match(structured.operation_id!, /^scale_team-a_demo_[0-9a-f]{20}$/);
    assert.deepEqual(operationsStarted, ['scale']);
  });

  it('scales a cluster without a ClusterClass through its own MachineDeployments and control plane, by the cluster-name label', async () => {
    // Prepare
    const { deps, kube, workflows } = fakeToolDeps({ kube: new FakeKube().add(...classic()) });

    // Act
    await callTool(scaleCluster, args({ worker_pools: [{ name: 'md-0', replicas: 3 }], control_plane_replicas: 5 }), deps);

    // Assess
    const list = kube.calls.find((c) => c.verb === 'list');
    assert.deepEqual([list?.kind, list?.namespace, list?.labelSelector], ['MachineDeployment', ns, 'cluster.x-k8s.io/cluster-name=demo']);
    assert.deepEqual(
      kube.calls.filter((c) => c.verb === 'apply').map((c) => [c.text, c.fieldManager]),
      [
        ['apply MachineDeployment team-a/md-0 (dry run)', 'capi-mcp-scale'],
        ['apply KubeadmControlPlane team-a/demo-cp (dry run)', 'capi-mcp-scale'],
      ],
    );
    assert.deepEqual(kube.writes(), []);
    const { operation } = workflows.starts[0]!.input;
    assert.equal(operation.cluster, undefined);
    assert.deepEqual(operation.objects, [
      { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'MachineDeployment', metadata: { name: 'md-0', namespace: ns, labels: { 'cluster.x-k8s.io/cluster-name': 'demo' } }, spec: { replicas: 3 } },
      { apiVersion: 'controlplane.cluster.x-k8s.io/v1beta2', kind: 'KubeadmControlPlane', metadata: { name: 'demo-cp', namespace: ns, labels: { 'cluster.x-k8s.io/cluster-name': 'demo' } }, spec: { replicas: 5 } },
    ]);
    assert.deepEqual(operation.expect, { controlPlaneReplicas: 5, workerReplicas: 3 });
  });

  it('joins the running scale to the same counts instead of starting it twice', async () => {
    // Prepare
    const { deps, kube, workflows } = fakeToolDeps({ kube: new FakeKube().add(withClass()) });
    const request = args({ worker_pools: [{ name: 'md-0', replicas: 4 }] });
    const first = await callTool(scaleCluster, request, deps);
    const appliesBefore = kube.calls.filter((c) => c.verb === 'apply').length;

    // Act
    const again = await callTool(scaleCluster, request, deps);
    const other = await callTool(scaleCluster, args({ worker_pools: [{ name: 'md-0', replicas: 5 }] }), deps);

    // Assess
    assert.equal(again.structured.operation_id, first.structured.operation_id);
    assert.equal(kube.calls.filter((c) => c.verb === 'apply').length, appliesBefore + 1, 'no dry run for the joined one; one for the other');
    assert.notEqual(other.structured.operation_id, first.structured.operation_id, 'other counts are another operation');
    assert.equal(workflows.starts.length, 2);
  });

  const limits: { name: string; args: Record<string, unknown>; valid: boolean }[] = [
    { name: 'neither pools nor control-plane replicas', args: args({}), valid: false },
    { name: 'an empty list of pools and nothing else', args: args({ worker_pools: [] }), valid: false },
    { name: 'an even control-plane count (etcd quorum)', args: args({ control_plane_replicas: 4 }), valid: false },
    { name: 'a control plane of 0', args: args({ control_plane_replicas: 0 }), valid: false },
    { name: 'a pool of 101 replicas', args: args({ worker_pools: [{ name: 'md-0', replicas: 101 }] }), valid: false },
    { name: 'more than 10 pools at once', args: args({ worker_pools: Array.from({ length: 11 }, (_, i) => ({ name: `md-${i}`, replicas: 1 })) }), valid: false },
    { name: 'a timeout under a minute', args: args({ control_plane_replicas: 3, timeout_seconds: 59 }), valid: false },
    { name: 'a pool emptied (0 replicas) and 7 control-plane replicas', args: args({ worker_pools: [{ name: 'md-0', replicas: 0 }], control_plane_replicas: 7 }), valid: true },
  ];
  for (const c of limits) {
    it(`${c.valid ? 'accepts' : 'refuses'} ${c.name} in its arguments`, () => {
      assert.equal(scaleCluster.inputSchema.safeParse(c.args).success, c.valid);
    });
  }
});

describe('scale_cluster with dry_run', () => {
  const planOf = (structured: unknown) => (structured as { plan?: { changes: string[]; machines: string[]; removed?: string[]; guards: string[]; call: string } }).plan;

  it('dry-runs the topology patch as the real call does and names the Machines a scale-down removes (Random: by name); nothing written or started', async () => {
    // Prepare
    const machines = [fakeMachine('demo-md-0-c'), fakeMachine('demo-md-0-a'), fakeMachine('demo-md-0-b'), fakeMachine('demo-cp-1', { pool: 'control plane' })];
    const { deps, kube, workflows } = fakeToolDeps({ kube: new FakeKube().add(topologyCluster({ pools: [{ name: 'md-0', replicas: 3 }] }), fakeMachineDeployment('md-0'), ...machines) });

    // Act
    const { structured, text } = await callTool(scaleCluster, args({ worker_pools: [{ name: 'md-0', replicas: 1 }], dry_run: true }), deps);

    // Assess
    assert.deepEqual(kube.calls.filter((c) => c.verb === 'apply').map((c) => c.text), ['apply Cluster team-a/demo (dry run)']);
    assert.deepEqual([kube.writes(), workflows.starts, workflows.describes], [[], [], []]);
    const plan = planOf(structured);
    assert.deepEqual(plan?.changes, ['Cluster team-a/demo: spec.topology.workers.machineDeployments[md-0].replicas 3 → 1']);
    assert.deepEqual(plan?.removed, ['demo-md-0-a', 'demo-md-0-b']);
    assert.match(plan?.machines[0] ?? '', /^worker pool "md-0": remove demo-md-0-a, demo-md-0-b \(3 → 1; MachineSet deletion order Random: /);
    assert.match(text, /Next: to make it, call scale_cluster \{"namespace":"team-a","name":"demo","worker_pools":\[\{"name":"md-0","replicas":1\}\],"timeout_seconds":1800\} without dry_run/);
    assert.ok(scaleCluster.outputSchema.safeParse(structured).success);
  });

  it("follows the pool's deletion order (Newest) and says how many Machines a scale-up creates", async () => {
    const machines = [fakeMachine('demo-md-0-a', { created: '2026-11-20T10:00:00Z' }), fakeMachine('demo-md-0-b', { created: '2026-11-21T10:00:00Z' })];
    const { deps } = fakeToolDeps({ kube: new FakeKube().add(topologyCluster({ pools: [{ name: 'md-0', replicas: 2 }] }), fakeMachineDeployment('md-0', { order: 'Newest' }), ...machines) });
    assert.deepEqual(planOf((await callTool(scaleCluster, args({ worker_pools: [{ name: 'md-0', replicas: 1 }], dry_run: true }), deps)).structured)?.removed, ['demo-md-0-b']);
    const up = planOf((await callTool(scaleCluster, args({ worker_pools: [{ name: 'md-0', replicas: 4 }], dry_run: true }), deps)).structured);
    assert.deepEqual(up?.machines, ['worker pool "md-0": create 2 Machine(s) (2 → 4)']);
    assert.deepEqual(up?.removed, []);
  });

  it('dry-runs the replicas of a cluster without a ClusterClass, diffing each object it writes', async () => {
    const { deps, kube, workflows } = fakeToolDeps({ kube: new FakeKube().add(...classic()) });
    const plan = planOf((await callTool(scaleCluster, args({ worker_pools: [{ name: 'md-0', replicas: 3 }], control_plane_replicas: 5, dry_run: true }), deps)).structured);
    assert.deepEqual(plan?.changes, [
      'MachineDeployment team-a/md-0: spec.replicas 2 → 3',
      'KubeadmControlPlane team-a/demo-cp: spec.replicas 3 → 5',
    ]);
    assert.deepEqual([kube.writes(), workflows.starts], [[], []]);
  });

  it('refuses what the real call refuses: emptying a pool of a cluster labelled prevent-deletion', async () => {
    const { deps, kube, workflows } = fakeToolDeps({ kube: new FakeKube().add(withClass(preventDeletion)) });
    const error = await refusal(callTool(scaleCluster, args({ worker_pools: [{ name: 'md-0', replicas: 0 }], dry_run: true }), deps));
    assert.equal(error.code, ErrorCode.Forbidden);
    assert.deepEqual([kube.writes(), workflows.starts], [[], []]);
  });
});
