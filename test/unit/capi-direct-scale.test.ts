/** directScaleChange: a cluster without a ClusterClass, its MachineDeployments and control plane in; patches out. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { directScaleChange } from '../../shared/capi/direct-scale.ts';
import { obj } from '../fixtures/objects.ts';

const cluster = obj('Cluster', 'c1', 'team-a').build();
const md = (name: string, replicas: number) => ({ ...obj('MachineDeployment', name, 'team-a').spec({ replicas }).build(), apiVersion: 'cluster.x-k8s.io/v1beta2' });
const kcp = { ...obj('KubeadmControlPlane', 'c1', 'team-a').spec({ replicas: 1 }).build(), apiVersion: 'controlplane.cluster.x-k8s.io/v1beta2' };
const eks = { ...obj('AWSManagedControlPlane', 'c1', 'team-a').spec({ region: 'eu-west-1' }).build(), apiVersion: 'controlplane.cluster.x-k8s.io/v1beta2' };

describe('directScaleChange', () => {
  it('patches only the replicas of the named pool and expects the new worker total', () => {
    const change = directScaleChange(cluster, [md('c1-a', 1), md('c1-b', 2)], kcp, { workerPools: [{ name: 'c1-a', replicas: 3 }] });
    assert.deepEqual(change, {
      problems: [],
      change: { action: 'scale', replicas: [{ target: 'worker pool "c1-a"', from: 1, to: 3 }] },
      objects: [{ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'MachineDeployment', metadata: { name: 'c1-a', namespace: 'team-a', labels: { 'cluster.x-k8s.io/cluster-name': 'c1' } }, spec: { replicas: 3 } }],
      expect: { controlPlaneReplicas: 1, workerReplicas: 5 },
    });
  });

  it('scales the KubeadmControlPlane', () => {
    const change = directScaleChange(cluster, [md('c1-a', 1)], kcp, { controlPlaneReplicas: 3 });
    assert.deepEqual(change.objects, [{ apiVersion: 'controlplane.cluster.x-k8s.io/v1beta2', kind: 'KubeadmControlPlane', metadata: { name: 'c1', namespace: 'team-a', labels: { 'cluster.x-k8s.io/cluster-name': 'c1' } }, spec: { replicas: 3 } }]);
    assert.deepEqual(change.expect, { controlPlaneReplicas: 3, workerReplicas: 1 });
  });

  it('says what each count goes from and to, for the owners’ guard', () => {
    const change = directScaleChange(cluster, [md('c1-a', 2)], { ...kcp, spec: { replicas: 3 } }, { workerPools: [{ name: 'c1-a', replicas: 0 }], controlPlaneReplicas: 1 });
    assert.deepEqual(change.change, {
      action: 'scale',
      replicas: [
        { target: 'worker pool "c1-a"', from: 2, to: 0 },
        { target: 'the control plane', from: 3, to: 1 },
      ],
    });
  });

  const refusals: [string, Parameters<typeof directScaleChange>, RegExp][] = [
    ['names the pools when one does not exist', [cluster, [md('c1-a', 1)], kcp, { workerPools: [{ name: 'md-0', replicas: 2 }] }], /worker pool "md-0" does not exist: .* \(it has: c1-a\)/],
    ['refuses a control plane whose provider manages its size', [cluster, [], eks, { controlPlaneReplicas: 3 }], /AWSManagedControlPlane c1\) has no replicas to set/],
    ['refuses a control-plane change without a control plane', [cluster, [], undefined, { controlPlaneReplicas: 3 }], /has no control plane object to scale/],
  ];
  for (const [name, args, problem] of refusals) {
    it(name, () => {
      const change = directScaleChange(...args);
      assert.equal(change.problems.length, 1);
      assert.match(change.problems[0]!, problem);
    });
  }
});
