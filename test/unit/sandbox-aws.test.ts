/**
 * sandbox/aws.ts: the AWS profile's pure parts — CAPA's command line and environment (every AWS client at the
 * sandbox's moto, never at a developer's real account), moto's command line, the emulated aws-ec2 class, the
 * ports — and build.ts's promise that the profile leaves the default sandbox's pin hash alone.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join, relative } from 'node:path';
import {
  awsProfile,
  awsProvider,
  capaEnvironment,
  capaManagerSpec,
  emulatedAwsEc2Class,
  motoServerSpec,
  seedEnvironment,
} from '../../sandbox/aws.ts';
import { pinHash, pinnedFiles } from '../../sandbox/build.ts';
import { binaries, inMemoryClusterClass, providers } from '../../sandbox/recipe.ts';
import { sandboxSourceDir, sandboxPaths, sandboxPorts } from '../../sandbox/layout.ts';
import { managerNames } from '../../sandbox/flags.ts';
import { motoAccountId, motoServerProgram } from '../../sandbox/moto.ts';
import { withoutVariables } from '../../sandbox/processes.ts';

const paths = sandboxPaths({ dataDir: '/data', portBase: 23000 });
const ports = sandboxPorts(23000, [...managerNames, 'capa-manager']);
const endpoint = `http://127.0.0.1:${ports.moto}`;

describe('capaEnvironment', () => {
  it('points every AWS client at moto, in us-east-1, with moto\'s dummy credentials', () => {
    const env = capaEnvironment(endpoint, paths, {});
    assert.equal(env.AWS_ENDPOINT_URL, 'http://127.0.0.1:23090');
    assert.equal(env.AWS_REGION, 'us-east-1');
    assert.equal(env.AWS_ACCESS_KEY_ID, 'testing');
    assert.equal(env.AWS_SECRET_ACCESS_KEY, 'testing');
    assert.equal(env.AWS_EC2_METADATA_DISABLED, 'true');
    assert.equal(env.KUBECONFIG, paths.kubeconfig);
  });

  it('blanks every AWS setting it inherits, so a developer\'s profile, token or per-service endpoint never reaches real AWS', () => {
    const inherited = {
      AWS_PROFILE: 'prod',
      AWS_SESSION_TOKEN: 'real-token',
      AWS_ENDPOINT_URL_EC2: 'https://ec2.eu-west-1.amazonaws.com',
      AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true',
      AWS_ROLE_ARN: 'arn:aws:iam::999999999999:role/admin',
      PATH: '/usr/bin',
    };
    const env = capaEnvironment(endpoint, paths, inherited);
    for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL_EC2', 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS', 'AWS_ROLE_ARN']) {
      assert.equal(env[name], '', `${name} is blanked`);
    }
    assert.equal(env.PATH, undefined, 'non-AWS variables are left as they are');
  });

  it('reads no shared config or credentials file: both point into the sandbox, where none is written', () => {
    const env = capaEnvironment(endpoint, paths, {});
    assert.equal(env.AWS_CONFIG_FILE, join(paths.root, 'aws', 'config-none'));
    assert.equal(env.AWS_SHARED_CREDENTIALS_FILE, join(paths.root, 'aws', 'credentials-none'));
  });
});

describe('capaManagerSpec', () => {
  const pkiDir = join(paths.pki, 'webhooks', 'capa-manager');
  const spec = capaManagerSpec('/cache/aws-x/bin/capa-manager', paths, ports, pkiDir, endpoint, {});

  it('serves webhooks, health and diagnostics on its own loopback ports after the Cluster API managers\'', () => {
    assert.deepEqual(ports.managers['capa-manager'], { webhook: 23022, health: 23023, diagnostics: 23024 });
    assert.ok(spec.args.includes('--webhook-port=23022'));
    assert.ok(spec.args.includes(`--webhook-cert-dir=${pkiDir}`));
    assert.ok(spec.args.includes('--health-addr=127.0.0.1:23023'));
    assert.ok(spec.args.includes('--diagnostics-address=127.0.0.1:23024'));
    assert.ok(spec.args.includes('--leader-elect=false'));
  });

  it('passes no Cluster API feature gate CAPA does not know (it refuses to start on one)', () => {
    assert.ok(!spec.args.some((a) => a.includes('ClusterTopology')));
  });

  it('is the manager the aws provider names, serving CAPA\'s own admission webhooks', () => {
    assert.equal(spec.name, awsProvider.manager);
    assert.equal(awsProvider.webhookManifest, 'config/webhook/manifests.yaml');
    assert.deepEqual(awsProfile.binaries.map((b) => b.name), ['capa-manager']);
  });
});

describe('motoServerSpec', () => {
  it('listens on loopback only, on the port it exports as MOTO_PORT, recorded by the python it really runs', () => {
    const spec = motoServerSpec('/cache/moto/bin/python', '/usr/bin/python3.11', ports.moto);
    assert.equal(spec.binary, '/cache/moto/bin/python');
    assert.equal(spec.exe, '/usr/bin/python3.11');
    const host = spec.args.indexOf('-H');
    assert.equal(spec.args[host + 1], '127.0.0.1');
    assert.equal(spec.args[spec.args.indexOf('-p') + 1], '23090');
    assert.equal(spec.env?.MOTO_PORT, '23090');
  });

  it("runs moto's server program, in which each Secrets Manager request runs alone (test/integration/moto-server.test.ts)", () => {
    const spec = motoServerSpec('/cache/moto/bin/python', '/usr/bin/python3.11', ports.moto);
    assert.deepEqual(spec.args.slice(0, 2), ['-c', motoServerProgram()]);
  });
});

describe("moto's environment", () => {
  const inherited = {
    PATH: '/usr/bin',
    HOME: '/home/dev',
    AWS_PROFILE: 'prod',
    MOTO_DOCKER_NETWORK_MODE: 'host',
    MOTO_AMIS_PATH: '/tmp/amis.json',
    HTTPS_PROXY: 'http://proxy.corp:3128',
    https_proxy: 'http://proxy.corp:3128',
    DOCKER_HOST: 'tcp://docker.corp:2376',
  };

  it('drops every inherited AWS_, MOTO_, Docker and proxy setting, turns cross-origin access off and gives moto no Docker', () => {
    const spec = motoServerSpec('/cache/moto/bin/python', '/usr/bin/python3.11', ports.moto, inherited);
    const env = { ...withoutVariables(inherited, spec.unset ?? []), ...spec.env };
    for (const name of ['AWS_PROFILE', 'MOTO_DOCKER_NETWORK_MODE', 'MOTO_AMIS_PATH', 'HTTPS_PROXY', 'https_proxy']) assert.equal(env[name], undefined, name);
    assert.equal(env.PATH, '/usr/bin');
    assert.equal(env.MOTO_PORT, '23090');
    // Note: any page a browser opens could otherwise read the emulated account (CAPA's bootstrap secrets) cross-origin.
    assert.equal(env.MOTO_DISABLE_GLOBAL_CORS, '1');
    assert.equal(env.DOCKER_HOST, 'unix:///nonexistent');
  });

  it("seeds the account with CAPA's blanked AWS settings, through no proxy", () => {
    const env = seedEnvironment(endpoint, paths, { ...inherited, AWS_CA_BUNDLE: '/etc/ssl/certs/ca-certificates.crt' });
    // Removed, not emptied: boto3 refuses an empty AWS_CA_BUNDLE.
    assert.ok(!('AWS_PROFILE' in env) && !('AWS_CA_BUNDLE' in env));
    assert.equal(env.AWS_ACCESS_KEY_ID, 'testing');
    assert.equal(env.AWS_ENDPOINT_URL, endpoint);
    assert.equal(env.AWS_CONFIG_FILE, capaEnvironment(endpoint, paths, {}).AWS_CONFIG_FILE);
    assert.ok(!('HTTPS_PROXY' in env) && !('https_proxy' in env));
    assert.equal(env.NO_PROXY, '*');
    assert.equal(env.PATH, '/usr/bin');
  });
});

describe('emulatedAwsEc2Class', () => {
  const upstream: any[] = [
    { kind: 'ClusterClass', metadata: { name: 'aws-ec2' }, spec: {} },
    {
      kind: 'AWSClusterTemplate',
      metadata: { name: 'aws-ec2' },
      spec: { template: { spec: { controlPlaneLoadBalancer: { loadBalancerType: 'nlb', healthCheckProtocol: 'HTTPS' } } } },
    },
    { kind: 'AWSMachineTemplate', metadata: { name: 'cp' }, spec: { template: { spec: { imageLookupOrg: '819546954734', instanceType: 't3.large' } } } },
    { kind: 'AWSMachineTemplate', metadata: { name: 'md' }, spec: { template: { spec: { imageLookupOrg: '819546954734', instanceType: 't3.large' } } } },
  ];
  const out = emulatedAwsEc2Class(upstream);
  const cluster = out.find((m) => m.kind === 'AWSClusterTemplate')!.spec.template.spec;

  it('looks images up in the emulated account instead of CAPA\'s publisher', () => {
    for (const m of out.filter((m) => m.kind === 'AWSMachineTemplate')) assert.equal(m.spec.template.spec.imageLookupOrg, motoAccountId);
  });

  it('uses a classic ELB: moto answers DescribeTargetGroups of an NLB without target groups with 400, which CAPA cannot pass', () => {
    assert.equal(cluster.controlPlaneLoadBalancer.loadBalancerType, 'classic');
    assert.equal(cluster.controlPlaneLoadBalancer.healthCheckProtocol, 'HTTPS');
  });

  it('skips the DNS check of the load balancer\'s name, which resolves nowhere outside AWS', () => {
    assert.equal(cluster.controlPlaneLoadBalancer.dnsResolutionCheck, 'None');
  });

  it('opens calico\'s VXLAN port instead of IP-in-IP, a protocol-4 rule moto answers with 500', () => {
    const rules = cluster.network.cni.cniIngressRules;
    assert.deepEqual(rules.map((r: any) => r.protocol).sort(), ['tcp', 'udp']);
    assert.ok(!rules.some((r: any) => r.protocol === '4'));
  });

  it('leaves the upstream manifests untouched', () => {
    assert.equal(upstream[1].spec.template.spec.controlPlaneLoadBalancer.loadBalancerType, 'nlb');
    assert.equal(upstream[2].spec.template.spec.imageLookupOrg, '819546954734');
  });
});

describe('the default pin hash', () => {
  it('covers no file of the AWS profile, so adding or changing the profile never rebuilds the default sandbox', async () => {
    const files = await pinnedFiles();
    assert.ok(files.includes(join(sandboxSourceDir, 'recipe.ts')));
    assert.ok(files.some((f) => f.startsWith(join(sandboxSourceDir, 'go', 'crds'))));
    assert.ok(!files.some((f) => f.startsWith(join(sandboxSourceDir, 'go', 'capa') + '/')), 'sandbox/go/capa is the profile\'s');
    assert.ok(!files.includes(join(sandboxSourceDir, 'aws.ts')));
    assert.match(await pinHash(), /^[0-9a-f]{16}$/);
  });

  it('covers exactly the wrappers the default sandbox builds from, so a new tool or profile wrapper never rebuilds it', async () => {
    const pinned = new Set((await pinnedFiles()).filter((f) => f.startsWith(join(sandboxSourceDir, 'go') + '/')).map((f) => relative(join(sandboxSourceDir, 'go'), f).split('/')[0]));
    const used = new Set([...binaries.map((b) => b.wrapper), ...providers.map((p) => p.wrapper), inMemoryClusterClass.wrapper]);
    assert.deepEqual([...pinned].sort(), [...used].sort());
  });
});
