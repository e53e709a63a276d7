/**
 * get_cluster_nodes (shared/mcp/tools/get-cluster-nodes.ts) against a fake management cluster: the
 * decisions made before the workload cluster is reached. Its kubeconfig Secret is untrusted: the server
 * connects only with a CAPI Secret of this cluster whose kubeconfig passes the allow-list (no command,
 * no file, no proxy — and no exec plugin even where get_cluster_kubeconfig hands one out) and points at
 * the Cluster's own endpoint; a refusal echoes nothing of it. Listing the Nodes themselves needs a
 * workload API server: test/integration/mcp-read-tools.test.ts covers it on the sandbox.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../shared/errors.ts';
import type { KubeSecret } from '../../shared/kube/client.ts';
import { getClusterNodes } from '../../shared/mcp/tools/get-cluster-nodes.ts';
import { assertRefusal, callTool, capiKubeconfig, clusterSecret, FakeKube, fakeToolDeps, topologyCluster, refusal } from '../support/fake-kube.ts';

const ns = 'team-a';
const planted = 'PLANTED-7f3a';
const noCert = { 'client-certificate-data': undefined, 'client-key-data': undefined };

const cases: { name: string; secret?: KubeSecret; expect: { code: ErrorCode; message: string | RegExp; next?: string } }[] = [
  { name: 'a cluster whose kubeconfig Secret is not written yet', expect: { code: ErrorCode.NotFound, message: 'cluster team-a/demo has no kubeconfig yet (Secret demo-kubeconfig does not exist)', next: 'follow-provisioning' } },
  {
    name: 'a Secret not written by Cluster API',
    secret: clusterSecret('demo', capiKubeconfig(), { type: 'Opaque', labels: { planted } }),
    expect: { code: ErrorCode.Upstream, message: /^Secret team-a\/demo-kubeconfig is refused: it is not a Cluster API Secret of cluster demo/ },
  },
  {
    name: "CAPA's EKS exec plugin, which the server never runs",
    secret: clusterSecret('demo', capiKubeconfig({ user: { ...noCert, exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: 'aws', args: ['eks', 'get-token', '--cluster-name', planted] } } })),
    expect: { code: ErrorCode.Upstream, message: /^the kubeconfig in Secret team-a\/demo-kubeconfig is refused: .*"exec"/ },
  },
  {
    name: 'a token read from a file',
    secret: clusterSecret('demo', capiKubeconfig({ user: { ...noCert, tokenFile: `/var/run/${planted}` } })),
    expect: { code: ErrorCode.Upstream, message: /refused: .*"tokenFile"/ },
  },
  {
    name: 'a proxy',
    secret: clusterSecret('demo', capiKubeconfig({ cluster: { 'proxy-url': `http://${planted}:3128` } })),
    expect: { code: ErrorCode.Upstream, message: /refused: .*"proxy-url"/ },
  },
  {
    name: "a server other than the Cluster's endpoint (where the planter listens)",
    secret: clusterSecret('demo', capiKubeconfig({ cluster: { server: 'https://10.0.0.99:6443' } })),
    expect: { code: ErrorCode.Upstream, message: "the kubeconfig in Secret team-a/demo-kubeconfig is refused: its server is not the Cluster's control-plane endpoint" },
  },
  {
    name: 'plain http',
    secret: clusterSecret('demo', capiKubeconfig({ cluster: { server: 'http://10.0.0.1:6443' } })),
    expect: { code: ErrorCode.Upstream, message: /refused: .*not https/ },
  },
];

describe('get_cluster_nodes', () => {
  for (const c of cases) {
    it(`refuses ${c.name} before connecting anywhere, echoing nothing of the Secret`, async () => {
      // Prepare
      const cluster = topologyCluster();
      cluster.spec.controlPlaneEndpoint = { host: '10.0.0.1', port: 6443 };
      const kube = new FakeKube().add(cluster);
      if (c.secret) kube.addSecret(ns, 'demo-kubeconfig', c.secret);
      const { deps } = fakeToolDeps({ kube });

      // Act
      const error = await refusal(callTool(getClusterNodes, { namespace: ns, name: 'demo' }, deps));

      // Assess
      assertRefusal(error, c.expect);
      for (const text of [error.message, error.hint ?? '']) assert.ok(!text.includes(planted), `nothing of the Secret in: ${text}`);
      assert.deepEqual(kube.transcript(), ['get Cluster/demo', 'readSecret team-a/demo-kubeconfig'], 'only the Cluster and its Secret were read');
    });
  }

  it('answers a cluster that does not exist as NotFound, reading no Secret', async () => {
    const { deps, kube } = fakeToolDeps();
    const error = await refusal(callTool(getClusterNodes, { namespace: ns, name: 'demo' }, deps));
    assert.equal(error.code, ErrorCode.NotFound);
    assert.deepEqual(kube.transcript(), ['get Cluster/demo']);
  });
});
