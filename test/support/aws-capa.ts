/**
 * What the AWS tests read of CAPA's work in the test sandbox's emulated account (the AWS profile's moto),
 * with the AWS SDK v3 as any AWS client reads an account, and the one fixture they build by hand: an aws-ec2
 * cluster without a ClusterClass.
 */
import { DescribeInstancesCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { PatchStrategy } from '@kubernetes/client-node';
import type { TestNamespace } from './sandbox.ts';

type Obj = Record<string, any>;

/** The tag CAPA puts on everything it creates for `cluster` and deletes with it. */
export const ownedTag = (cluster: string) => `sigs.k8s.io/cluster-api-provider-aws/cluster/${cluster}`;

const ec2 = (endpoint: string, region: string) => new EC2Client({ endpoint, region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });

/** The instances CAPA made for `cluster` in `region` (any state, terminated ones too). */
export async function instancesOf(endpoint: string, region: string, cluster: string) {
  const client = ec2(endpoint, region);
  try {
    const answer = await client.send(new DescribeInstancesCommand({ Filters: [{ Name: `tag:${ownedTag(cluster)}`, Values: ['owned'] }] }));
    return (answer.Reservations ?? []).flatMap((r) => r.Instances ?? []);
  } finally {
    client.destroy();
  }
}

/** The VPCs CAPA made for `cluster` in `region`. */
export async function vpcsOf(endpoint: string, region: string, cluster: string) {
  const client = ec2(endpoint, region);
  try {
    return (await client.send(new DescribeVpcsCommand({ Filters: [{ Name: `tag:${ownedTag(cluster)}`, Values: ['owned'] }] }))).Vpcs ?? [];
  } finally {
    client.destroy();
  }
}

/**
 * An aws-ec2 cluster without a ClusterClass and without a control plane: an AWSCluster from the class's
 * template (useNamespace's withAwsEc2Class installs it) in `region`, and one MachineDeployment `<name>-md-0`
 * of the class's worker AWSMachineTemplate whose Machines take their bootstrap data from a Secret written
 * here instead of from kubeadm.
 *
 * Why: no emulated instance runs a kubelet, so a kubeadm control plane never initializes, and kubeadm's
 * bootstrap provider (and a ClusterClass's topology) make no worker before it does. Bootstrap data given
 * outright is Cluster API's own way to run workers without one; CAPA then builds each worker's instance
 * as for any cluster — which is what scaling through CAPA needs to show.
 */
export async function awsClassicCluster(ns: TestNamespace, name: string, region: string, workers: number, version: string): Promise<void> {
  const read = (apiVersion: string, kind: string, templateName: string) =>
    ns.objects.read({ apiVersion, kind, metadata: { name: templateName, namespace: ns.name } }) as Promise<Obj>;
  const clusterTemplate = await read('infrastructure.cluster.x-k8s.io/v1beta2', 'AWSClusterTemplate', 'aws-ec2');
  const clusterLabel = { 'cluster.x-k8s.io/cluster-name': name };
  const poolLabels = { ...clusterLabel, 'cluster.x-k8s.io/deployment-name': `${name}-md-0` };
  const bootstrap = `${name}-workers-bootstrap`;
  const objects: Obj[] = [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'cluster.x-k8s.io/secret',
      metadata: { name: bootstrap, namespace: ns.name, labels: clusterLabel },
      stringData: { format: 'cloud-config', value: '#cloud-config\nruncmd:\n  - echo "a worker of the AWS scale test"\n' },
    },
    {
      apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2',
      kind: 'AWSCluster',
      metadata: { name, namespace: ns.name, labels: clusterLabel },
      spec: { ...clusterTemplate.spec.template.spec, region },
    },
    {
      apiVersion: 'cluster.x-k8s.io/v1beta2',
      kind: 'MachineDeployment',
      metadata: { name: `${name}-md-0`, namespace: ns.name, labels: clusterLabel },
      spec: {
        clusterName: name,
        // Made 0 here, `workers` by the hand-over below.
        replicas: 0,
        selector: { matchLabels: poolLabels },
        template: {
          metadata: { labels: poolLabels },
          spec: {
            clusterName: name,
            version,
            bootstrap: { dataSecretName: bootstrap },
            infrastructureRef: { apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'AWSMachineTemplate', name: 'aws-ec2-default-worker' },
          },
        },
      },
    },
    {
      apiVersion: 'cluster.x-k8s.io/v1beta2',
      kind: 'Cluster',
      metadata: { name, namespace: ns.name, labels: clusterLabel },
      spec: { infrastructureRef: { apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'AWSCluster', name } },
    },
  ];
  for (const obj of objects) await ns.objects.create(obj as never);
  // The hand-over scale-classic.test.ts shows a person makes: the count, created by this fixture's client,
  // is set as capi-mcp's scale manager, forced, so scale_cluster may change it (it never takes a field another
  // manager holds). Note: to another value than the created one: a forced apply of the same value shares the
  // field instead of taking it.
  await ns.objects.patch(
    { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'MachineDeployment', metadata: { name: `${name}-md-0`, namespace: ns.name }, spec: { replicas: workers } } as never,
    undefined,
    undefined,
    'capi-mcp-scale',
    true,
    PatchStrategy.ServerSideApply,
  );
}
