/**
 * get_cluster_kubeconfig (shared/mcp/tools/get-cluster-kubeconfig.ts) against a fake management cluster.
 * The Secrets it reads are untrusted (whoever may write Secrets in the namespace can plant one): every
 * refusal says what was wrong and never a byte of what the Secret held. What it hands out is rebuilt from
 * the checked parts, and says which credential it is.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { ErrorCode } from '../../shared/errors.ts';
import type { KubeObject, KubeSecret } from '../../shared/kube/client.ts';
import { getClusterKubeconfig } from '../../shared/mcp/tools/get-cluster-kubeconfig.ts';
import { apiFailure, assertRefusal, callTool, capiKubeconfig, clusterSecret, FakeKube, fakeToolDeps, topologyCluster, refusal } from '../support/fake-kube.ts';

const ns = 'team-a';
/** Planted in every Secret a case refuses: no answer may carry it. */
const planted = 'PLANTED-7f3a';

const endpoint = { host: '10.0.0.1', port: 6443 };
const kubeadm = (fields: Record<string, unknown> = { controlPlaneEndpoint: endpoint }) => {
  const cluster = topologyCluster();
  Object.assign(cluster.spec, fields);
  return cluster;
};

/** An EKS cluster: CAPA's user kubeconfig mints tokens with `aws eks get-token` for the EKS cluster its control plane names. */
function eks(eksClusterName = 'team-a_demo'): KubeObject[] {
  const cluster = kubeadm();
  cluster.spec.infrastructureRef = { apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'AWSManagedCluster', name: 'demo' };
  cluster.spec.controlPlaneRef = { apiGroup: 'controlplane.cluster.x-k8s.io', kind: 'AWSManagedControlPlane', name: 'demo-cp' };
  const controlPlane: KubeObject = { apiVersion: 'controlplane.cluster.x-k8s.io/v1beta2', kind: 'AWSManagedControlPlane', metadata: { name: 'demo-cp', namespace: ns }, spec: { eksClusterName } };
  return [cluster, controlPlane];
}

const awsExec = (name: string) => ({ exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: 'aws', args: ['eks', 'get-token', '--cluster-name', name] } });
const noCert = { 'client-certificate-data': undefined, 'client-key-data': undefined };

interface Case {
  readonly name: string;
  readonly objects?: KubeObject[];
  readonly secrets?: Record<string, KubeSecret>;
  readonly prepare?: (kube: FakeKube) => void;
  readonly expect: { readonly code: ErrorCode; readonly message: string | RegExp; readonly next?: string };
}

const refusals: Case[] = [
  { name: 'a cluster that does not exist', objects: [], expect: { code: ErrorCode.NotFound, message: 'cluster team-a/demo not found' } },
  {
    name: 'a cluster whose kubeconfig Secret is not written yet',
    expect: { code: ErrorCode.NotFound, message: 'cluster team-a/demo has no user kubeconfig yet (Secret demo-kubeconfig does not exist)', next: 'follow-provisioning' },
  },
  {
    name: 'a Secret of another type (not written by Cluster API)',
    secrets: { 'demo-kubeconfig': clusterSecret('demo', `# ${planted}\n${capiKubeconfig()}`, { type: 'Opaque' }) },
    expect: { code: ErrorCode.Upstream, message: 'Secret team-a/demo-kubeconfig is refused: it is not a Cluster API Secret of cluster demo (type cluster.x-k8s.io/secret, label cluster.x-k8s.io/cluster-name=demo)' },
  },
  {
    name: "a Secret labelled as another cluster's",
    secrets: { 'demo-kubeconfig': clusterSecret('demo', capiKubeconfig(), { labels: { 'cluster.x-k8s.io/cluster-name': `other-${planted.toLowerCase()}` } }) },
    expect: { code: ErrorCode.Upstream, message: /^Secret team-a\/demo-kubeconfig is refused: it is not a Cluster API Secret of cluster demo/ },
  },
  {
    name: 'a kubeconfig that would run a command',
    secrets: { 'demo-kubeconfig': clusterSecret('demo', capiKubeconfig({ user: { ...noCert, exec: { command: 'sh', args: ['-c', `cat /etc/${planted}`] } } })) },
    expect: { code: ErrorCode.Upstream, message: /^the kubeconfig in Secret team-a\/demo-kubeconfig is refused: .*"exec"/ },
  },
  {
    name: "a kubeconfig whose server is not the Cluster's endpoint",
    secrets: { 'demo-kubeconfig': clusterSecret('demo', capiKubeconfig({ cluster: { server: `https://${planted.toLowerCase()}.example:6443` } })) },
    expect: { code: ErrorCode.Upstream, message: "the kubeconfig in Secret team-a/demo-kubeconfig is refused: its server is not the Cluster's control-plane endpoint" },
  },
  {
    name: 'a kubeconfig with a field outside the allow-list',
    secrets: { 'demo-kubeconfig': clusterSecret('demo', capiKubeconfig({ cluster: { [planted]: 'x' } })) },
    expect: { code: ErrorCode.Upstream, message: /^the kubeconfig in Secret team-a\/demo-kubeconfig is refused: / },
  },
  {
    name: 'a cluster without a control-plane endpoint yet',
    objects: [kubeadm({})],
    secrets: { 'demo-kubeconfig': clusterSecret('demo', capiKubeconfig()) },
    expect: { code: ErrorCode.NotFound, message: /cannot be checked: the Cluster has no spec\.controlPlaneEndpoint yet$/, next: 'follow-provisioning' },
  },
  {
    name: 'a Secret without its "value" key',
    secrets: { 'demo-kubeconfig': { type: 'cluster.x-k8s.io/secret', labels: { 'cluster.x-k8s.io/cluster-name': 'demo' }, data: { other: planted } } },
    expect: { code: ErrorCode.NotFound, message: 'Secret team-a/demo-kubeconfig has no "value" key', next: 'check-control-plane' },
  },
  {
    name: 'a Secret the identity may not read, keeping the code',
    prepare: (kube) => kube.failOn({ verb: 'readSecret' }, apiFailure('read Secret team-a/demo-kubeconfig', 403, { message: 'secrets "demo-kubeconfig" is forbidden' })),
    expect: { code: ErrorCode.Forbidden, message: 'failed to read the kubeconfig of cluster team-a/demo: failed to read Secret team-a/demo-kubeconfig: secrets "demo-kubeconfig" is forbidden' },
  },
  {
    name: "an EKS user kubeconfig whose exec plugin mints tokens for another EKS cluster",
    objects: eks(),
    secrets: { 'demo-user-kubeconfig': clusterSecret('demo', capiKubeconfig({ user: { ...noCert, ...awsExec('victim_cluster') } })) },
    expect: { code: ErrorCode.Upstream, message: "the kubeconfig in Secret team-a/demo-user-kubeconfig is refused: its exec plugin mints tokens for another EKS cluster than this Cluster's" },
  },
  {
    name: 'an EKS user kubeconfig with a bearer token instead of the exec plugin',
    objects: eks(),
    secrets: { 'demo-user-kubeconfig': clusterSecret('demo', capiKubeconfig({ user: { ...noCert, token: planted } })) },
    expect: { code: ErrorCode.Upstream, message: 'the kubeconfig in Secret team-a/demo-user-kubeconfig is refused: its provider mints tokens with an exec plugin, and it has none' },
  },
  {
    name: 'an EKS cluster whose admin kubeconfig exists but not its user kubeconfig: no fallback',
    objects: eks(),
    secrets: { 'demo-kubeconfig': clusterSecret('demo', capiKubeconfig()) },
    expect: { code: ErrorCode.NotFound, message: 'cluster team-a/demo has no user kubeconfig yet (Secret demo-user-kubeconfig does not exist)', next: 'follow-provisioning' },
  },
];

function world({ objects = [kubeadm()], secrets = {} }: { objects?: KubeObject[]; secrets?: Record<string, KubeSecret> }) {
  const kube = new FakeKube().add(...objects);
  for (const [name, secret] of Object.entries(secrets)) kube.addSecret(ns, name, secret);
  return fakeToolDeps({ kube });
}

describe('get_cluster_kubeconfig', () => {
  for (const c of refusals) {
    it(`refuses ${c.name}, echoing nothing of the Secret`, async () => {
      // Prepare
      const { deps, kube } = world(c);
      c.prepare?.(kube);

      // Act
      const error = await refusal(callTool(getClusterKubeconfig, { namespace: ns, name: 'demo' }, deps));

      // Assess
      assertRefusal(error, c.expect);
      for (const text of [error.message, error.hint ?? '']) assert.ok(!text.toLowerCase().includes(planted.toLowerCase()), `nothing of the Secret in: ${text}`);
      assert.deepEqual(kube.writes(), []);
    });
  }

  it("hands out CAPI's admin kubeconfig rebuilt from its checked parts, saying it is the admin certificate", async () => {
    // Prepare
    const { deps } = world({ secrets: { 'demo-kubeconfig': clusterSecret('demo', capiKubeconfig()) } });

    // Act
    const { structured, text } = await callTool(getClusterKubeconfig, { namespace: ns, name: 'demo' }, deps);

    // Assess
    assert.equal(structured.credential, 'admin-certificate');
    assert.equal(text, `# credential: the cluster admin client certificate (long-lived; keep it secret)\n${structured.kubeconfig}`);
    const config = parse(structured.kubeconfig);
    assert.deepEqual(config.clusters, [{ name: 'team-a-demo', cluster: { server: 'https://10.0.0.1:6443', 'certificate-authority-data': config.clusters[0].cluster['certificate-authority-data'] } }]);
    assert.deepEqual(Object.keys(config.users[0].user).sort(), ['client-certificate-data', 'client-key-data']);
    assert.equal(config['current-context'], 'team-a-demo');
  });

  it("hands out an EKS cluster's user kubeconfig, whose tokens the user's own AWS identity mints", async () => {
    // Prepare
    const { deps, kube } = world({ objects: eks(), secrets: { 'demo-user-kubeconfig': clusterSecret('demo', capiKubeconfig({ user: { ...noCert, ...awsExec('team-a_demo') } })) } });

    // Act
    const { structured, text } = await callTool(getClusterKubeconfig, { namespace: ns, name: 'demo' }, deps);

    // Assess
    assert.equal(structured.credential, 'aws-iam-token');
    assert.match(text, /^# credential: short-lived AWS IAM tokens minted by the exec plugin from your own AWS identity\n/);
    assert.deepEqual(parse(structured.kubeconfig).users[0].user.exec, { apiVersion: 'client.authentication.k8s.io/v1beta1', command: 'aws', args: ['eks', 'get-token', '--cluster-name', 'team-a_demo'], interactiveMode: 'Never' });
    assert.deepEqual(kube.transcript().filter((t) => t.startsWith('readSecret')), ['readSecret team-a/demo-user-kubeconfig'], 'never the admin kubeconfig');
  });
});
