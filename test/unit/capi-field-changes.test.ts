/** The compact diff of what a dry run accepted (shared/capi/field-changes.ts). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fieldChanges, maxFieldChanges } from '../../shared/capi/field-changes.ts';
import type { KubeObject } from '../../shared/kube/client.ts';

const cluster = (topology: Record<string, unknown>, metadata: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'cluster.x-k8s.io/v1beta2',
  kind: 'Cluster',
  metadata: { name: 'demo', namespace: 'team-a', ...metadata } as KubeObject['metadata'],
  spec: { topology },
});

const pools = (...replicas: number[]) => ({ machineDeployments: replicas.map((r, i) => ({ class: 'default-worker', name: `md-${i}`, replicas: r })) });

describe('fieldChanges', () => {
  it('lists a changed field of a named list item by name, not by position', () => {
    const before = cluster({ version: 'v1.35.0', workers: pools(1, 2) });
    const after = cluster({ version: 'v1.35.0', workers: { machineDeployments: [...pools(1, 3).machineDeployments].reverse() } });
    assert.deepEqual(fieldChanges(before, after), { changes: [{ path: 'spec.topology.workers.machineDeployments[md-1].replicas', from: 2, to: 3 }], total: 1 });
  });

  it('ignores what the server writes on every update: resourceVersion, managedFields, generation, status', () => {
    const before = { ...cluster({ version: 'v1.35.0' }, { resourceVersion: '1', generation: 1 }), status: { phase: 'Provisioned' } };
    const after = { ...cluster({ version: 'v1.35.1' }, { resourceVersion: '2', generation: 2, managedFields: [{ manager: 'capi-mcp-upgrade' }] }), status: {} };
    assert.deepEqual(fieldChanges(before, after).changes, [{ path: 'spec.topology.version', from: 'v1.35.0', to: 'v1.35.1' }]);
  });

  it('lists a created object field by field, a new list item whole', () => {
    const after = cluster({ classRef: { name: 'in-memory' }, version: 'v1.35.0', workers: pools(1) }, { labels: { team: 'a' } });
    assert.deepEqual(fieldChanges(undefined, after).changes, [
      { path: 'metadata.labels.team', to: 'a' },
      { path: 'spec.topology.classRef.name', to: 'in-memory' },
      { path: 'spec.topology.version', to: 'v1.35.0' },
      { path: 'spec.topology.workers.machineDeployments[md-0]', to: { class: 'default-worker', name: 'md-0', replicas: 1 } },
    ]);
  });

  it('lists a removed field without a value after, and a list without names whole', () => {
    const before = cluster({ version: 'v1.35.0', rolloutAfter: 'x', tags: ['a'] });
    const after = cluster({ version: 'v1.35.0', tags: ['a', 'b'] });
    assert.deepEqual(fieldChanges(before, after).changes, [
      { path: 'spec.topology.rolloutAfter', from: 'x' },
      { path: 'spec.topology.tags', from: ['a'], to: ['a', 'b'] },
    ]);
  });

  it(`keeps at most ${maxFieldChanges} changes and says how many there were`, () => {
    const labels = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`l${String(i).padStart(2, '0')}`, 'x']));
    const diff = fieldChanges(undefined, cluster({}, { labels }));
    assert.equal(diff.changes.length, maxFieldChanges);
    assert.equal(diff.total, 50);
  });
});
