/**
 * create_cluster (shared/mcp/tools/create-cluster.ts) against a fake management cluster: what it refuses
 * before anything is written or started, what it validates with the API server (a dry run, nothing
 * else), what operation it starts, and that the same request while it runs joins that operation.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, type CapiMcpError } from '../../shared/errors.ts';
import type { KubeObject } from '../../shared/kube/client.ts';
import { createCluster } from '../../shared/mcp/tools/create-cluster.ts';
import { apiFailure, assertRefusal, callTool, FakeKube, fakeToolDeps, fieldConflict, topologyCluster, refusal } from '../support/fake-kube.ts';

const ns = 'team-a';

/** A ClusterClass of the sandbox's provider (DevCluster, KubeadmControlPlane) with one worker class and one variable. */
function quickStart(): KubeObject {
  return {
    apiVersion: 'cluster.x-k8s.io/v1beta2',
    kind: 'ClusterClass',
    metadata: { name: 'quick-start', namespace: ns },
    spec: {
      infrastructure: { templateRef: { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2', kind: 'DevClusterTemplate', name: 'quick-start' } },
      controlPlane: { templateRef: { apiVersion: 'controlplane.cluster.x-k8s.io/v1beta2', kind: 'KubeadmControlPlaneTemplate', name: 'quick-start' } },
      workers: { machineDeployments: [{ class: 'default-worker' }] },
      variables: [{ name: 'imageRepository', schema: { openAPIV3Schema: { type: 'string' } } }],
    },
  };
}

/** CAPA's EKS class: the provider sizes the control plane. */
function eksClass(): KubeObject {
  return {
    apiVersion: 'cluster.x-k8s.io/v1beta2',
    kind: 'ClusterClass',
    metadata: { name: 'aws-eks', namespace: ns },
    spec: {
      infrastructure: { templateRef: { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2', kind: 'AWSManagedClusterTemplate', name: 'aws-eks' } },
      controlPlane: { templateRef: { apiVersion: 'controlplane.cluster.x-k8s.io/v1beta2', kind: 'AWSManagedControlPlaneTemplate', name: 'aws-eks' } },
      workers: { machineDeployments: [{ class: 'default-worker' }] },
      variables: [],
    },
  };
}

const args = {
  namespace: ns,
  name: 'new-one',
  cluster_class: 'quick-start',
  kubernetes_version: 'v1.34.1',
  workers: [{ class: 'default-worker', name: 'md-0', replicas: 2 }],
};

function world() {
  return fakeToolDeps({ kube: new FakeKube().add(quickStart(), eksClass()) });
}

interface RefusalCase {
  readonly name: string;
  readonly args: Record<string, unknown>;
  /** Changes to the fake cluster before the call. */
  readonly prepare?: (kube: FakeKube) => void;
  readonly expect: { readonly code: ErrorCode; readonly message: RegExp; readonly hint?: RegExp };
}

const refusals: RefusalCase[] = [
  {
    name: 'a reserved label key, before reading anything',
    args: { ...args, labels: { 'cluster.x-k8s.io/cluster-name': 'other' } },
    expect: { code: ErrorCode.InvalidInput, message: /^invalid cluster team-a\/new-one: label "cluster\.x-k8s\.io\/cluster-name"/, hint: /under a domain of your own/ },
  },
  {
    name: 'a GitOps marker as a label, which would make capi-mcp refuse its own cluster later',
    args: { ...args, labels: { 'kustomize.toolkit.fluxcd.io/name': 'x' } },
    expect: { code: ErrorCode.InvalidInput, message: /^invalid cluster team-a\/new-one: label "kustomize\.toolkit\.fluxcd\.io\/name"/ },
  },
  {
    name: 'a variable over the size limit',
    args: { ...args, variables: { imageRepository: 'x'.repeat(70_000) } },
    expect: { code: ErrorCode.InvalidInput, message: /^invalid cluster team-a\/new-one: variable "imageRepository" is \d+ bytes as JSON; at most \d+$/, hint: /belongs in a Secret or ConfigMap/ },
  },
  {
    name: 'a ClusterClass that does not exist',
    args: { ...args, cluster_class: 'nope' },
    expect: { code: ErrorCode.InvalidInput, message: /^ClusterClass team-a\/nope does not exist$/, hint: /capi:\/\/clusterclasses/ },
  },
  {
    name: 'a ClusterClass the identity may not read, with the code kept',
    args,
    prepare: (kube) => kube.failOn({ verb: 'get', kind: 'ClusterClass' }, apiFailure('get ClusterClass team-a/quick-start', 403, { message: 'clusterclasses is forbidden' })),
    expect: { code: ErrorCode.Forbidden, message: /^failed to read the ClusterClass: failed to get ClusterClass team-a\/quick-start: clusterclasses is forbidden$/ },
  },
  {
    name: 'control-plane replicas for a class whose provider sizes the control plane',
    args: { ...args, cluster_class: 'aws-eks', control_plane_replicas: 3 },
    expect: { code: ErrorCode.InvalidInput, message: /^ClusterClass aws-eks has a control plane its provider sizes: omit control_plane_replicas$/ },
  },
  {
    name: 'a worker class the ClusterClass does not have',
    args: { ...args, workers: [{ class: 'gpu', name: 'md-0', replicas: 1 }] },
    expect: { code: ErrorCode.InvalidInput, message: /worker pool "md-0": class "gpu" is not in ClusterClass quick-start \(it has: default-worker\)/, hint: /capi:\/\/clusterclasses/ },
  },
  {
    name: 'a variable the ClusterClass does not define',
    args: { ...args, variables: { sshKey: 'x' } },
    expect: { code: ErrorCode.InvalidInput, message: /variable "sshKey" is not defined by ClusterClass quick-start \(it defines: imageRepository\)/ },
  },
  {
    name: 'a variable value its schema refuses',
    args: { ...args, variables: { imageRepository: 42 } },
    expect: { code: ErrorCode.InvalidInput, message: /variable "imageRepository"/ },
  },
  {
    name: 'a cluster that already exists',
    args,
    prepare: (kube) => kube.add(topologyCluster({ name: 'new-one' })),
    expect: { code: ErrorCode.Conflict, message: /^cluster team-a\/new-one already exists$/, hint: /call get_cluster to see it, or choose another name/ },
  },
  {
    name: "the API server's refusal in the dry run, with its reason",
    args,
    prepare: (kube) =>
      kube.failOn({ verb: 'apply', kind: 'Cluster', dryRun: true }, apiFailure('validate Cluster team-a/new-one', 422, { message: 'Cluster.cluster.x-k8s.io "new-one" is invalid: spec.topology.version: Invalid value' })),
    expect: { code: ErrorCode.InvalidInput, message: /^the API server rejected cluster team-a\/new-one: failed to validate Cluster team-a\/new-one: Cluster\.cluster\.x-k8s\.io "new-one" is invalid/ },
  },
  {
    name: 'a dry run whose fields another manager owns, naming the manager',
    args,
    prepare: (kube) => kube.failOn({ verb: 'apply', kind: 'Cluster', dryRun: true }, fieldConflict('validate Cluster team-a/new-one', 'kustomize-controller', ['.spec.topology.version'])),
    expect: { code: ErrorCode.Conflict, message: /field manager "kustomize-controller" owns \.spec\.topology\.version/, hint: /nothing was changed/ },
  },
  {
    name: 'a dry-run create the identity may not make (RBAC allows patch only)',
    args,
    prepare: (kube) => kube.failOn({ verb: 'create', kind: 'Cluster', dryRun: true }, apiFailure('validate the creation of Cluster team-a/new-one', 403, { message: 'clusters.cluster.x-k8s.io is forbidden' })),
    expect: { code: ErrorCode.Forbidden, message: /^the API server rejected cluster team-a\/new-one: failed to validate the creation of Cluster/ },
  },
];

describe('create_cluster', () => {
  for (const c of refusals) {
    it(`refuses ${c.name}, writing and starting nothing`, async () => {
      // Prepare
      const { deps, kube, workflows } = world();
      c.prepare?.(kube);

      // Act
      const error: CapiMcpError = await refusal(callTool(createCluster, c.args, deps));

      // Assess
      assertRefusal(error, c.expect);
      assert.deepEqual(kube.writes(), [], 'nothing written');
      assert.deepEqual(workflows.starts, [], 'nothing started');
    });
  }

  it('refuses a reserved label before it reads the ClusterClass', async () => {
    const { deps, kube } = world();
    await refusal(callTool(createCluster, { ...args, labels: { 'capi-mcp.io/prevent-deletion': 'false' } }, deps));
    assert.deepEqual(kube.calls, []);
  });

  it('validates with dry runs only (apply, then create, as capi-mcp-create), then starts the create operation', async () => {
    // Prepare
    const { deps, kube, workflows, operationsStarted } = world();

    // Act
    const { structured, text } = await callTool(createCluster, { ...args, labels: { 'team.example.com/owner': 'a' } }, deps);

    // Assess
    assert.deepEqual(
      kube.calls.filter((c) => c.verb === 'apply' || c.verb === 'create').map((c) => [c.text, c.fieldManager, c.force === true]),
      [
        ['apply Cluster team-a/new-one (dry run)', 'capi-mcp-create', false],
        ['create Cluster team-a/new-one (dry run)', 'capi-mcp-create', false],
      ],
    );
    assert.deepEqual(kube.writes(), [], 'the workflow applies, not the tool');
    assert.equal(workflows.starts.length, 1);
    const { name, input } = workflows.starts[0]!;
    assert.match(name, /^create_team-a_new-one_[0-9a-f]{20}$/);
    assert.deepEqual(input, {
      operation: {
        action: 'create',
        namespace: ns,
        name: 'new-one',
        cluster: {
          apiVersion: 'cluster.x-k8s.io/v1beta2',
          kind: 'Cluster',
          metadata: { name: 'new-one', namespace: ns, labels: { 'team.example.com/owner': 'a' } },
          spec: {
            topology: {
              classRef: { name: 'quick-start' },
              version: 'v1.34.1',
              controlPlane: { replicas: 1 },
              workers: { machineDeployments: [{ class: 'default-worker', name: 'md-0', replicas: 2 }] },
            },
          },
        },
        expect: { controlPlaneReplicas: 1, workerReplicas: 2 },
      },
      timeoutSeconds: 1800,
      pollSeconds: 10,
    });
    assert.deepEqual(structured, { operation_id: name, action: 'create', cluster: 'team-a/new-one', status: 'RUNNING', current_step: 'Apply', elapsed_seconds: 0 });
    assert.match(text, new RegExp(`Next: call get_operation with operation_id="${name}"`));
    assert.deepEqual(operationsStarted, ['create']);
  });

  it('sends no control-plane count for a class whose provider sizes the control plane', async () => {
    const { deps, workflows } = world();
    await callTool(createCluster, { ...args, cluster_class: 'aws-eks' }, deps);
    const { operation } = workflows.starts[0]!.input;
    assert.equal(operation.cluster?.spec.topology.controlPlane, undefined);
    assert.deepEqual(operation.expect, { workerReplicas: 2 });
  });

  it('starts when the dry-run create finds the Cluster an identical request created since the existence check', async () => {
    // Prepare: the existence check saw nothing; the create answers AlreadyExists.
    const { deps, kube, workflows } = world();
    kube.failOn({ verb: 'create', dryRun: true }, apiFailure('validate the creation of Cluster team-a/new-one', 409, { reason: 'AlreadyExists', message: 'clusters "new-one" already exists' }));

    // Act
    const { structured } = await callTool(createCluster, args, deps);

    // Assess
    assert.equal(structured.status, 'RUNNING');
    assert.equal(workflows.starts.length, 1);
  });

  it('joins the running operation of the same request, without judging the cluster its Apply created', async () => {
    // Prepare: the first call started the operation, whose Apply step then created the Cluster.
    const { deps, kube, workflows, operationsStarted } = world();
    const first = await callTool(createCluster, args, deps);
    kube.add(topologyCluster({ name: 'new-one' }));
    const callsBefore = kube.calls.length;

    // Act
    const again = await callTool(createCluster, args, deps);

    // Assess
    assert.equal(again.structured.operation_id, first.structured.operation_id);
    assert.equal(workflows.starts.length, 1, 'started once');
    assert.deepEqual(operationsStarted, ['create']);
    assert.deepEqual(kube.calls.slice(callsBefore).map((c) => c.text), ['get ClusterClass/quick-start'], 'only the class is read: no existence check, no dry run');
  });

  it('starts another operation for the same cluster with other arguments once the first has ended', async () => {
    // Prepare
    const { deps, workflows } = world();
    const first = await callTool(createCluster, args, deps);
    workflows.update(first.structured.operation_id!, { status: 'SUCCEEDED' });

    // Act
    const second = await callTool(createCluster, { ...args, workers: [{ class: 'default-worker', name: 'md-0', replicas: 3 }] }, deps);

    // Assess
    assert.notEqual(second.structured.operation_id, first.structured.operation_id);
    assert.equal(workflows.starts.length, 2);
  });

  it('refuses a management cluster that is not configured, naming those that are', async () => {
    const { deps, workflows } = world();
    const error = await refusal(callTool(createCluster, { ...args, management_cluster: 'prod' }, deps));
    assert.equal(error.code, ErrorCode.InvalidInput);
    assert.equal(error.message, 'unknown management cluster "prod"');
    assert.equal(error.hint, 'use one of: sandbox');
    assert.deepEqual(workflows.starts, []);
  });

  const schema: { name: string; args: Record<string, unknown>; valid: boolean }[] = [
    { name: 'an even control-plane count (etcd quorum)', args: { ...args, control_plane_replicas: 2 }, valid: false },
    { name: 'more than 7 control-plane replicas', args: { ...args, control_plane_replicas: 9 }, valid: false },
    { name: 'a pool of more than 100 replicas', args: { ...args, workers: [{ class: 'default-worker', name: 'md-0', replicas: 101 }] }, valid: false },
    { name: 'two pools of one name', args: { ...args, workers: [{ class: 'a', name: 'md-0', replicas: 1 }, { class: 'b', name: 'md-0', replicas: 1 }] }, valid: false },
    { name: 'a version with a leading zero', args: { ...args, kubernetes_version: 'v1.034.0' }, valid: false },
    { name: 'a label value over 63 characters', args: { ...args, labels: { team: 'x'.repeat(64) } }, valid: false },
    { name: '3 control-plane replicas and 100 workers', args: { ...args, control_plane_replicas: 3, workers: [{ class: 'default-worker', name: 'md-0', replicas: 100 }] }, valid: true },
  ];
  for (const c of schema) {
    it(`${c.valid ? 'accepts' : 'refuses'} ${c.name} in its arguments`, () => {
      assert.equal(createCluster.inputSchema.safeParse(c.args).success, c.valid);
    });
  }
});

describe('create_cluster with dry_run', () => {
  it('runs the same checks and dry runs as the real call, then answers the Cluster it would create and its Machines; nothing created or started', async () => {
    // Prepare
    const { deps, kube, workflows, operationsStarted } = world();

    // Act
    const { structured, text } = await callTool(createCluster, { ...args, labels: { 'team.example.com/owner': 'a' }, dry_run: true }, deps);

    // Assess
    const real = world();
    await callTool(createCluster, { ...args, labels: { 'team.example.com/owner': 'a' } }, real.deps);
    assert.deepEqual(kube.transcript(), real.kube.transcript(), 'the API calls of the real call, dry runs included');
    assert.ok(kube.transcript().includes('create Cluster team-a/new-one (dry run)'));
    assert.deepEqual([kube.writes(), workflows.starts, workflows.describes, operationsStarted], [[], [], [], []]);
    const plan = (structured as { plan?: { changes: string[]; machines: string[]; guards: string[]; call: string } }).plan;
    assert.deepEqual(plan?.changes, [
      'Cluster team-a/new-one: metadata.labels.team.example.com/owner (none) → a',
      'Cluster team-a/new-one: spec.topology.classRef.name (none) → quick-start',
      'Cluster team-a/new-one: spec.topology.controlPlane.replicas (none) → 1',
      'Cluster team-a/new-one: spec.topology.version (none) → v1.34.1',
      'Cluster team-a/new-one: spec.topology.workers.machineDeployments[md-0] (none) → {"class":"default-worker","name":"md-0","replicas":2}',
    ]);
    assert.deepEqual(plan?.machines, ['control plane: create 1 Machine(s)', 'worker pool "md-0": create 2 Machine(s)']);
    assert.ok(plan?.guards.some((g) => /ClusterClass quick-start/.test(g)));
    assert.match(plan?.call ?? '', /^create_cluster \{"namespace":"team-a","name":"new-one",.*\} without dry_run$/);
    assert.match(text, /^dry run of create_cluster: nothing applied, no operation started/);
    assert.ok(createCluster.outputSchema.safeParse(structured).success);
  });

  it('refuses what the real call refuses: a cluster that exists', async () => {
    const { deps, kube, workflows } = world();
    kube.add(topologyCluster({ name: 'new-one' }));
    assert.equal((await refusal(callTool(createCluster, { ...args, dry_run: true }, deps))).code, ErrorCode.Conflict);
    assert.deepEqual([kube.writes(), workflows.starts], [[], []]);
  });
});
