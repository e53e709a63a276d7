/**
 * The sandbox's build recipe: which binaries are built from which pinned Go module, with which flags and
 * source patches. Versions live only in the wrapper modules' go.mod files under sandbox/go/; this file
 * and those modules together make the pin hash, so changing either rebuilds into a fresh cache folder.
 */

/** A text substitution applied to one upstream source file, in a patched copy of its module (see build.ts). */
export interface SourcePatch {
  /** Module path whose source is patched, e.g. sigs.k8s.io/cluster-api/test. */
  readonly module: string;
  /** File inside that module. */
  readonly file: string;
  /** Each `from` must occur exactly `count` times, so an upstream change fails the build loudly. */
  readonly replacements: readonly { from: string; to: string; count: number }[];
  /** Files from sandbox/go/<wrapper>/_overlay/ (underscore: hidden from `go ... ./...`) added to the patched file's package. */
  readonly addedFiles: readonly string[];
}

export interface BinarySpec {
  /** File name under the cache's bin/ folder. */
  readonly name: string;
  /** Folder under sandbox/go/ holding the wrapper go.mod. */
  readonly wrapper: string;
  /** Package to build ("." for the wrapper's own main). */
  readonly pkg: string;
  /** Module whose version stamps the binary (read from the wrapper's go.mod). */
  readonly versionModule?: string;
  /** -X flags; `{version}`, `{major}` and `{minor}` are filled from versionModule's version. */
  readonly versionFlags?: readonly string[];
  readonly patches?: readonly SourcePatch[];
}

const kubeVersionFlags = [
  'k8s.io/component-base/version.gitVersion={version}',
  'k8s.io/component-base/version.gitMajor={major}',
  'k8s.io/component-base/version.gitMinor={minor}',
  'k8s.io/component-base/version.gitTreeState=clean',
  'k8s.io/client-go/pkg/version.gitVersion={version}',
  'k8s.io/client-go/pkg/version.gitMajor={major}',
  'k8s.io/client-go/pkg/version.gitMinor={minor}',
];

const capiVersionFlags = [
  'sigs.k8s.io/cluster-api/version.gitVersion={version}',
  'sigs.k8s.io/cluster-api/version.gitMajor={major}',
  'sigs.k8s.io/cluster-api/version.gitMinor={minor}',
  'sigs.k8s.io/cluster-api/version.gitTreeState=clean',
];

/** Makes the in-memory backend's ports configurable and loopback-only; see _overlay/zz_capi_mcp_ports.go. */
const inMemoryPortsPatch: SourcePatch = {
  module: 'sigs.k8s.io/cluster-api/test',
  file: 'infrastructure/inmemory/pkg/server/mux.go',
  replacements: [
    {
      from: 'options := WorkloadClustersMuxOptions{\n\t\tMinPort:   DefaultMinPort,\n\t\tMaxPort:   DefaultMaxPort,\n\t\tDebugPort: DefaultDebugPort,\n\t}',
      to: 'options := capiMCPPortsFromEnv()',
      count: 1,
    },
    { from: 'net.Listen("tcp", fmt.Sprintf(":%d", ', to: 'net.Listen("tcp", fmt.Sprintf(capiMCPListenHost+":%d", ', count: 3 },
  ],
  addedFiles: ['zz_capi_mcp_ports.go'],
};

/** Built in this order: the API server first, so a partial cache is still useful for debugging. */
export const binaries: readonly BinarySpec[] = [
  { name: 'etcd', wrapper: 'etcd', pkg: '.' },
  {
    name: 'kube-apiserver',
    wrapper: 'kubernetes',
    pkg: 'k8s.io/kubernetes/cmd/kube-apiserver',
    versionModule: 'k8s.io/kubernetes',
    versionFlags: kubeVersionFlags,
  },
  {
    name: 'kube-controller-manager',
    wrapper: 'kubernetes',
    pkg: 'k8s.io/kubernetes/cmd/kube-controller-manager',
    versionModule: 'k8s.io/kubernetes',
    versionFlags: kubeVersionFlags,
  },
  {
    name: 'capi-manager',
    wrapper: 'capi',
    pkg: 'sigs.k8s.io/cluster-api',
    versionModule: 'sigs.k8s.io/cluster-api',
    versionFlags: capiVersionFlags,
  },
  {
    name: 'kubeadm-control-plane-manager',
    wrapper: 'capi',
    pkg: 'sigs.k8s.io/cluster-api/controlplane/kubeadm',
    versionModule: 'sigs.k8s.io/cluster-api',
    versionFlags: capiVersionFlags,
  },
  {
    name: 'kubeadm-bootstrap-manager',
    wrapper: 'capi',
    pkg: 'sigs.k8s.io/cluster-api/bootstrap/kubeadm',
    versionModule: 'sigs.k8s.io/cluster-api',
    versionFlags: capiVersionFlags,
  },
  {
    name: 'capd-manager',
    wrapper: 'capi',
    pkg: 'sigs.k8s.io/cluster-api/test/infrastructure/docker',
    versionModule: 'sigs.k8s.io/cluster-api',
    versionFlags: capiVersionFlags,
    patches: [inMemoryPortsPatch],
  },
];

/** Where each provider's CRDs, webhooks and manager come from. */
export interface ProviderSpec {
  readonly name: string;
  readonly wrapper: string;
  readonly module: string;
  /** kustomize folder inside the module that renders the CRDs. */
  readonly crdDir: string;
  /** Admission webhook manifests inside the module, when the provider runs a manager here. */
  readonly webhookManifest?: string;
  /** The manager binary serving this provider's webhooks; CRDs-only providers have none. */
  readonly manager?: string;
  /** Extra environment for the manager. */
  readonly env?: Readonly<Record<string, string>>;
}

export const providers: readonly ProviderSpec[] = [
  {
    name: 'cluster-api',
    wrapper: 'capi',
    module: 'sigs.k8s.io/cluster-api',
    crdDir: 'config/crd',
    webhookManifest: 'config/webhook/manifests.yaml',
    manager: 'capi-manager',
  },
  {
    name: 'kubeadm-control-plane',
    wrapper: 'capi',
    module: 'sigs.k8s.io/cluster-api',
    crdDir: 'controlplane/kubeadm/config/crd',
    webhookManifest: 'controlplane/kubeadm/config/webhook/manifests.yaml',
    manager: 'kubeadm-control-plane-manager',
  },
  {
    name: 'kubeadm-bootstrap',
    wrapper: 'capi',
    module: 'sigs.k8s.io/cluster-api',
    crdDir: 'bootstrap/kubeadm/config/crd',
    webhookManifest: 'bootstrap/kubeadm/config/webhook/manifests.yaml',
    manager: 'kubeadm-bootstrap-manager',
  },
  {
    name: 'in-memory',
    wrapper: 'capi',
    module: 'sigs.k8s.io/cluster-api/test',
    crdDir: 'infrastructure/docker/config/crd',
    webhookManifest: 'infrastructure/docker/config/webhook/manifests.yaml',
    manager: 'capd-manager',
    // Note: CAPD advertises workload API servers on POD_IP; loopback keeps them local.
    env: { POD_IP: '127.0.0.1' },
  },
  {
    // Note: CRDs only — CAPA's controllers need real AWS. Its conversion webhook stanza is dropped because
    // no CAPA webhook server runs here.
    name: 'aws',
    wrapper: 'crds',
    module: 'sigs.k8s.io/cluster-api-provider-aws/v2',
    crdDir: 'config/crd',
  },
];

/** The in-memory ClusterClass and its templates, from the CAPI test module. */
export const inMemoryClusterClass = {
  wrapper: 'capi',
  module: 'sigs.k8s.io/cluster-api/test',
  file: 'infrastructure/docker/templates/clusterclass-in-memory.yaml',
  /** Kubernetes version to use in topologies of this class (the in-memory backend accepts any). */
  kubernetesVersion: 'v1.35.0',
} as const;

/** A topology Cluster of the in-memory class: `controlPlane` machines and one worker pool `md-0`. */
export function inMemoryTopologyCluster(namespace: string, name: string, workers: number, controlPlane = 1) {
  return {
    apiVersion: 'cluster.x-k8s.io/v1beta2',
    kind: 'Cluster',
    metadata: { name, namespace },
    spec: {
      topology: {
        classRef: { name: 'in-memory' },
        version: inMemoryClusterClass.kubernetesVersion,
        controlPlane: { replicas: controlPlane },
        workers: { machineDeployments: [{ class: 'default-worker', name: 'md-0', replicas: workers }] },
      },
    },
  };
}

/** Feature gates every CAPI manager runs with; ClusterTopology is still off by default in 1.13. */
export const featureGates = 'ClusterTopology=true,MachinePool=true';
