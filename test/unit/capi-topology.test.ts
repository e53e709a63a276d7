/** buildTopologyCluster and topologyProblems: request and ClusterClass in, manifest or problems out. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildTopologyCluster, scaleChange, topologyProblems, upgradeChange, type TopologyRequest } from '../../shared/capi/topology.ts';
import { obj } from '../fixtures/objects.ts';

const request = (over: Partial<TopologyRequest> = {}): TopologyRequest => ({
  namespace: 'team-a',
  name: 'demo',
  clusterClass: 'aws',
  version: 'v1.35.0',
  controlPlaneReplicas: 3,
  workers: [{ class: 'general', name: 'md-0', replicas: 2 }],
  ...over,
});

const clusterClass = obj('ClusterClass', 'aws', 'team-a')
  .spec({
    workers: { machineDeployments: [{ class: 'general' }, { class: 'gpu' }] },
    variables: [{ name: 'region', required: true }, { name: 'sshKeyName' }],
  })
  .build();

describe('buildTopologyCluster', () => {
  it('builds a v1beta2 topology Cluster with workers, variables and labels', () => {
    const cluster = buildTopologyCluster(request({ variables: { region: 'eu-west-1' }, labels: { env: 'prod' } }));
    assert.deepEqual(cluster, {
      apiVersion: 'cluster.x-k8s.io/v1beta2',
      kind: 'Cluster',
      metadata: { name: 'demo', namespace: 'team-a', labels: { env: 'prod' } },
      spec: {
        topology: {
          classRef: { name: 'aws' },
          version: 'v1.35.0',
          controlPlane: { replicas: 3 },
          workers: { machineDeployments: [{ class: 'general', name: 'md-0', replicas: 2 }] },
          variables: [{ name: 'region', value: 'eu-west-1' }],
        },
      },
    });
  });

  it('omits variables when there are none', () => {
    assert.equal('variables' in buildTopologyCluster(request()).spec.topology, false);
  });

  it('omits workers for a control-plane-only cluster (the schema wants at least one MachineDeployment when present)', () => {
    assert.equal('workers' in buildTopologyCluster(request({ workers: [] })).spec.topology, false);
  });
});

describe('topologyProblems', () => {
  const table: [string, Partial<TopologyRequest>, string[]][] = [
    ['a valid request has none', { variables: { region: 'x' } }, []],
    ['names an unknown worker class and the ones that exist', { variables: { region: 'x' }, workers: [{ class: 'arm', name: 'md-0', replicas: 1 }] }, ['worker pool "md-0": class "arm" is not in ClusterClass aws (it has: general, gpu)']],
    ['names an undefined variable', { variables: { region: 'x', zone: 'a' } }, ['variable "zone" is not defined by ClusterClass aws (it defines: region, sshKeyName)']],
    ['names a missing required variable', {}, ['variable "region" is required by ClusterClass aws']],
  ];
  for (const [name, over, expected] of table) {
    it(name, () => assert.deepEqual(topologyProblems(request(over), clusterClass), expected));
  }
});

describe('topologyProblems with a provider that declares its caller variables', () => {
  // The shipped aws-ec2 class, as its templateRefs identify it; it defines more variables than callers may set.
  const awsEc2 = obj('ClusterClass', 'aws-ec2', 'team-a')
    .spec({
      infrastructure: { templateRef: { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2', kind: 'AWSClusterTemplate', name: 'i' } },
      controlPlane: { templateRef: { apiVersion: 'controlplane.cluster.x-k8s.io/v1beta2', kind: 'KubeadmControlPlaneTemplate', name: 'c' } },
      workers: { machineDeployments: [{ class: 'general' }] },
      variables: [{ name: 'region', required: true }, { name: 'sshKeyName' }, { name: 'workerMachineType' }],
    })
    .build();
  const allowed = 'callers may set: region, workerMachineType';
  const table: [string, Record<string, unknown>, string[]][] = [
    ['a variable callers may set passes', { region: 'x', workerMachineType: 'm7i.large' }, []],
    [
      'a variable the class defines but the provider keeps from callers is refused by name, with the allowed list',
      { region: 'x', sshKeyName: 'ops' },
      [`variable "sshKeyName" cannot be set through capi-mcp with ClusterClass aws-ec2 (${allowed})`],
    ],
    ['a variable the class does not define is refused the same way', { region: 'x', amiID: 'ami-0123456789abcdef0' }, [`variable "amiID" cannot be set through capi-mcp with ClusterClass aws-ec2 (${allowed})`]],
  ];
  for (const [name, variables, expected] of table) {
    it(name, () => assert.deepEqual(topologyProblems(request({ clusterClass: 'aws-ec2', variables }), awsEc2), expected));
  }
});

describe('scaleChange', () => {
  const current = obj('Cluster', 'demo', 'team-a')
    .spec({ topology: { classRef: { name: 'aws' }, version: 'v1.35.0', controlPlane: { replicas: 3 }, workers: { machineDeployments: [{ class: 'general', name: 'md-0', replicas: 2 }, { class: 'gpu', name: 'md-1', replicas: 1 }] } } })
    .build();

  it('sends every replica count (the changed pool with its new one) and expects the new total', () => {
    const change = scaleChange(current, { workerPools: [{ name: 'md-1', replicas: 4 }] });
    assert.deepEqual(change.problems, []);
    assert.deepEqual(change.objects[0].spec, {
      topology: {
        controlPlane: { replicas: 3 },
        workers: { machineDeployments: [{ name: 'md-0', class: 'general', replicas: 2 }, { name: 'md-1', class: 'gpu', replicas: 4 }] },
      },
    });
    assert.deepEqual(change.expect, { controlPlaneReplicas: 3, workerReplicas: 6 });
  });

  it('scales the control plane, keeping the worker counts', () => {
    const change = scaleChange(current, { controlPlaneReplicas: 5 });
    assert.deepEqual(change.objects[0].spec.topology.controlPlane, { replicas: 5 });
    assert.deepEqual(change.objects[0].spec.topology.workers.machineDeployments.map((p: { replicas: number }) => p.replicas), [2, 1]);
    assert.deepEqual(change.expect, { controlPlaneReplicas: 5, workerReplicas: 3 });
  });

  it('says what each count it sets goes from and to, for the owners’ guard (untouched pools are not listed)', () => {
    const change = scaleChange(current, { workerPools: [{ name: 'md-0', replicas: 0 }], controlPlaneReplicas: 1 });
    assert.deepEqual(change.change, {
      action: 'scale',
      replicas: [
        { target: 'the control plane', from: 3, to: 1 },
        { target: 'worker pool "md-0"', from: 2, to: 0 },
      ],
    });
  });

  describe('with a pool the cluster autoscaler sizes (no replicas in the topology)', () => {
    const autoscaled = obj('Cluster', 'demo', 'team-a')
      .spec({ topology: { classRef: { name: 'aws' }, version: 'v1.35.0', controlPlane: { replicas: 3 }, workers: { machineDeployments: [{ class: 'general', name: 'md-0', replicas: 2 }, { class: 'general', name: 'auto' }] } } })
      .build();

    it('leaves its count unset when another pool or the control plane is scaled, and expects no worker total', () => {
      for (const request of [{ workerPools: [{ name: 'md-0', replicas: 3 }] }, { controlPlaneReplicas: 5 }]) {
        const change = scaleChange(autoscaled, request);
        assert.deepEqual(change.problems, []);
        assert.deepEqual(change.objects[0].spec.topology.workers.machineDeployments.find((p: { name: string }) => p.name === 'auto'), { name: 'auto', class: 'general' });
        assert.equal(change.expect.workerReplicas, undefined);
      }
    });

    it('an upgrade expects no worker total either (the autoscaler moves it)', () => {
      assert.deepEqual(upgradeChange(autoscaled, 'v1.35.1').expect, { controlPlaneReplicas: 3, version: 'v1.35.1' });
    });

    it('refuses to set its count, saying the autoscaler sizes it', () => {
      assert.deepEqual(scaleChange(autoscaled, { workerPools: [{ name: 'auto', replicas: 0 }] }).problems, [
        'worker pool "auto" is sized by the cluster autoscaler (it has no replicas in the topology); change its autoscaler min and max size instead',
      ]);
    });
  });

  it('names a pool that does not exist and the ones that do', () => {
    assert.deepEqual(scaleChange(current, { workerPools: [{ name: 'md-9', replicas: 1 }] }).problems, ['worker pool "md-9" does not exist (the cluster has: md-0, md-1)']);
  });

  it('refuses a cluster without a topology', () => {
    assert.match(scaleChange(obj('Cluster', 'legacy').build(), { controlPlaneReplicas: 3 }).problems[0]!, /has no managed topology/);
  });
});

describe('upgradeChange', () => {
  const at = (version: string) => obj('Cluster', 'demo').spec({ topology: { version, controlPlane: { replicas: 1 }, workers: { machineDeployments: [{ class: 'w', name: 'md-0', replicas: 2 }] } } }).build();
  const table: [string, string, string, RegExp | undefined][] = [
    ['a patch release is fine', 'v1.35.0', 'v1.35.4', undefined],
    ['the next minor is fine', 'v1.35.4', 'v1.36.0', undefined],
    ['a skipped minor is refused', 'v1.35.4', 'v1.37.0', /skips a minor version from v1\.35\.4: upgrade to v1\.36\.x first/],
    ['a new major is refused', 'v1.35.4', 'v2.0.0', /skips a minor version/],
    ['a downgrade is refused', 'v1.35.4', 'v1.35.3', /older than the current v1\.35\.4: downgrades are not supported/],
    ['the same version is refused', 'v1.35.4', 'v1.35.4', /already runs v1\.35\.4/],
  ];
  for (const [name, from, to, problem] of table) {
    it(name, () => {
      const change = upgradeChange(at(from), to);
      if (problem) assert.match(change.problems.join('; '), problem);
      else {
        assert.deepEqual(change.problems, []);
        assert.deepEqual(change.objects[0].spec, { topology: { version: to } });
        assert.deepEqual(change.change, { action: 'upgrade', from, to });
        assert.deepEqual(change.expect, { controlPlaneReplicas: 1, workerReplicas: 2, version: to });
      }
    });
  }
});
