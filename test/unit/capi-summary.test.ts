/** summarizeCluster, clusterRow and the condition readers: objects in, summaries out. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { firstLine, whyNot } from '../../shared/capi/conditions.ts';
import { formatAge } from '../../shared/capi/age.ts';
import fc from 'fast-check';
import { clusterRow, summarizeCluster, summaryFields } from '../../shared/capi/summary.ts';
import type { KubeObject } from '../../shared/kube/types.ts';
import { obj, type ObjectBuilder } from '../fixtures/objects.ts';

const now = new Date('2026-11-25T10:05:00Z');

const provisioned = () =>
  obj('Cluster', 'demo')
    .spec({ topology: { classRef: { name: 'in-memory' }, version: 'v1.35.0' } })
    .status({ phase: 'Provisioned', controlPlane: { readyReplicas: 1, desiredReplicas: 1 }, workers: { readyReplicas: 2, desiredReplicas: 2 } })
    .condition('Available', 'True', 'Available');

describe('summarizeCluster', () => {
  it('reads phase, class, version and replica counts of a provisioned cluster', () => {
    const s = summarizeCluster(provisioned().build(), now);
    assert.deepEqual(s, {
      namespace: 'default',
      name: 'demo',
      phase: 'Provisioned',
      clusterClass: 'in-memory',
      version: 'v1.35.0',
      controlPlane: { ready: 1, desired: 1 },
      workers: { ready: 2, desired: 2 },
      available: true,
      paused: false,
      deleting: false,
      ageSeconds: 300,
      createdAt: '2026-11-25T10:00:00Z',
    });
  });

  it('survives a cluster with no status at all', () => {
    const s = summarizeCluster({ metadata: { name: 'new' } }, now);
    assert.equal(s.phase, 'Unknown');
    assert.deepEqual(s.controlPlane, { ready: 0, desired: 0 });
    assert.equal(s.available, false);
    assert.equal(s.notAvailableReason, 'Available not reported yet');
  });

  const cases: [string, ReturnType<typeof obj>, RegExp][] = [
    [
      'names missing infrastructure before the remote-connection symptom CAPI lists first',
      obj('Cluster', 'c')
        .condition('Available', 'False', 'NotAvailable', '* RemoteConnectionProbe: Remote connection not established yet\n* InfrastructureReady: DevCluster does not exist')
        .condition('RemoteConnectionProbe', 'False', 'ProbeFailed', 'Remote connection not established yet')
        .condition('InfrastructureReady', 'False', 'NotReady', 'DevCluster default/c-x does not exist'),
      /^InfrastructureReady: DevCluster default\/c-x does not exist$/,
    ],
    [
      'names an uninitialized control plane once infrastructure is ready',
      obj('Cluster', 'c')
        .condition('Available', 'False')
        .condition('InfrastructureReady', 'True')
        .condition('ControlPlaneInitialized', 'False', 'NotInitialized', 'Control plane not yet initialized'),
      /^ControlPlaneInitialized: Control plane not yet initialized$/,
    ],
    [
      'keeps a nested worker message together with its heading',
      obj('Cluster', 'c')
        .condition('Available', 'False')
        .condition('InfrastructureReady', 'True')
        .condition('ControlPlaneInitialized', 'True')
        .condition('ControlPlaneAvailable', 'True')
        .condition('WorkersAvailable', 'False', 'NotAvailable', '* MachineDeployment md-0:\n  * 0 available replicas, at least 1 required'),
      /^WorkersAvailable: MachineDeployment md-0: 0 available replicas, at least 1 required$/,
    ],
    [
      'says a deleting cluster is deleting, whatever else fails',
      obj('Cluster', 'c').deleting().condition('Available', 'False').condition('InfrastructureReady', 'False').condition('Deleting', 'True', 'WaitingForWorkersDeletion', '* MachineDeployments: md-0'),
      /^Deleting: MachineDeployments: md-0$/,
    ],
    ['says a paused cluster is paused', obj('Cluster', 'c').spec({ paused: true }).condition('Available', 'False'), /^Paused: /],
    [
      'falls back to the Available message when no input condition is reported',
      obj('Cluster', 'c').condition('Available', 'False', 'NotAvailable', '* Something: odd'),
      /^Something: odd$/,
    ],
  ];
  for (const [name, builder, expected] of cases) {
    it(name, () => {
      assert.match(summarizeCluster(builder.build(), now).notAvailableReason ?? '', expected);
    });
  }
});

describe('clusterRow', () => {
  it('renders a provisioned cluster on one short line', () => {
    assert.equal(clusterRow(summarizeCluster(provisioned().build(), now)), 'default/demo Provisioned in-memory v1.35.0 cp 1/1 workers 2/2 5m');
  });

  it('truncates a long reason so the row stays compact', () => {
    const long = 'x'.repeat(300);
    const row = clusterRow(summarizeCluster(obj('Cluster', 'c').condition('Available', 'False').condition('InfrastructureReady', 'False', 'R', long).build(), now));
    assert.ok(row.length < 140, row);
    assert.ok(row.endsWith('…'));
  });
});

describe('condition readers', () => {
  it('whyNot is undefined for a condition that holds', () => {
    assert.equal(whyNot(obj('Machine', 'm').condition('Ready', 'True').build(), 'Ready'), undefined);
  });

  it('whyNot falls back to type and reason when there is no message', () => {
    assert.equal(whyNot(obj('Machine', 'm').condition('Ready', 'False', 'WaitingForBootstrap').build(), 'Ready'), 'Ready: WaitingForBootstrap');
  });

  it("whyNot names the failing condition behind a provider's v1beta1 step counter, errors before warnings", () => {
    const controlPlane = obj('AWSManagedControlPlane', 'cp')
      .status({
        conditions: [
          { type: 'Ready', status: 'False', severity: 'Error', reason: 'EKSControlPlaneReconciliationFailed', message: '8 of 11 completed' },
          { type: 'EgressOnlyInternetGatewayReady', status: 'False', severity: 'Warning', reason: 'Waiting', message: 'waiting for the gateway' },
          { type: 'EKSControlPlaneReady', status: 'False', severity: 'Error', reason: 'EKSControlPlaneReconciliationFailed', message: 'failed reconciling security groups: no security group for EKS cluster' },
          { type: 'ClusterSecurityGroupsReady', status: 'True' },
        ],
      })
      .build();
    assert.equal(whyNot(controlPlane, 'Ready'), 'EKSControlPlaneReady: failed reconciling security groups: no security group for EKS cluster');
  });

  it('whyNot keeps a step counter when no other condition fails', () => {
    const infra = obj('AWSCluster', 'c').status({ conditions: [{ type: 'Ready', status: 'False', reason: 'Creating', message: '2 of 5 completed' }] }).build();
    assert.equal(whyNot(infra, 'Ready'), '2 of 5 completed');
  });

  for (const [input, expected] of [
    [undefined, undefined],
    ['', undefined],
    ['* A: b', 'A: b'],
    ['* Heading:\n  * detail', 'Heading: detail'],
    ['plain text\nsecond', 'plain text'],
  ] as const) {
    it(`firstLine(${JSON.stringify(input)}) is ${JSON.stringify(expected)}`, () => {
      assert.equal(firstLine(input), expected);
    });
  }
});

describe('formatAge', () => {
  for (const [seconds, expected] of [
    [undefined, '?'],
    [0, '0s'],
    [119, '119s'],
    [120, '2m'],
    [7199, '119m'],
    [7200, '2h'],
    [172800, '2d'],
  ] as const) {
    it(`prints ${seconds} seconds as ${expected}`, () => assert.equal(formatAge(seconds), expected));
  }
});

describe('summaryFields', () => {
  const managedFields = [{ manager: 'capi-manager', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': { 'f:conditions': {} } } }];
  const cases: [string, ObjectBuilder][] = [
    ['an Available topology cluster', provisioned()],
    ['a cluster stuck on missing infrastructure', obj('Cluster', 'stuck').status({ phase: 'Provisioning' }).condition('Available', 'False', 'NotAvailable', '* RemoteConnectionProbe: not yet\n* InfrastructureReady: DevCluster does not exist').condition('InfrastructureReady', 'False', 'ObjectDoesNotExist', 'DevCluster does not exist').condition('RemoteConnectionProbe', 'False', 'ProbeFailed', 'not yet')],
    ['a failed cluster whose control plane is unavailable', provisioned().status({ phase: 'Failed' }).condition('ControlPlaneAvailable', 'False', 'Down', '* KubeadmControlPlane:\n  etcd is down')],
    ['a paused cluster', provisioned().spec({ paused: true }).condition('Paused', 'True', 'Paused')],
    ['a deleting cluster', provisioned().deleting().condition('Deleting', 'True', 'Deleting', '* Machines: 2 deleting')],
    ['a cluster without topology', obj('Cluster', 'classic').status({ phase: 'Provisioned', controlPlane: { readyReplicas: 3 } }).condition('Available', 'Unknown')],
    ['a cluster with no status at all', obj('Cluster', 'new').status({ conditions: undefined })],
    ['a cluster whose topology names no class', obj('Cluster', 'bare').spec({ topology: { version: 'v1.35.0' } })],
  ];
  for (const [name, builder] of cases) {
    it(`summarizes ${name} exactly as the whole object`, () => {
      const cluster = builder.build();
      cluster.metadata = { ...cluster.metadata, labels: { team: 'a' }, ...({ managedFields } as object) };
      const kept = summaryFields(cluster);
      assert.deepEqual(summarizeCluster(kept, now), summarizeCluster(cluster, now));
      assert.equal(clusterRow(summarizeCluster(kept, now)), clusterRow(summarizeCluster(cluster, now)));
      assert.equal((kept.metadata as Record<string, unknown>).managedFields, undefined, 'managedFields are not kept');
    });
  }

  it('summarizes any Cluster read from JSON exactly as the whole object', () => {
    const text = fc.oneof(fc.constantFrom('', '* InfrastructureReady: missing', '* WorkersAvailable:\n  * md-0: 0 of 2', 'line one\nline two'), fc.string());
    const condition = fc.record(
      { type: fc.constantFrom('Available', 'Deleting', 'Paused', 'Ready', 'InfrastructureReady', 'ControlPlaneInitialized', 'ControlPlaneAvailable', 'WorkersAvailable', 'RemoteConnectionProbe', 'RollingOut'), status: fc.constantFrom('True', 'False', 'Unknown'), reason: fc.string(), message: text, lastTransitionTime: fc.constant('2026-11-25T10:00:00Z') },
      { requiredKeys: ['type', 'status'] },
    );
    const replicas = fc.option(fc.record({ readyReplicas: fc.nat(5), desiredReplicas: fc.nat(5), replicas: fc.nat(5) }, { requiredKeys: [] }), { nil: undefined });
    const cluster = fc.record(
      {
        metadata: fc.record(
          { name: fc.string({ minLength: 1 }), namespace: fc.string(), creationTimestamp: fc.constantFrom('2026-11-25T10:00:00Z', '2020-01-01T00:00:00Z', 'not a date'), deletionTimestamp: fc.constant('2026-11-25T11:00:00Z'), managedFields: fc.constant(managedFields) },
          { requiredKeys: ['name'] },
        ),
        spec: fc.option(
          fc.record({ paused: fc.oneof(fc.boolean(), fc.constant('true')), topology: fc.record({ classRef: fc.record({ name: fc.string() }, { requiredKeys: [] }), version: fc.string() }, { requiredKeys: [] }), infrastructureRef: fc.constant({ kind: 'DevCluster', name: 'x' }) }, { requiredKeys: [] }),
          { nil: undefined },
        ),
        status: fc.option(fc.record({ phase: fc.string(), controlPlane: replicas, workers: replicas, conditions: fc.array(condition, { maxLength: 14 }) }, { requiredKeys: [] }), { nil: undefined }),
      },
      { requiredKeys: ['metadata'] },
    );
    fc.assert(
      fc.property(cluster, (c) => {
        // As a listing reads it: through JSON, where no key holds undefined.
        const read = JSON.parse(JSON.stringify(c)) as KubeObject;
        assert.deepEqual(summarizeCluster(summaryFields(read), now), summarizeCluster(read, now));
      }),
      { numRuns: 2000 },
    );
  });
});
