/**
 * The sandbox's opt-in AWS profile (`up --providers aws`): CAPA's own manager, built from the pinned module,
 * reconciles against moto on loopback, so AWS clusters really get VPCs, load balancers and instances — in an
 * emulated account. The default sandbox never builds nor starts any of it.
 *
 * What the profile must guarantee above all: nothing reaches a real AWS account. Every SDK client CAPA builds
 * comes from `config.LoadDefaultConfig`, which honours AWS_ENDPOINT_URL; the environment below sets it and
 * blanks every other AWS setting the sandbox inherits (a profile, a token, a per-service endpoint, the switch
 * that ignores configured endpoints), and points the shared config files at nothing.
 *
 * moto 5.2.5 lacks parts of AWS that CAPA's defaults use; the emulated aws-ec2 class chooses CAPA's own
 * alternatives where one exists (see {@link emulatedAwsEc2Class}), and fakes nothing.
 */
import { join } from 'node:path';
import type { ProfileBuild } from './build.ts';
import type { SandboxPaths, SandboxPorts } from './layout.ts';
import { motoAccountId, motoRegion, motoServerProgram } from './moto.ts';
import type { ProcessSpec } from './processes.ts';
import { providers, type BinarySpec, type ProviderSpec } from './recipe.ts';

type Manifest = Record<string, any>;

export const capaModule = 'sigs.k8s.io/cluster-api-provider-aws/v2';

/** CAPA's manager, from sandbox/go/capa, stamped with its release as CAPA's Makefile does (hack/version.sh). */
export const capaManager: BinarySpec = {
  name: 'capa-manager',
  wrapper: 'capa',
  pkg: capaModule,
  versionModule: capaModule,
  versionFlags: [
    `${capaModule}/version.gitVersion={version}`,
    `${capaModule}/version.gitMajor={major}`,
    `${capaModule}/version.gitMinor={minor}`,
    `${capaModule}/version.gitTreeState=clean`,
  ],
};

export const awsProfile: ProfileBuild = { name: 'aws', recipeFile: 'aws.ts', binaries: [capaManager] };

/**
 * The recipe's CRD-only aws provider with a manager: its CRDs' conversion webhook and its admission webhooks
 * are served by capa-manager. The CRDs still come from sandbox/go/crds; `up` refuses two different releases.
 */
export const awsProvider: ProviderSpec = {
  ...providers.find((p) => p.name === 'aws')!,
  webhookManifest: 'config/webhook/manifests.yaml',
  manager: capaManager.name,
};

/** The Kubernetes versions the emulated account has a CAPA-named image for (aws-seed.py registers them). */
export const emulatedImageVersions = ['v1.33.6', 'v1.34.2', 'v1.35.0'] as const;

/**
 * The regions those images are registered in: an aws-ec2 cluster can be created in each. More than one so that
 * every cluster whose account inventory must come out unchanged (test/aws/aws-ec2-lifecycle.aws.ts, three
 * of them; test/aws/aws-eks.aws.ts in eu-west-1) has a region to itself while the others run beside it.
 */
export const emulatedRegions = ['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1'] as const;

/**
 * CAPA's environment: every client at `endpoint` (moto), region us-east-1, moto's dummy credentials, and every
 * AWS_* variable of `inherited` that is not one of those blanked (the Go SDK treats an empty one as unset).
 */
export function capaEnvironment(endpoint: string, paths: SandboxPaths, inherited: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const blanked = Object.fromEntries(Object.keys(inherited).filter((name) => name.startsWith('AWS_')).map((name) => [name, '']));
  const awsDir = join(paths.root, 'aws');
  return {
    ...blanked,
    KUBECONFIG: paths.kubeconfig,
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: motoRegion,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    // No instance metadata service here: the SDK must not wait on 169.254.169.254 for a region or credentials.
    AWS_EC2_METADATA_DISABLED: 'true',
    // Files that are never written: a developer's ~/.aws profiles (endpoints, credential processes) stay unread.
    AWS_CONFIG_FILE: join(awsDir, 'config-none'),
    AWS_SHARED_CREDENTIALS_FILE: join(awsDir, 'credentials-none'),
  };
}

/**
 * CAPA's manager on its own loopback ports. Its feature gates stay CAPA's defaults (EKS and MachinePool on):
 * the Cluster API managers' gate list names ClusterTopology, which CAPA does not know and refuses.
 */
export function capaManagerSpec(
  binary: string,
  paths: SandboxPaths,
  ports: SandboxPorts,
  webhookCertDir: string,
  endpoint: string,
  inherited: NodeJS.ProcessEnv = process.env,
): ProcessSpec {
  const p = ports.managers[capaManager.name]!;
  return {
    name: capaManager.name,
    binary,
    args: [
      '--leader-elect=false',
      `--webhook-port=${p.webhook}`,
      `--webhook-cert-dir=${webhookCertDir}`,
      `--health-addr=127.0.0.1:${p.health}`,
      `--diagnostics-address=127.0.0.1:${p.diagnostics}`,
      '--insecure-diagnostics',
    ],
    env: capaEnvironment(endpoint, paths, inherited),
  };
}

/**
 * moto's server on loopback, started through the venv's `python` (so the venv is found) and recorded by the
 * interpreter it links to (`exe`, what /proc shows). MOTO_PORT: moto calls itself back on it.
 */
export function motoServerSpec(python: string, exe: string, port: number, inherited: NodeJS.ProcessEnv = process.env): ProcessSpec {
  return {
    name: 'moto',
    binary: python,
    exe,
    args: ['-c', motoServerProgram(), '-H', '127.0.0.1', '-p', String(port)],
    // Note: nothing inherited may change what moto does (MOTO_DOCKER_NETWORK_MODE, MOTO_AMIS_PATH, …) or
    // where it connects; it answers any local caller, so it also sends no cross-origin grant (a page in a
    // browser could read the emulated account's secrets: CAPA's bootstrap data) and runs no Docker.
    unset: Object.keys(inherited).filter((name) => /^(AWS_|MOTO_|DOCKER_)/.test(name) || proxyVariable(name)),
    env: { MOTO_PORT: String(port), MOTO_DISABLE_GLOBAL_CORS: '1', DOCKER_HOST: 'unix:///nonexistent' },
  };
}

/**
 * The seed script's whole environment (boto3): the inherited one without any AWS or proxy setting, then
 * CAPA's dummy credentials, endpoint and unread config files, and no proxy between it and moto.
 */
export function seedEnvironment(endpoint: string, paths: SandboxPaths, inherited: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const own = Object.entries(capaEnvironment(endpoint, paths, {})).filter(([name]) => name.startsWith('AWS_'));
  const kept = Object.entries(inherited).filter(([name]) => !name.startsWith('AWS_') && !proxyVariable(name));
  return { ...Object.fromEntries(kept), ...Object.fromEntries(own), NO_PROXY: '*', no_proxy: '*' };
}

const proxyVariable = (name: string) => /^(https?|all|no)_proxy$/i.test(name);

/**
 * deploy/clusterclasses/aws-ec2 for the emulated account, each change a configuration CAPA itself offers:
 * - images are looked up among the emulated account's (aws-seed.py registers CAPA-named ones there);
 * - a classic ELB for the API server: moto answers DescribeTargetGroups of a new NLB (no target groups yet)
 *   with 400 TargetGroupNotFound where AWS answers an empty list, and CAPA can then neither finish nor
 *   delete the cluster;
 * - no DNS check of the load balancer's name (CAPA's option for private DNS): moto's names resolve nowhere;
 * - calico's VXLAN port instead of its IP-in-IP rule: moto answers 500 to an ingress rule of protocol 4.
 */
export function emulatedAwsEc2Class(manifests: readonly Manifest[]): Manifest[] {
  return manifests.map((m) => {
    if (m.kind === 'AWSMachineTemplate') {
      const copy = structuredClone(m);
      copy.spec.template.spec.imageLookupOrg = motoAccountId;
      return copy;
    }
    if (m.kind === 'AWSClusterTemplate') {
      const copy = structuredClone(m);
      const spec = copy.spec.template.spec;
      spec.controlPlaneLoadBalancer = { ...spec.controlPlaneLoadBalancer, loadBalancerType: 'classic', dnsResolutionCheck: 'None' };
      spec.network = {
        ...spec.network,
        cni: {
          cniIngressRules: [
            { description: 'bgp (calico)', protocol: 'tcp', fromPort: 179, toPort: 179 },
            { description: 'VXLAN (calico)', protocol: 'udp', fromPort: 4789, toPort: 4789 },
          ],
        },
      };
      return copy;
    }
    return m;
  });
}
