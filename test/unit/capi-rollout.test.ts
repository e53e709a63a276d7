/** topologyRolloutChange and directRolloutChange: rollout.after where each kind of cluster carries it. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { directRolloutChange, rolloutTime, topologyRolloutChange } from '../../shared/capi/rollout.ts';
import { obj } from '../fixtures/objects.ts';

const now = new Date('2026-12-04T08:00:00.750Z');
const topology = () =>
  obj('Cluster', 'demo')
    .spec({ topology: { classRef: { name: 'in-memory' }, version: 'v1.35.0', controlPlane: { replicas: 3 }, workers: { machineDeployments: [{ class: 'default-worker', name: 'md-0', replicas: 2 }] } } })
    .build();

describe('rolloutTime', () => {
  it('is the second the call was made, as a metav1.Time carries it', () => {
    assert.equal(rolloutTime(now), '2026-12-04T08:00:00Z');
  });
});

describe('topologyRolloutChange', () => {
  it('sets the control plane rollout time in the topology, expecting its 3 Machines renewed', () => {
    const plan = topologyRolloutChange(topology(), 'control_plane', now);
    assert.deepEqual(plan.problems, []);
    assert.deepEqual(plan.objects[0].spec, { topology: { controlPlane: { rollout: { after: '2026-12-04T08:00:00Z' } } } });
    assert.deepEqual(plan.expect, { renewed: { pool: 'control plane', after: '2026-12-04T08:00:00Z', replicas: 3 } });
    assert.deepEqual(plan.change, { action: 'rollout', target: 'the control plane' });
  });

  it("sets one worker pool's rollout time with the pool's name and class (its list key and required field)", () => {
    const plan = topologyRolloutChange(topology(), 'md-0', now);
    assert.deepEqual(plan.objects[0].spec, { topology: { workers: { machineDeployments: [{ name: 'md-0', class: 'default-worker', rollout: { after: '2026-12-04T08:00:00Z' } }] } } });
    assert.deepEqual(plan.expect, { renewed: { pool: 'md-0', after: '2026-12-04T08:00:00Z', replicas: 2 } });
  });

  it('refuses a pool that does not exist, naming those that do, and a cluster without a topology', () => {
    assert.deepEqual(topologyRolloutChange(topology(), 'md-9', now).problems, ['worker pool "md-9" does not exist (the cluster has: md-0)']);
    assert.match(topologyRolloutChange(obj('Cluster', 'demo').build(), 'control_plane', now).problems[0]!, /has no managed topology/);
  });
});

describe('directRolloutChange', () => {
  const md = obj('MachineDeployment', 'demo-md-0').spec({ replicas: 2 }).build();
  const kcp = obj('KubeadmControlPlane', 'demo').spec({ replicas: 1 }).build();
  Object.assign(md, { apiVersion: 'cluster.x-k8s.io/v1beta2' });
  Object.assign(kcp, { apiVersion: 'controlplane.cluster.x-k8s.io/v1beta2' });

  it("sets the MachineDeployment's own rollout time, labelled as the cluster's", () => {
    const plan = directRolloutChange(obj('Cluster', 'demo').build(), [md], kcp, 'demo-md-0', now);
    assert.deepEqual(plan.problems, []);
    assert.deepEqual(plan.objects, [
      {
        apiVersion: 'cluster.x-k8s.io/v1beta2',
        kind: 'MachineDeployment',
        metadata: { name: 'demo-md-0', namespace: 'default', labels: { 'cluster.x-k8s.io/cluster-name': 'demo' } },
        spec: { rollout: { after: '2026-12-04T08:00:00Z' } },
      },
    ]);
    assert.deepEqual(plan.expect, { renewed: { pool: 'demo-md-0', after: '2026-12-04T08:00:00Z', replicas: 2 } });
  });

  it("sets the KubeadmControlPlane's, and refuses a control plane its provider rolls", () => {
    assert.equal(directRolloutChange(obj('Cluster', 'demo').build(), [md], kcp, 'control_plane', now).objects[0]!.kind, 'KubeadmControlPlane');
    const eks = obj('AWSManagedControlPlane', 'demo').build();
    assert.deepEqual(directRolloutChange(obj('Cluster', 'demo').build(), [md], eks, 'control_plane', now).problems, [
      'its control plane (AWSManagedControlPlane demo) is rolled out by its provider, not by rollout.after',
    ]);
  });
});
