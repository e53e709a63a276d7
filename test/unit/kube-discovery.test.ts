/**
 * discoverCluster against a fake KubeClient: which calls start before the Cluster answers, what a missing
 * Cluster or a failing call makes of the result, and how an unreadable provider object is shown.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildClusterTree } from '../../shared/capi/tree.ts';
import { CapiMcpError, ErrorCode } from '../../shared/errors.ts';
import type { KubeObject } from '../../shared/kube/client.ts';
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
