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
