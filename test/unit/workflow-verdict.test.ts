/** verdict(): whether a Cluster has converged on what an operation asked for. Objects in, verdicts out. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { verdict, type Operation } from '../../shared/workflows/operation.ts';
import { obj } from '../fixtures/objects.ts';

const op = (action: Operation['action'], cp = 1, workers = 2, version?: string): Operation => ({
  action,
  namespace: 'default',
  name: 'demo',
  ...(action === 'delete' ? {} : { expect: { controlPlaneReplicas: cp, workerReplicas: workers, ...(version ? { version } : {}) } }),
});

const cluster = (cpReady: number, cpDesired: number, wReady: number, wDesired: number, available = true, generation = 2, observed = 2) => {
  const b = obj('Cluster', 'demo').status({
    phase: 'Provisioned',
    observedGeneration: observed,
    controlPlane: { readyReplicas: cpReady, desiredReplicas: cpDesired },
    workers: { readyReplicas: wReady, desiredReplicas: wDesired },
  });
  b.condition('Available', available ? 'True' : 'False');
  if (!available) b.condition('InfrastructureReady', 'True').condition('ControlPlaneInitialized', 'True').condition('ControlPlaneAvailable', 'True').condition('WorkersAvailable', 'False', 'NotAvailable', '* MachineDeployment md-0: 1 of 2 ready');
  const built = b.build();
  (built.metadata as { generation?: number }).generation = generation;
  return built;
};

describe('verdict', () => {
  const table: [string, Operation, ReturnType<typeof cluster> | undefined, string, RegExp][] = [
    ['a create converges once Available with every desired replica ready', op('create'), cluster(1, 1, 2, 2), 'converged', /workers 2\/2/],
    ['a create is progressing while workers are not all ready', op('create'), cluster(1, 1, 1, 2, false), 'progressing', /WorkersAvailable: MachineDeployment md-0: 1 of 2 ready/],
    ['a scale is progressing while the controllers still report the old desired count', op('scale', 1, 4), cluster(1, 1, 2, 2), 'progressing', /workers 2\/2/],
    ['a change the controllers have not observed yet is progressing', op('scale', 1, 2), cluster(1, 1, 2, 2, true, 3, 2), 'progressing', /./],
    ['a create whose cluster vanished has failed', op('create'), undefined, 'failed', /no longer exists/],
    ['a delete converges once the cluster is gone', op('delete'), undefined, 'converged', /gone/],
    ['a delete is progressing while the cluster exists', op('delete'), cluster(1, 1, 2, 2), 'progressing', /./],
  ];
  for (const [name, operation, observed, state, reason] of table) {
    it(name, () => {
      const v = verdict(operation, observed);
      assert.equal(v.state, state);
      assert.match(v.reason, reason);
    });
  }

  it('an upgrade is progressing until every machine is up to date with the version', () => {
    const c = cluster(1, 1, 2, 2);
    c.spec = { topology: { version: 'v1.35.1' } };
    c.status.controlPlane.upToDateReplicas = 1;
    c.status.workers.upToDateReplicas = 2;
    c.status.conditions.push({ type: 'TopologyReconciled', status: 'False', reason: 'ClusterUpgrading' }, { type: 'RollingOut', status: 'True' });
    assert.equal(verdict(op('upgrade', 1, 2, 'v1.35.1'), c).state, 'progressing', 'counts look done but the topology is still upgrading');
    c.status.conditions = c.status.conditions.map((x: any) => (x.type === 'TopologyReconciled' ? { ...x, status: 'True' } : x));
    assert.equal(verdict(op('upgrade', 1, 2, 'v1.35.1'), c).state, 'progressing', 'still rolling out');
    c.status.conditions = c.status.conditions.map((x: any) => (x.type === 'RollingOut' ? { ...x, status: 'False' } : x));
    c.status.workers.upToDateReplicas = 1;
    assert.equal(verdict(op('upgrade', 1, 2, 'v1.35.1'), c).state, 'progressing', 'a worker is not up to date');
    c.status.workers.upToDateReplicas = 2;
    assert.equal(verdict(op('upgrade', 1, 2, 'v1.35.1'), c).state, 'converged');
    assert.equal(verdict(op('upgrade', 1, 2, 'v1.36.0'), c).state, 'progressing', 'another version is not converged');
  });

  it('an upgrade is progressing while TopologyReconciled or RollingOut were judged at an older generation', () => {
    // Seen on a loaded sandbox: the Cluster's observedGeneration had moved on, but the topology controller had
    // not reconciled the new version yet, so its conditions and the up-to-date counts still described the old one.
    const c = cluster(1, 1, 2, 2, true, 3, 3);
    c.spec = { topology: { version: 'v1.35.1' } };
    c.status.controlPlane.upToDateReplicas = 1;
    c.status.workers.upToDateReplicas = 2;
    c.status.conditions.push({ type: 'TopologyReconciled', status: 'True', observedGeneration: 2 }, { type: 'RollingOut', status: 'False', observedGeneration: 2 });
    assert.equal(verdict(op('upgrade', 1, 2, 'v1.35.1'), c).state, 'progressing', 'stale conditions say nothing of the new version');
    c.status.conditions = c.status.conditions.map((x: any) => (x.type === 'TopologyReconciled' ? { ...x, observedGeneration: 3 } : x));
    assert.equal(verdict(op('upgrade', 1, 2, 'v1.35.1'), c).state, 'progressing', 'RollingOut is still stale');
    c.status.conditions = c.status.conditions.map((x: any) => (x.type === 'RollingOut' ? { ...x, observedGeneration: 3 } : x));
    assert.equal(verdict(op('upgrade', 1, 2, 'v1.35.1'), c).state, 'converged');
  });

  it('a cluster in phase Failed has failed', () => {
    const failed = cluster(0, 1, 0, 2, false);
    failed.status.phase = 'Failed';
    assert.equal(verdict(op('create'), failed).state, 'failed');
  });
});

describe('verdict of the day-2 operations', () => {
  const machine = (name: string, pool: string, created: string, { ready = true, deleting = false, uid = name } = {}) => {
    const b = obj('Machine', name).label('cluster.x-k8s.io/cluster-name', 'demo');
    if (pool === 'control plane') b.label('cluster.x-k8s.io/control-plane', '');
    else b.label('topology.cluster.x-k8s.io/deployment-name', pool);
    b.condition('Ready', ready ? 'True' : 'False');
    if (deleting) b.deleting();
    const built = b.build();
    Object.assign(built.metadata, { creationTimestamp: created, uid });
    return built;
  };
  const paused = (spec: boolean, condition: 'True' | 'False', observed = 2) => {
    const c = cluster(1, 1, 2, 2);
    c.spec = { paused: spec };
    c.status.conditions.push({ type: 'Paused', status: condition, observedGeneration: observed });
    return c;
  };
  const pauseOp = (action: 'pause' | 'resume'): Operation => ({ action, namespace: 'default', name: 'demo', expect: { paused: action === 'pause' } });

  it('a pause converges once the Paused condition says so at the generation, broken cluster or not', () => {
    assert.equal(verdict(pauseOp('pause'), paused(true, 'False')).state, 'progressing', 'the controllers have not seen it');
    assert.equal(verdict(pauseOp('pause'), paused(true, 'True', 1)).state, 'progressing', 'judged at an older generation');
    assert.equal(verdict(pauseOp('pause'), paused(true, 'True')).state, 'converged');
    const broken = paused(true, 'True');
    broken.status.phase = 'Failed';
    assert.equal(verdict(pauseOp('pause'), broken).state, 'converged', 'a broken cluster is paused to stop it');
  });

  it('a pause undone by someone else fails, and a resume converges once the Paused condition is False', () => {
    assert.deepEqual(verdict(pauseOp('pause'), paused(false, 'False')), { state: 'failed', reason: 'spec.paused was set back to false by someone else' });
    assert.equal(verdict(pauseOp('resume'), paused(false, 'True')).state, 'progressing');
    assert.equal(verdict(pauseOp('resume'), paused(false, 'False')).state, 'converged');
  });

  const after = '2026-12-04T08:00:00Z';
  const rollout: Operation = { action: 'rollout', namespace: 'default', name: 'demo', expect: { renewed: { pool: 'md-0', after, replicas: 2 } } };

  it('a rollout is progressing while the pool has a Machine older than its time, whatever the Cluster counts say', () => {
    const cp = machine('cp-1', 'control plane', '2026-12-04T07:00:00Z');
    const v = verdict(rollout, cluster(1, 1, 2, 2), [cp, machine('w-old', 'md-0', '2026-12-04T07:59:59Z'), machine('w-new', 'md-0', after)]);
    assert.deepEqual(v, { state: 'progressing', reason: 'md-0: 1 older Machine(s) left, 1/2 renewed Machine(s) ready' });
  });

  it('a rollout converges once every Machine of the pool is newer and Ready, the control plane as it was', () => {
    const cp = machine('cp-1', 'control plane', '2026-12-04T07:00:00Z');
    const fresh = [machine('w-1', 'md-0', after), machine('w-2', 'md-0', '2026-12-04T08:01:00Z')];
    assert.equal(verdict(rollout, cluster(1, 1, 2, 2), [cp, fresh[0]!, machine('w-2', 'md-0', '2026-12-04T08:01:00Z', { ready: false })]).state, 'progressing', 'a new Machine not Ready');
    assert.equal(verdict(rollout, cluster(1, 1, 2, 2), [cp, fresh[0]!]).state, 'progressing', 'the pool is short');
    const v = verdict(rollout, cluster(1, 1, 2, 2), [cp, ...fresh]);
    assert.equal(v.state, 'converged');
    assert.match(v.reason, /; md-0: 0 older Machine\(s\) left, 2\/2 renewed Machine\(s\) ready$/);
  });

  const remediation: Operation = { action: 'remediate', namespace: 'default', name: 'demo', machine: { name: 'w-1', uid: 'uid-1' }, expect: { replaced: { pool: 'md-0', replicas: 2 } } };

  it('a remediation is progressing while its Machine is there, deleted or not, even with the Cluster reading all ready', () => {
    const kept = machine('w-2', 'md-0', '2026-12-04T07:00:00Z');
    const v = verdict(remediation, cluster(1, 1, 2, 2), [machine('w-1', 'md-0', '2026-12-04T07:00:00Z', { uid: 'uid-1', deleting: true }), kept]);
    assert.deepEqual(v, { state: 'progressing', reason: 'md-0: Machine w-1 still there, 1/2 replaced Machine(s) ready' });
  });

  it('a remediation is progressing once its Machine is gone until the replacement is Ready, then converges', () => {
    const kept = machine('w-2', 'md-0', '2026-12-04T07:00:00Z');
    assert.equal(verdict(remediation, cluster(1, 1, 2, 2), [kept]).state, 'progressing', 'no replacement yet, though the Cluster still counts 2 ready');
    assert.equal(verdict(remediation, cluster(1, 1, 2, 2), [kept, machine('w-3', 'md-0', after, { ready: false })]).state, 'progressing');
    // A Machine recreated under the same name is another object: only the UID counts.
    const v = verdict(remediation, cluster(1, 1, 2, 2), [kept, machine('w-1', 'md-0', after, { uid: 'uid-9' })]);
    assert.equal(v.state, 'converged');
    assert.match(v.reason, /md-0: Machine w-1 gone, 2\/2 replaced Machine\(s\) ready$/);
  });
});
