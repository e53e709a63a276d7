/**
 * discoverCluster against a fake KubeClient: which calls start before the Cluster answers, what a missing
 * Cluster or a failing call makes of the result, and how an unreadable provider object is shown.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildClusterTree } from '../../shared/capi/tree.ts';
import { CapiMcpError, ErrorCode } from '../../shared/errors.ts';
import type { KubeClient, KubeObject } from '../../shared/kube/client.ts';
import { discoverCluster } from '../../shared/kube/discovery.ts';
import { clusterNameLabel } from '../../shared/kube/kinds.ts';
import { obj } from '../fixtures/objects.ts';
import { FakeKube } from '../support/fake-kube.ts';

const ns = 'team-a';
const refs = {
  infrastructureRef: { apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'DevCluster', name: 'demo-infra' },
  controlPlaneRef: { apiGroup: 'controlplane.cluster.x-k8s.io', kind: 'KubeadmControlPlane', name: 'demo-cp' },
};

/** The kinds of `failures` fail where discovery reads them: LISTs, Events, or the referenced objects' GETs. */
interface FakeServer {
  readonly objects: Record<string, KubeObject>;
  readonly failures?: Record<string, CapiMcpError>;
  /** Resolves when the Cluster GET may answer (default at once). */
  readonly clusterAnswers?: Promise<void>;
}

function fakeKube(server: FakeServer) {
  const kube = new FakeKube().add(...Object.values(server.objects));
  for (const [kind, error] of Object.entries(server.failures ?? {})) {
    kube.failOn({ kind, verb: kind === 'Event' ? 'listEvents' : kind in refKinds ? 'get' : 'list' }, error);
  }
  if (server.clusterAnswers) kube.holdUntil({ verb: 'get', kind: 'Cluster' }, server.clusterAnswers);
  // Note: discovery resolves each reference's kind before its GET; what is asserted is what reaches objects.
  return { kube, calls: () => kube.calls.filter((c) => c.verb !== 'resolve').map((c) => c.text) };
}

const refKinds = { DevCluster: true, KubeadmControlPlane: true };
const owned = { [clusterNameLabel]: 'demo' };

function demo() {
  const cluster = obj('Cluster', 'demo', ns).spec(refs).condition('Available', 'True').build();
  const infrastructure = obj('DevCluster', 'demo-infra', ns).status({ initialization: { provisioned: true } }).build();
  const controlPlane = obj('KubeadmControlPlane', 'demo-cp', ns).spec({ replicas: 1 }).condition('Available', 'True').build();
  const machine = obj('Machine', 'demo-cp-1', ns).ownedBy(controlPlane).condition('Ready', 'True').build();
  // Discovery LISTs by the cluster-name label, as CAPI sets it on every object of a cluster.
  machine.metadata.labels = owned;
  const objects = Object.fromEntries([cluster, infrastructure, controlPlane, machine].map((o) => [`${o.kind}/${o.metadata.name}`, o]));
  return { objects, controlPlane, machine };
}

const forbidden = (kind: string) =>
  new CapiMcpError(ErrorCode.Forbidden, `failed to get ${kind} ${ns}/x: ${kind.toLowerCase()}s is forbidden: User "reader" cannot get resource`);

describe('discoverCluster', () => {
  it('starts every label-selected LIST before the Cluster GET answers, and the reference GETs only after it', async () => {
    // Prepare
    let answer!: () => void;
    const clusterAnswers = new Promise<void>((resolve) => (answer = resolve));
    const { kube, calls } = fakeKube({ objects: demo().objects, clusterAnswers });

    // Act
    const discovering = discoverCluster(kube, ns, 'demo');
    await new Promise((resolve) => setImmediate(resolve));
    const beforeTheClusterAnswered = calls();
    answer();
    await discovering;

    // Assess
    assert.deepEqual(beforeTheClusterAnswered.sort(), [
      'get Cluster/demo',
      'list Event',
      'list Machine',
      'list MachineDeployment',
      'list MachinePool',
      'list MachineSet',
    ]);
    assert.deepEqual(calls().slice(beforeTheClusterAnswered.length).sort(), ['get DevCluster/demo-infra', 'get KubeadmControlPlane/demo-cp']);
  });

  it('returns every object the tree needs', async () => {
    // Prepare
    const { objects, controlPlane, machine } = demo();
    const { kube } = fakeKube({ objects });

    // Act
    const found = await discoverCluster(kube, ns, 'demo');

    // Assess
    assert.equal(found.infrastructure?.metadata.name, 'demo-infra');
    assert.equal(found.controlPlane?.metadata.uid, controlPlane.metadata.uid);
    assert.deepEqual(found.machines, [machine]);
    assert.deepEqual(found.warnings, []);
  });

  const notFoundCases: { when: string; failures: Record<string, CapiMcpError> }[] = [
    { when: 'the LISTs succeed', failures: {} },
    { when: 'a LIST fails before the Cluster GET answers', failures: { Machine: new CapiMcpError(ErrorCode.Forbidden, 'machines is forbidden') } },
  ];
  for (const { when, failures } of notFoundCases) {
    it(`reports a missing Cluster as NotFound with the next step when ${when}`, async () => {
      // Prepare
      const { kube } = fakeKube({ objects: {}, failures, clusterAnswers: new Promise((resolve) => setImmediate(resolve)) });

      // Act and assess
      await assert.rejects(discoverCluster(kube, ns, 'gone'), (error: CapiMcpError) => {
        assert.equal(error.code, ErrorCode.NotFound);
        assert.equal(error.message, `cluster ${ns}/gone not found`);
        // The next step as a fact; shared/mcp/result.ts phrases it with list_clusters (test/unit/mcp-result.test.ts).
        assert.equal(error.next, 'see-clusters');
        return true;
      });
    });
  }

  it('fails with the context and the code of a LIST that fails once the Cluster is found', async () => {
    // Prepare
    const { kube } = fakeKube({ objects: demo().objects, failures: { MachineSet: new CapiMcpError(ErrorCode.Timeout, 'failed to list machinesets: no answer') } });

    // Act and assess
    await assert.rejects(discoverCluster(kube, ns, 'demo'), {
      code: ErrorCode.Timeout,
      message: `failed to describe cluster ${ns}/demo: failed to list machinesets: no answer`,
    });
  });

  for (const kind of ['DevCluster', 'KubeadmControlPlane']) {
    it(`keeps a ${kind} the caller may not read in the tree, state unknown, with a Forbidden warning first`, async () => {
      // Prepare
      const { kube } = fakeKube({ objects: demo().objects, failures: { [kind]: forbidden(kind) } });

      // Act
      const found = await discoverCluster(kube, ns, 'demo');
      const tree = buildClusterTree(found);

      // Assess
      const node = tree.children.find((c) => c.kind === kind);
      assert.ok(node, `${kind} is in the tree`);
      assert.equal(node.ready, undefined);
      const [warning] = found.warnings as any[];
      assert.deepEqual(warning.involvedObject, { kind, name: kind === 'DevCluster' ? 'demo-infra' : 'demo-cp', namespace: ns });
      assert.equal(warning.reason, 'Forbidden');
      assert.match(warning.message, /^not readable with this identity, so its state is unknown: failed to get .* is forbidden/);
      assert.ok(
        tree.children.concat(tree.children.flatMap((c) => c.children)).some((c) => c.name === 'demo-cp-1'),
        'the control plane Machine is still shown',
      );
    });
  }

  it('still fails when reading a referenced object fails for another reason', async () => {
    // Prepare
    const { kube } = fakeKube({ objects: demo().objects, failures: { DevCluster: new CapiMcpError(ErrorCode.Upstream, 'failed to get DevCluster: connection reset') } });

    // Act and assess
    await assert.rejects(discoverCluster(kube, ns, 'demo'), { code: ErrorCode.Upstream, message: /^failed to describe cluster team-a\/demo: failed to get DevCluster/ });
  });
});

/** What diagnose_cluster reads beyond get_cluster's objects: one worker Machine with its DevMachine and KubeadmConfig, a health check, Nodes. */
function diagnosable() {
  const { objects, controlPlane } = demo();
  const worker = obj('Machine', 'demo-md-0-x', ns)
    .spec({
      infrastructureRef: { apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'DevMachine', name: 'demo-md-0-x' },
      bootstrap: { configRef: { apiGroup: 'bootstrap.cluster.x-k8s.io', kind: 'KubeadmConfig', name: 'demo-md-0-x' } },
    })
    .status({ nodeRef: { name: 'demo-md-0-x' } })
    .label(clusterNameLabel, 'demo')
    .build();
  // A Machine a tenant pointed at a kind outside the contract groups: discovery must not LIST it.
  const odd = obj('Machine', 'demo-odd', ns)
    .spec({ infrastructureRef: { apiGroup: '', kind: 'Secret', name: 'x' }, bootstrap: { configRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'y' } } })
    .label(clusterNameLabel, 'demo')
    .build();
  const devMachine = obj('DevMachine', 'demo-md-0-x', ns).label(clusterNameLabel, 'demo').condition('Ready', 'True').build();
  const otherDevMachine = obj('DevMachine', 'other-md-0-x', ns).label(clusterNameLabel, 'other').build();
  const config = obj('KubeadmConfig', 'demo-md-0-x', ns).label(clusterNameLabel, 'demo').build();
  const mhc = obj('MachineHealthCheck', 'demo-md-0', ns).spec({ clusterName: 'demo' }).build();
  const otherMhc = obj('MachineHealthCheck', 'other-md-0', ns).spec({ clusterName: 'other' }).build();
  const secret = obj('Secret', 'x', ns).label(clusterNameLabel, 'demo').build();
  const all = [...Object.values(objects), worker, odd, devMachine, otherDevMachine, config, mhc, otherMhc, secret, controlPlane];
  return { objects: Object.fromEntries(all.map((o) => [`${o.kind}/${o.metadata.name}`, o])), devMachine, config, mhc };
}

const node = (name: string, ready: 'True' | 'False') => obj('Node', name, '').condition('Ready', ready).build();

describe('discoverCluster for a diagnosis', () => {
  it('leaves get_cluster its calls: nothing a diagnosis reads is fetched unless asked', async () => {
    // Prepare
    const { kube, calls } = fakeKube({ objects: diagnosable().objects });

    // Act
    const found = await discoverCluster(kube, ns, 'demo');

    // Assess
    assert.deepEqual(calls().sort(), ['get Cluster/demo', 'get DevCluster/demo-infra', 'get KubeadmControlPlane/demo-cp', 'list Event', 'list Machine', 'list MachineDeployment', 'list MachinePool', 'list MachineSet']);
    assert.equal('machineHealthChecks' in found, false);
  });

  it("LISTs each contract kind the Machines reference once, by the cluster's label, and the namespace's health checks of this cluster", async () => {
    // Prepare
    const { objects, devMachine, config, mhc } = diagnosable();
    const { kube, calls } = fakeKube({ objects });

    // Act
    const found = await discoverCluster(kube, ns, 'demo', { diagnosis: {} });

    // Assess
    const lists = calls().filter((c) => c.startsWith('list ')).sort();
    assert.deepEqual(lists, ['list DevMachine', 'list Event', 'list KubeadmConfig', 'list Machine', 'list MachineDeployment', 'list MachineHealthCheck', 'list MachinePool', 'list MachineSet']);
    assert.deepEqual(kube.calls.find((c) => c.text === 'list DevMachine')?.labelSelector, `${clusterNameLabel}=demo`);
    assert.deepEqual(found.infrastructureMachines, [devMachine]);
    assert.deepEqual(found.bootstrapConfigs, [config]);
    assert.deepEqual(found.machineHealthChecks, [mhc]);
    assert.equal(found.nodes, undefined, 'no workload client given, no Nodes');
  });

  it('keeps a diagnosis going without a kind the caller may not LIST: its objects are left out', async () => {
    // Prepare
    const { kube } = fakeKube({ objects: diagnosable().objects, failures: {} });
    kube.failOn({ verb: 'list', kind: 'DevMachine' }, forbidden('DevMachine'));

    // Act
    const found = await discoverCluster(kube, ns, 'demo', { diagnosis: {} });

    // Assess
    assert.deepEqual(found.infrastructureMachines, []);
    assert.equal(found.bootstrapConfigs?.length, 1);
  });

  it("reads the Nodes of the cluster's Machines from the workload cluster", async () => {
    // Prepare
    const { objects } = diagnosable();
    const cluster = { ...objects['Cluster/demo']!, status: { conditions: [{ type: 'ControlPlaneInitialized', status: 'True' }] } };
    const { kube } = fakeKube({ objects: { ...objects, 'Cluster/demo': cluster } });
    const workload = new FakeKube().setNodes([node('demo-md-0-x', 'False'), node('not-a-machine', 'True')]);

    // Act
    const found = await discoverCluster(kube, ns, 'demo', { diagnosis: { workload: async () => workload } });

    // Assess
    assert.deepEqual(found.nodes?.map((n) => n.metadata.name), ['demo-md-0-x']);
  });

  const unreachable: { when: string; workload: () => Promise<KubeClient>; message: RegExp }[] = [
    {
      when: 'its API server fails',
      workload: async () => new FakeKube().failOn({ verb: 'listNodes' }, new CapiMcpError(ErrorCode.Upstream, 'failed to list nodes: connect ECONNREFUSED')),
      message: /^the workload API server did not list its Nodes: failed to list nodes: connect ECONNREFUSED$/,
    },
    {
      when: 'its API server does not answer in time',
      workload: async () => new FakeKube().holdUntil({ verb: 'listNodes' }, new Promise(() => undefined)),
      message: /^the workload API server did not list its Nodes: no answer within 0\.001 s$/,
    },
  ];
  for (const { when, workload, message } of unreachable) {
    it(`says so in a Warning about the Cluster when ${when}, and goes on without Nodes`, async () => {
      // Prepare
      const { objects } = diagnosable();
      const cluster = { ...objects['Cluster/demo']!, status: { conditions: [{ type: 'ControlPlaneInitialized', status: 'True' }] } };
      const { kube } = fakeKube({ objects: { ...objects, 'Cluster/demo': cluster } });

      // Act
      const found = await discoverCluster(kube, ns, 'demo', { diagnosis: { workload, workloadTimeoutMs: 1 } });

      // Assess
      assert.equal(found.nodes, undefined);
      const [warning] = found.warnings as any[];
      assert.deepEqual(warning.involvedObject, { kind: 'Cluster', name: 'demo', namespace: ns, uid: cluster.metadata.uid });
      assert.equal(warning.reason, 'WorkloadAPIUnreachable');
      assert.match(warning.message, message);
    });
  }

  it('does not reach for the workload cluster before its control plane is initialized', async () => {
    // Prepare
    const { kube } = fakeKube({ objects: diagnosable().objects });
    let reached = false;

    // Act
    const found = await discoverCluster(kube, ns, 'demo', { diagnosis: { workload: async () => ((reached = true), new FakeKube()) } });

    // Assess
    assert.equal(reached, false);
    assert.equal(found.nodes, undefined);
    assert.deepEqual(found.warnings, []);
  });
});
