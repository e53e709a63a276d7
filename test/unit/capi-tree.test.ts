/** buildClusterTree: ownership by uid, readiness per kind, Machines never hidden. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildClusterTree, renderTree, type ClusterObjects, type TreeNode } from '../../shared/capi/tree.ts';
import { obj } from '../fixtures/objects.ts';

function fixture() {
  const cluster = obj('Cluster', 'demo').condition('Available', 'True').build();
  const infrastructure = obj('DevCluster', 'demo-infra').status({ initialization: { provisioned: true } }).build();
  const controlPlane = obj('KubeadmControlPlane', 'demo-cp').spec({ replicas: 1 }).status({ readyReplicas: 1 }).condition('Available', 'True').build();
  const md = obj('MachineDeployment', 'demo-md-0').spec({ replicas: 2 }).status({ readyReplicas: 1 }).condition('Available', 'False', 'NotAvailable', '* 1 available replicas, at least 2 required').build();
  const ms = obj('MachineSet', 'demo-md-0-abc').ownedBy(md).spec({ replicas: 2 }).status({ readyReplicas: 1 }).condition('MachinesReady', 'False').build();
  const cpMachine = obj('Machine', 'demo-cp-1').ownedBy(controlPlane).condition('Ready', 'True').condition('UpToDate', 'True').build();
  const w1 = obj('Machine', 'demo-md-0-abc-1').ownedBy(ms).condition('Ready', 'True').condition('UpToDate', 'False').build();
  const w2 = obj('Machine', 'demo-md-0-abc-2').ownedBy(ms).condition('Ready', 'False', 'NotReady', '* NodeHealthy: Node not ready').build();
  const objects: ClusterObjects = { cluster, infrastructure, controlPlane, machineDeployments: [md], machineSets: [ms], machinePools: [], machines: [cpMachine, w1, w2] };
  return { objects, w1, w2 };
}

const names = (n: TreeNode): string[] => n.children.map((c) => `${c.kind}/${c.name}`);

describe('buildClusterTree', () => {
  it('puts infrastructure, control plane and MachineDeployments under the Cluster in that order', () => {
    const tree = buildClusterTree(fixture().objects);
    assert.equal(`${tree.kind}/${tree.name}`, 'Cluster/demo');
    assert.deepEqual(names(tree), ['DevCluster/demo-infra', 'KubeadmControlPlane/demo-cp', 'MachineDeployment/demo-md-0']);
  });

  it('hangs Machines under the owner their ownerReferences name', () => {
    const tree = buildClusterTree(fixture().objects);
    assert.deepEqual(names(tree.children[1]!), ['Machine/demo-cp-1']);
    const ms = tree.children[2]!.children[0]!;
    assert.equal(ms.name, 'demo-md-0-abc');
    assert.deepEqual(names(ms), ['Machine/demo-md-0-abc-1', 'Machine/demo-md-0-abc-2']);
  });

  it('reports readiness, replicas, up-to-dateness and the failing reason', () => {
    const tree = buildClusterTree(fixture().objects);
    const [infra, cp, md] = tree.children;
    assert.equal(infra!.ready, true, 'provisioned through the v1beta2 contract field');
    assert.equal(cp!.replicas, '1/1');
    assert.equal(md!.ready, false);
    assert.equal(md!.reason, '1 available replicas, at least 2 required');
    const [w1, w2] = md!.children[0]!.children;
    assert.equal(w1!.upToDate, false);
    assert.equal(w2!.ready, false);
    assert.equal(w2!.reason, 'NodeHealthy: Node not ready');
  });

  it('shows a Machine whose owner is missing directly under the Cluster', () => {
    const { objects, w2 } = fixture();
    const orphan = { ...w2, metadata: { ...w2.metadata, name: 'orphan', uid: 'orphan-uid', ownerReferences: [{ apiVersion: 'x', kind: 'MachineSet', name: 'gone', uid: 'gone' }] } };
    const tree = buildClusterTree({ ...objects, machines: [...objects.machines, orphan] });
    assert.equal(names(tree).at(-1), 'Machine/orphan');
  });

  it('leaves readiness undefined for an object that reports nothing', () => {
    const tree = buildClusterTree({ cluster: obj('Cluster', 'bare').build(), machineDeployments: [], machineSets: [], machinePools: [], machines: [] });
    assert.equal(tree.ready, undefined);
    assert.deepEqual(tree.children, []);
  });
});

describe('renderTree', () => {
  it('draws the tree with branches and states', () => {
    assert.equal(
      renderTree(buildClusterTree(fixture().objects)),
      [
        'Cluster/demo ready',
        '├─ DevCluster/demo-infra ready',
        '├─ KubeadmControlPlane/demo-cp ready 1/1',
        '│  └─ Machine/demo-cp-1 ready',
        '└─ MachineDeployment/demo-md-0 NOT READY 1/2 (1 available replicas, at least 2 required)',
        '   └─ MachineSet/demo-md-0-abc NOT READY 1/2 (MachinesReady: False)',
        '      ├─ Machine/demo-md-0-abc-1 ready outdated',
        '      └─ Machine/demo-md-0-abc-2 NOT READY (NodeHealthy: Node not ready)',
      ].join('\n'),
    );
  });
});
