/** buildTopologyCluster and topologyProblems: request and ClusterClass in, manifest or problems out. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildTopologyCluster, topologyProblems, type TopologyRequest } from '../../shared/capi/topology.ts';
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
