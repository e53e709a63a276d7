/**
 * The AWS ClusterClasses of deploy/clusterclasses on the sandbox's AWS profile: applied with `kubectl apply -k`
 * into a namespace (CAPI's ClusterClass webhook and controller, and CAPA's webhooks, check them against the
 * real CAPA v2 CRDs), then used through a real MCP client. create_cluster passes every check including the
 * server-side dry run; the Cluster it applies is rendered by CAPI's real topology controller, which runs every
 * variable's patch into the AWS objects, and CAPA's manager acts on them in the emulated account: the
 * network of the aws-ec2 cluster appears in the region its variable names. No instance can launch (the
 * classes look images up among a pinned publisher's, which the emulated account has none of), and each
 * operation is cancelled; the namespace's cleanup deletes the Clusters, CAPA what it built. Each cluster has
 * a region no other test reads (eu-central-1, ap-southeast-2), since the AWS tests compare whole regions.
 * Invalid variables are refused naming the variable, by capi-mcp and by the API server alike; what callers
 * may not choose (an image, an SSH key, a tag key controllers act on) is refused too.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { KubernetesObject } from '@kubernetes/client-node';
import { repoRoot } from '../../sandbox/layout.ts';
import { providerNamed } from '../../shared/providers/registry.ts';
import { vpcsOf } from '../support/aws-capa.ts';
import { connectV2, startTestServer, textOf, type TestClient } from '../support/mcp.ts';
import { testSandbox, useNamespace } from '../support/sandbox.ts';
import { eventually } from '../support/wait.ts';

const ns = await useNamespace('aws-cc');
/** This file's regions: the AWS tests compare whole regions before and after, so each has its own. */
const ec2Region = 'eu-central-1';
const eksRegion = 'ap-southeast-2';
const url = await startTestServer();
let client: TestClient;

type Obj = KubernetesObject & { metadata: { name: string }; spec?: any; status?: any };

const classes = (['aws-ec2', 'aws-eks'] as const).map((name) => ({ name, kustomization: providerNamed(name)!.clusterClasses[0]!.kustomization! }));

async function clusterClassReconciled(name: string): Promise<Obj> {
  return eventually(`ClusterClass ${name} reconciled`, async () => {
    const cc = (await ns.objects.read({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'ClusterClass', metadata: { name, namespace: ns.name } })) as Obj;
    const ready = cc.status?.conditions?.some((c: any) => c.type === 'VariablesReady' && c.status === 'True');
    const current = cc.status?.observedGeneration === (cc.metadata as { generation?: number }).generation;
    return { done: Boolean(ready && current), value: cc, seen: JSON.stringify(cc.status?.conditions) };
  }, { timeoutMs: 60_000 });
}

before(async () => {
  for (const { kustomization } of classes) {
    await promisify(execFile)('kubectl', ['--kubeconfig', testSandbox().paths.kubeconfig, 'apply', '-k', join(repoRoot, kustomization), '-n', ns.name]);
  }
  await Promise.all(classes.map((c) => clusterClassReconciled(c.name)));
  client = await connectV2(url);
});
after(() => client?.close());

const list = async (apiVersion: string, kind: string, cluster: string) =>
  (await ns.objects.list(apiVersion, kind, ns.name, undefined, undefined, undefined, undefined, `cluster.x-k8s.io/cluster-name=${cluster}`)).items as Obj[];

const readCluster = (name: string) => ns.objects.read({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name, namespace: ns.name } }) as Promise<Obj>;

async function clusterExists(name: string): Promise<boolean> {
  return readCluster(name).then(
    () => true,
    (e: { code?: number }) => (e.code === 404 ? false : Promise.reject(e)),
  );
}

/** The Cluster once the topology controller has reconciled it, successfully or not (its condition says which). */
async function topologyOutcome(name: string): Promise<{ reconciled: boolean; message: string }> {
  return eventually(`the topology of ${name} reconciled or failed`, async () => {
    const condition = (await readCluster(name)).status?.conditions?.find((c: any) => c.type === 'TopologyReconciled');
    const settled = condition?.status === 'True' || condition?.reason === 'ReconcileFailed';
    return { done: settled, value: { reconciled: condition?.status === 'True', message: condition?.message ?? '' }, seen: JSON.stringify(condition) };
  }, { timeoutMs: 60_000 });
}

/** Stops following an operation whose Cluster was applied; the namespace cleanup deletes the Cluster. */
async function cancel(operationId: string): Promise<void> {
  const result = await client.callTool({ name: 'cancel_operation', arguments: { operation_id: operationId } });
  assert.equal(result.isError, undefined, textOf(result));
  assert.equal(result.structuredContent.applied, true, textOf(result));
}

const createArgs = (name: string, clusterClass: string, variables: Record<string, unknown> | undefined, version = 'v1.34.2') => ({
  namespace: ns.name,
  name,
  cluster_class: clusterClass,
  kubernetes_version: version,
  workers: [{ class: 'default-worker', name: 'md-0', replicas: 2 }],
  ...(variables ? { variables } : {}),
});

describe('deploy/clusterclasses applied with kubectl apply -k', () => {
  it('installs both ClusterClasses, and CAPI accepts their templates and variables', async () => {
    for (const { name } of classes) {
      const cc = await clusterClassReconciled(name);
      assert.ok(cc.status.conditions.some((c: any) => c.type === 'RefVersionsUpToDate' && c.status === 'True'), `${name}: ${JSON.stringify(cc.status.conditions)}`);
      assert.ok(cc.status.variables.some((v: any) => v.name === 'region'), name);
    }
  });

  it('capi://clusterclasses shows agents each class with region required', async () => {
    const text = (await client.readResource({ uri: 'capi://clusterclasses' })).contents[0].text;
    const described = JSON.parse(text).clusterClasses.filter((c: any) => c.namespace === ns.name);
    assert.deepEqual(described.map((c: any) => c.name).sort(), ['aws-ec2', 'aws-eks']);
    for (const c of described) {
      assert.deepEqual(c.workerClasses.machineDeployments, ['default-worker']);
      assert.equal(c.variables.find((v: any) => v.name === 'region').required, true, c.name);
    }
  });
});

describe('create_cluster with aws-ec2', () => {
  // Note: CAPA tags what it builds by cluster name, and the emulated account outlives a run.
  const name = `ec2-${ns.name.slice(-6)}`;
  const variables = {
    region: ec2Region,
    controlPlaneMachineType: 'm7i.xlarge',
    workerMachineType: 'm7i-flex.large',
    apiServerLoadBalancerScheme: 'internal',
    additionalTags: { team: 'platform' },
  };
  let operationId: string;

  it('passes every check, including the server-side dry run, and starts the create', async () => {
    const result = await client.callTool({ name: 'create_cluster', arguments: { ...createArgs(name, 'aws-ec2', variables), control_plane_replicas: 3 } });
    assert.equal(result.isError, undefined, textOf(result));
    assert.equal(result.structuredContent.status, 'RUNNING');
    operationId = result.structuredContent.operation_id;
  });

  it("renders every variable into the AWS objects through the class's patches", async () => {
    await eventually(`cluster ${name} applied`, async () => ({ done: await clusterExists(name), value: undefined, seen: 'not yet' }), { timeoutMs: 30_000 });
    const outcome = await topologyOutcome(name);
    assert.ok(outcome.reconciled, outcome.message);
    const [awsCluster] = await list('infrastructure.cluster.x-k8s.io/v1beta2', 'AWSCluster', name);
    assert.deepEqual(
      { region: awsCluster!.spec.region, sshKeyName: awsCluster!.spec.sshKeyName, scheme: awsCluster!.spec.controlPlaneLoadBalancer.scheme, tags: awsCluster!.spec.additionalTags },
      { region: ec2Region, sshKeyName: '', scheme: 'internal', tags: { team: 'platform' } },
    );
    // Every image is looked up among those of one pinned owner (CAPA's publisher); no machine takes an id.
    const machines = await list('infrastructure.cluster.x-k8s.io/v1beta2', 'AWSMachineTemplate', name);
    const role = (t: Obj) => (t.metadata.labels?.['topology.cluster.x-k8s.io/deployment-name'] ? 'worker' : 'control-plane');
    assert.deepEqual(
      machines.map((t) => `${role(t)} ${t.spec.template.spec.instanceType} owner=${t.spec.template.spec.imageLookupOrg} ami=${JSON.stringify(t.spec.template.spec.ami ?? {})} key=${t.spec.template.spec.sshKeyName}`).sort(),
      ['control-plane m7i.xlarge owner=819546954734 ami={} key=', 'worker m7i-flex.large owner=819546954734 ami={} key='],
    );
    const [kcp] = await list('controlplane.cluster.x-k8s.io/v1beta2', 'KubeadmControlPlane', name);
    assert.equal(kcp!.spec.replicas, 3);
    assert.equal(kcp!.spec.version, 'v1.34.2');
  });

  it("reaches AWS: CAPA builds the cluster's network in the region its variable names", async () => {
    await eventually(`CAPA to build ${name}'s VPC in ${ec2Region}`, async () => {
      const vpcs = await vpcsOf(testSandbox().awsEndpoint, ec2Region, name);
      return { done: vpcs.length > 0, value: undefined, seen: `${vpcs.length} VPCs` };
    }, { timeoutMs: 90_000, intervalMs: 1000 });
    await cancel(operationId);
  });
});

describe('create_cluster with aws-eks', () => {
  const name = 'eks-1';
  const variables = { region: eksRegion, workerMachineType: 'm7i.large', workerAMIType: 'AmazonLinux2023GPU', upgradePolicy: 'extended', additionalTags: { team: 'data' } };
  let operationId: string;

  it('passes every check, including the server-side dry run, and starts the create', async () => {
    const result = await client.callTool({ name: 'create_cluster', arguments: createArgs(name, 'aws-eks', variables, 'v1.34.0') });
    assert.equal(result.isError, undefined, textOf(result));
    assert.equal(result.structuredContent.status, 'RUNNING');
    operationId = result.structuredContent.operation_id;
    await eventually(`cluster ${name} applied`, async () => ({ done: await clusterExists(name), value: undefined, seen: 'not yet' }), { timeoutMs: 30_000 });
    await cancel(operationId);
  });

  it('the Cluster it creates carries no control-plane replicas and renders an AWSManagedControlPlane', async () => {
    const outcome = await topologyOutcome(name);
    assert.ok(outcome.reconciled, outcome.message);
    assert.equal((await list('controlplane.cluster.x-k8s.io/v1beta2', 'AWSManagedControlPlane', name)).length, 1);
  });

  it('refuses control_plane_replicas for a control plane its provider sizes', async () => {
    const result = await client.callTool({ name: 'create_cluster', arguments: { ...createArgs('eks-2', 'aws-eks', variables, 'v1.34.0'), control_plane_replicas: 3 } });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /has a control plane its provider sizes: omit control_plane_replicas/);
  });

  it('renders every variable into the EKS objects when the topology leaves controlPlane.replicas out (a Cluster applied directly)', async () => {
    const direct = 'eks-direct';
    await ns.objects.create({
      apiVersion: 'cluster.x-k8s.io/v1beta2',
      kind: 'Cluster',
      metadata: { name: direct, namespace: ns.name },
      spec: {
        topology: {
          classRef: { name: 'aws-eks' },
          version: 'v1.34.0',
          workers: { machineDeployments: [{ class: 'default-worker', name: 'md-0', replicas: 2 }] },
          variables: Object.entries(variables).map(([n, value]) => ({ name: n, value })),
        },
      },
    } as Obj);
    const outcome = await topologyOutcome(direct);
    assert.ok(outcome.reconciled, outcome.message);
    const [controlPlane] = await list('controlplane.cluster.x-k8s.io/v1beta2', 'AWSManagedControlPlane', direct);
    assert.deepEqual(
      { region: controlPlane!.spec.region, version: controlPlane!.spec.version, upgradePolicy: controlPlane!.spec.upgradePolicy, tags: controlPlane!.spec.additionalTags },
      { region: eksRegion, version: 'v1.34.0', upgradePolicy: 'extended', tags: { team: 'data' } },
    );
    assert.equal((await list('infrastructure.cluster.x-k8s.io/v1beta2', 'AWSManagedCluster', direct)).length, 1);
    const [worker] = await list('infrastructure.cluster.x-k8s.io/v1beta2', 'AWSMachineTemplate', direct);
    assert.deepEqual(
      { instanceType: worker!.spec.template.spec.instanceType, ami: worker!.spec.template.spec.ami, sshKeyName: worker!.spec.template.spec.sshKeyName },
      { instanceType: 'm7i.large', ami: { eksLookupType: 'AmazonLinux2023GPU' }, sshKeyName: '' },
    );
    assert.equal((await list('bootstrap.cluster.x-k8s.io/v1beta2', 'NodeadmConfigTemplate', direct)).length, 1);
  });
});

describe('invalid variables', () => {
  const refused: [string, string, Record<string, unknown> | undefined, RegExp][] = [
    ['a region that breaks the pattern', 'aws-ec2', { region: 'EU-West-1' }, /variable "region": must match pattern/],
    ['a missing region', 'aws-ec2', undefined, /variable "region" is required by ClusterClass aws-ec2/],
    ['a machine type without a size', 'aws-ec2', { region: ec2Region, workerMachineType: 't3large' }, /variable "workerMachineType": must match pattern/],
    [
      'an AMI id, any AMI id (images come from a pinned owner)',
      'aws-ec2',
      { region: ec2Region, amiID: 'ami-0123456789abcdef0' },
      /variable "amiID" cannot be set through capi-mcp with ClusterClass aws-ec2 \(callers may set: region, controlPlaneMachineType, workerMachineType, apiServerLoadBalancerScheme, additionalTags\)/,
    ],
    ['an SSH key pair for the control plane', 'aws-ec2', { region: ec2Region, sshKeyName: 'ops' }, /variable "sshKeyName" cannot be set through capi-mcp with ClusterClass aws-ec2/],
    ['an SSH key pair for EKS workers', 'aws-eks', { region: eksRegion, sshKeyName: 'ops' }, /variable "sshKeyName" cannot be set through capi-mcp with ClusterClass aws-eks \(callers may set: region, workerMachineType, workerAMIType, upgradePolicy, additionalTags\)/],
    ['a tag key by which a cloud controller claims resources', 'aws-ec2', { region: ec2Region, additionalTags: { 'kubernetes.io/cluster/prod': 'owned' } }, /the API server rejected cluster .*additionalTags.*tag keys under kubernetes\.io\/ and k8s\.io\//],
    ['CAPA’s own ownership tag key', 'aws-eks', { region: eksRegion, additionalTags: { 'sigs.k8s.io/cluster-api-provider-aws/cluster/prod': 'owned' } }, /additionalTags.*tag keys under kubernetes\.io\/ and k8s\.io\//],
    ["the AWS cloud provider's legacy ownership tag key", 'aws-ec2', { region: ec2Region, additionalTags: { KubernetesCluster: 'prod' } }, /additionalTags.*legacy cluster-ownership tag/],
    ['a tag key AWS reserves', 'aws-ec2', { region: ec2Region, additionalTags: { 'AWS:cloudformation:stack-name': 'x' } }, /additionalTags.*tag keys starting with aws: are reserved by AWS/],
    ['a missing region on EKS', 'aws-eks', { workerMachineType: 'm7i.large' }, /variable "region" is required by ClusterClass aws-eks/],
    ['an unknown upgrade policy', 'aws-eks', { region: eksRegion, upgradePolicy: 'forever' }, /variable "upgradePolicy": must be equal to one of the allowed values \(\["standard","extended"\]\)/],
    ['a tag value that is not a string', 'aws-eks', { region: eksRegion, additionalTags: { team: 7 } }, /variable "additionalTags" at \/team: must be string/],
  ];
  for (const [what, clusterClass, variables, reason] of refused) {
    it(`create_cluster refuses ${what} with ${clusterClass}, naming the variable and creating nothing`, async () => {
      const name = `bad-${what.replace(/[^a-z]+/g, '-')}`.slice(0, 40).replace(/-$/, '');
      const result = await client.callTool({ name: 'create_cluster', arguments: createArgs(name, clusterClass, variables) });
      assert.equal(result.isError, true, textOf(result));
      assert.match(textOf(result), /InvalidInput/);
      assert.match(textOf(result), reason);
      assert.equal(await clusterExists(name), false);
    });
  }

  it('the API server refuses them too, without capi-mcp: the schemas live in the ClusterClass', async () => {
    const direct = (name: string, variables: { name: string; value: unknown }[]) => ({
      apiVersion: 'cluster.x-k8s.io/v1beta2',
      kind: 'Cluster',
      metadata: { name, namespace: ns.name },
      spec: { topology: { classRef: { name: 'aws-ec2' }, version: 'v1.34.2', controlPlane: { replicas: 1 }, variables } },
    });
    const rejection = (o: object) =>
      ns.objects.create(o as Obj).then(
        () => assert.fail('accepted'),
        (e: { code?: number; body?: unknown }) => `${e.code} ${JSON.parse(String(e.body)).message}`,
      );
    assert.match(await rejection(direct('bad-direct-region', [{ name: 'region', value: 'eu_west_1' }])), /^422 .*spec\.topology\.variables\[region\].*should match/);
    assert.match(await rejection(direct('bad-direct-missing', [])), /^422 .*required variable "region" must be set/);
  });

  it('the API server refuses a hostile image, SSH key name or tag key from anyone: the class itself constrains them', async () => {
    const direct = (name: string, variables: { name: string; value: unknown }[]) => ({
      apiVersion: 'cluster.x-k8s.io/v1beta2',
      kind: 'Cluster',
      metadata: { name, namespace: ns.name },
      spec: { topology: { classRef: { name: 'aws-ec2' }, version: 'v1.34.2', controlPlane: { replicas: 1 }, variables: [{ name: 'region', value: ec2Region }, ...variables] } },
    });
    const rejection = (o: object) =>
      ns.objects.create(o as Obj).then(
        () => assert.fail('accepted'),
        (e: { code?: number; body?: unknown }) => `${e.code} ${JSON.parse(String(e.body)).message}`,
      );
    assert.match(await rejection(direct('bad-direct-ami', [{ name: 'amiID', value: 'ami-0123456789abcdef0' }])), /^422 .*amiID.*not defined/);
    assert.match(await rejection(direct('bad-direct-ssh', [{ name: 'sshKeyName', value: 'ops key; x' }])), /^422 .*sshKeyName.*should match/);
    assert.match(await rejection(direct('bad-direct-tag', [{ name: 'additionalTags', value: { 'kubernetes.io/cluster/prod': 'owned' } }])), /^422 .*additionalTags.*tag keys under kubernetes\.io/);
    assert.match(await rejection(direct('bad-direct-aws', [{ name: 'additionalTags', value: { 'aws:x': 'y' } }])), /^422 .*additionalTags.*reserved by AWS/);
    for (const name of ['bad-direct-ami', 'bad-direct-ssh', 'bad-direct-tag', 'bad-direct-aws']) assert.equal(await clusterExists(name), false);
  });
});
