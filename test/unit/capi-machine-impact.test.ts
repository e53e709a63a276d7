/**
 * Which Machines a change replaces or removes (shared/capi/machine-impact.ts), as Cluster API v1.13's
 * controllers pick them: upgrades replace every Machine of another version, a pool's MachineSet removes by
 * its deletion order, the control plane its oldest; where the choice cannot be read ahead, the count and rule.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { controlPlaneRemovals, deletionOrderOf, isMachineHealthy, poolOf, upgradeReplacements, workerRemovals } from '../../shared/capi/machine-impact.ts';
import type { KubeObject } from '../../shared/kube/client.ts';
import { obj } from '../fixtures/objects.ts';

const now = new Date('2026-11-25T12:00:00Z');

/** A healthy worker Machine of topology pool `pool` in MachineSet `set`, created at `created`. */
function worker(name: string, { pool = 'md-0', set = 'demo-md-0-abc', version = 'v1.35.0', created = '2026-11-25T10:00:00Z' } = {}) {
  return obj('Machine', name, 'team-a')
    .label('cluster.x-k8s.io/cluster-name', 'demo')
    .label('cluster.x-k8s.io/deployment-name', `demo-${pool}-xyz`)
    .label('topology.cluster.x-k8s.io/deployment-name', pool)
    .label('cluster.x-k8s.io/set-name', set)
    .spec({ version })
    .status({ nodeRef: { name } })
    .createdAt(created);
}

function controlPlane(name: string, { version = 'v1.35.0', created = '2026-11-25T10:00:00Z', failureDomain }: { version?: string; created?: string; failureDomain?: string } = {}) {
  return obj('Machine', name, 'team-a')
    .label('cluster.x-k8s.io/cluster-name', 'demo')
    .label('cluster.x-k8s.io/control-plane', '')
    .spec({ version, ...(failureDomain ? { failureDomain } : {}) })
    .status({ nodeRef: { name } })
    .createdAt(created);
}

const names = (machines: { name: string }[]) => machines.map((m) => m.name);

describe('upgradeReplacements', () => {
  it('replaces every Machine whose version differs, the control plane first, then pools and names in order', () => {
    const machines = [worker('w-b'), worker('w-a', { pool: 'md-1' }), controlPlane('cp-1'), worker('w-c')];
    assert.deepEqual(upgradeReplacements(machines.map((m) => m.build()), 'v1.35.1'), [
      { name: 'cp-1', pool: 'control plane', version: 'v1.35.0' },
      { name: 'w-b', pool: 'md-0', version: 'v1.35.0' },
      { name: 'w-c', pool: 'md-0', version: 'v1.35.0' },
      { name: 'w-a', pool: 'md-1', version: 'v1.35.0' },
    ]);
  });

  it('leaves out Machines already at the version and Machines being deleted', () => {
    const machines = [controlPlane('cp-new', { version: 'v1.35.1' }).build(), worker('w-gone').deleting().build(), worker('w-old').build()];
    assert.deepEqual(names(upgradeReplacements(machines, 'v1.35.1')), ['w-old']);
  });

  it('names a pool without a topology by its MachineDeployment', () => {
    const classic = obj('Machine', 'm', 'team-a').label('cluster.x-k8s.io/deployment-name', 'classic-md-0').build();
    assert.equal(poolOf(classic), 'classic-md-0');
    assert.equal(poolOf(obj('Machine', 'loose', 'team-a').build()), undefined);
  });
});

describe('isMachineHealthy', () => {
  const cases: [string, KubeObject, boolean][] = [
    ['a Machine with a Node and no failing condition', worker('w').build(), true],
    ['a Machine without a Node yet', obj('Machine', 'w').build(), false],
    ['a Machine whose Node is unhealthy', worker('w').condition('NodeHealthy', 'False').build(), false],
    ['a Machine a MachineHealthCheck failed', worker('w').condition('HealthCheckSucceeded', 'False').build(), false],
    ['a Machine whose Node health is Unknown (no assumption either way)', worker('w').condition('NodeHealthy', 'Unknown').build(), true],
  ];
  for (const [what, machine, healthy] of cases) it(`counts ${what} as ${healthy ? 'healthy' : 'unhealthy'}`, () => assert.equal(isMachineHealthy(machine), healthy));
});

describe('workerRemovals', () => {
  const pool = ['w-c', 'w-a', 'w-b'].map((n, i) => worker(n, { created: `2026-11-2${i + 1}T10:00:00Z` }));

  it('removes by name under the default Random order: every healthy Machine ranks the same', () => {
    const removal = workerRemovals('md-0', pool.map((m) => m.build()), 2, 'Random', now);
    assert.deepEqual(removal.machines, ['w-a', 'w-b']);
    assert.match(removal.rule, /^MachineSet deletion order Random: .* then by name$/);
  });

  it('removes the oldest under Oldest and the newest under Newest', () => {
    const machines = pool.map((m) => m.build());
    assert.deepEqual(workerRemovals('md-0', machines, 1, 'Oldest', now).machines, ['w-c']);
    assert.deepEqual(workerRemovals('md-0', machines, 1, 'Newest', now).machines, ['w-b']);
  });

  it('removes a Machine being deleted, then one marked for deletion, then an unhealthy one, before any other', () => {
    const machines = [worker('w-a').build(), worker('w-b').condition('NodeHealthy', 'False').build(), worker('w-c').annotation('cluster.x-k8s.io/delete-machine', '').build(), worker('w-d').deleting().build()];
    assert.deepEqual(workerRemovals('md-0', machines, 3, 'Oldest', now).machines, ['w-d', 'w-c', 'w-b']);
  });

  it('gives the count and rule without names while a rollout spreads the pool over two MachineSets', () => {
    const removal = workerRemovals('md-0', [worker('w-a', { set: 'old' }).build(), worker('w-b', { set: 'new' }).build()], 1, 'Random', now);
    assert.equal(removal.machines, undefined);
    assert.equal(removal.count, 1);
    assert.match(removal.unknowable ?? '', /more than one MachineSet \(a rollout is in progress\)/);
  });

  it('reads the deletion order of a MachineDeployment, Random when unset, undefined when unknown', () => {
    assert.equal(deletionOrderOf(obj('MachineDeployment', 'md').build()), 'Random');
    assert.equal(deletionOrderOf(obj('MachineDeployment', 'md').spec({ deletion: { order: 'Oldest' } }).build()), 'Oldest');
    assert.equal(deletionOrderOf(obj('MachineDeployment', 'md').spec({ deletion: { order: 'Cheapest' } }).build()), undefined);
    assert.match(workerRemovals('md-0', [worker('w').build()], 1, undefined, now).unknowable ?? '', /deletion order capi-mcp does not know/);
  });
});

describe('controlPlaneRemovals', () => {
  it('removes the oldest, or first one marked for deletion', () => {
    const machines = [controlPlane('cp-b', { created: '2026-11-20T10:00:00Z' }), controlPlane('cp-a', { created: '2026-11-21T10:00:00Z' }), controlPlane('cp-c', { created: '2026-11-22T10:00:00Z' })];
    assert.deepEqual(controlPlaneRemovals(machines.map((m) => m.build()), 2).machines, ['cp-b', 'cp-a']);
    machines[2]!.annotation('cluster.x-k8s.io/delete-machine', 'yes');
    assert.deepEqual(controlPlaneRemovals(machines.map((m) => m.build()), 1).machines, ['cp-c']);
  });

  const unknowable: [string, KubeObject[], RegExp][] = [
    ['spread over failure domains', [controlPlane('a', { failureDomain: 'az-1', created: '2026-11-20T10:00:00Z' }).build(), controlPlane('b', { failureDomain: 'az-2' }).build()], /failure domains/],
    ['of two versions', [controlPlane('a', { version: 'v1.35.1', created: '2026-11-20T10:00:00Z' }).build(), controlPlane('b').build()], /different versions/],
    ['created in the same second', [controlPlane('a').build(), controlPlane('b').build()], /same second/],
  ];
  for (const [what, machines, reason] of unknowable) {
    it(`gives the count and rule without names for Machines ${what}`, () => {
      const removal = controlPlaneRemovals(machines, 1);
      assert.equal(removal.machines, undefined);
      assert.match(removal.unknowable ?? '', reason);
      assert.match(removal.rule, /^KubeadmControlPlane: /);
    });
  }
});
