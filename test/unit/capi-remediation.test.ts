/** remediationPlan: which Machine may be deleted for its owner to replace. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { remediationPlan } from '../../shared/capi/remediation.ts';
import { obj } from '../fixtures/objects.ts';

const machine = (name: string, pool: string, { owner = true, cluster = 'demo', deleting = false, remediating = false } = {}) => {
  const b = obj('Machine', name).label('cluster.x-k8s.io/cluster-name', cluster);
  if (pool === 'control plane') b.label('cluster.x-k8s.io/control-plane', '');
  else b.label('topology.cluster.x-k8s.io/deployment-name', pool);
  if (deleting) b.deleting();
  if (remediating) b.condition('OwnerRemediated', 'False', 'WaitingForRemediation');
  else b.condition('Ready', 'True');
  const built = b.build();
  Object.assign(built.metadata, {
    uid: `uid-${name}`,
    ...(owner ? { ownerReferences: [
          pool === 'control plane'
            ? { apiVersion: 'controlplane.cluster.x-k8s.io/v1beta2', kind: 'KubeadmControlPlane', name: `${pool}-owner`, controller: true }
            : { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'MachineSet', name: `${pool}-owner`, controller: true },
        ] } : {}),
  });
  return built;
};

describe('remediationPlan', () => {
  const w1 = machine('w-1', 'md-0');
  const w2 = machine('w-2', 'md-0');
  const cp1 = machine('cp-1', 'control plane');

  it('allows a worker with an owner while the rest of its pool is whole, naming the owner', () => {
    assert.deepEqual(remediationPlan('demo', w1, [cp1, w1, w2], 2), { problems: [], pool: 'md-0', owner: 'MachineSet md-0-owner' });
  });

  it('refuses the last control-plane Machine, and allows one of three', () => {
    assert.deepEqual(remediationPlan('demo', cp1, [cp1, w1], 1).problems, ['Machine cp-1 is the last control-plane Machine: the cluster would lose its API server and etcd']);
    const cps = [cp1, machine('cp-2', 'control plane'), machine('cp-3', 'control plane')];
    assert.deepEqual(remediationPlan('demo', cp1, cps, 3).problems, []);
  });

  it('refuses a Machine of a pool already replacing another one, deleted or marked by a health check', () => {
    const busy = 'worker pool "md-0" is already replacing w-2: one remediation at a time keeps it at 2 less one at worst';
    assert.deepEqual(remediationPlan('demo', w1, [w1, machine('w-2', 'md-0', { deleting: true })], 2).problems, [busy]);
    assert.deepEqual(remediationPlan('demo', w1, [w1, machine('w-2', 'md-0', { remediating: true })], 2).problems, [busy]);
    assert.deepEqual(remediationPlan('demo', w1, [w1, w2, machine('o-1', 'md-1', { deleting: true })], 2).problems, [], 'another pool does not count');
  });

  it('refuses a Machine without an owner, one of another cluster, and one being deleted', () => {
    const orphan = machine('w-3', 'md-0', { owner: false });
    assert.deepEqual(remediationPlan('demo', orphan, [orphan], 1).problems, ['Machine w-3 has no controlling MachineSet or control plane: nothing would replace it']);
    const foreign = machine('w-4', 'md-0', { cluster: 'other' });
    assert.deepEqual(remediationPlan('demo', foreign, [], 1).problems, ['Machine w-4 is not part of cluster demo']);
    const going = machine('w-5', 'md-0', { deleting: true });
    assert.deepEqual(remediationPlan('demo', going, [going], 1).problems, ['Machine w-5 is being deleted already']);
  });
});
