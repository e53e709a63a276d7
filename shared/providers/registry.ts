/**
 * The known providers and the pure lookups the tools use: which provider a Cluster or a ClusterClass
 * belongs to (from its contract references alone), and what follows from that. An unknown provider is
 * `undefined`, and every lookup then answers what CAPI itself assumes (replicas apply, admin kubeconfig).
 */
import type { KubeObject } from '../kube/client.ts';
import { awsEc2, awsEks } from './aws.ts';
import { inMemory } from './in-memory.ts';
import { adminKubeconfig, type GroupKind, type Provider, type UserKubeconfig } from './provider.ts';

export const providers: readonly Provider[] = [awsEc2, awsEks, inMemory];

export function providerNamed(name: string): Provider | undefined {
  return providers.find((p) => p.name === name);
}

/** The provider whose kinds these are; `undefined` when no provider's kinds match. */
export function providerOfKinds(refs: { readonly infrastructure?: GroupKind; readonly controlPlane?: GroupKind }): Provider | undefined {
  return providers.find((p) => identifies(p, refs));
}

/**
 * The provider of a Cluster, from spec.infrastructureRef and spec.controlPlaneRef. Note: a topology
 * Cluster gets both only once the topology controller has created its objects (seconds after it is
 * created); until then use providerOfClusterClass on its class.
 */
export function providerOfCluster(cluster: KubeObject): Provider | undefined {
  return providerOfKinds({ infrastructure: fromContractRef(cluster.spec?.infrastructureRef), controlPlane: fromContractRef(cluster.spec?.controlPlaneRef) });
}

/** The provider of a ClusterClass, from its infrastructure and control-plane templateRefs. */
export function providerOfClusterClass(clusterClass: KubeObject): Provider | undefined {
  return providerOfKinds({
    infrastructure: fromTemplateRef(clusterClass.spec?.infrastructure?.templateRef),
    controlPlane: fromTemplateRef(clusterClass.spec?.controlPlane?.templateRef),
  });
}

/** Whether a topology of this ClusterClass should carry controlPlane.replicas (unknown providers: yes, as CAPI assumes). */
export function takesControlPlaneReplicas(clusterClass: KubeObject): boolean {
  return providerOfClusterClass(clusterClass)?.controlPlaneReplicas ?? true;
}

/**
 * The variables of this ClusterClass a caller may set, with the provider that says so; undefined when
 * no provider restricts them (every variable the class defines is the caller's).
 */
export function callerVariablesOf(clusterClass: KubeObject): { readonly provider: string; readonly names: readonly string[] } | undefined {
  const provider = providerOfClusterClass(clusterClass);
  return provider?.callerVariables ? { provider: provider.name, names: provider.callerVariables } : undefined;
}

/** The Secret and credential of the kubeconfig to hand a person for this Cluster. */
export function userKubeconfigOf(cluster: KubeObject): { readonly secretName: string; readonly credential: UserKubeconfig['credential'] } {
  const { secretSuffix, credential } = providerOfCluster(cluster)?.userKubeconfig ?? adminKubeconfig;
  return { secretName: `${cluster.metadata.name}${secretSuffix}`, credential };
}

/**
 * A provider identifies kinds when every reference it constrains matches, and at least one reference
 * matched: a Cluster with no references yet belongs to no provider.
 */
function identifies(provider: Provider, refs: { readonly infrastructure?: GroupKind; readonly controlPlane?: GroupKind }): boolean {
  const infrastructure = refs.infrastructure && includes(provider.infrastructureKinds, refs.infrastructure);
  const controlPlane = provider.controlPlaneKinds && refs.controlPlane && includes(provider.controlPlaneKinds, refs.controlPlane);
  if (refs.infrastructure && !infrastructure) return false;
  if (provider.controlPlaneKinds && !controlPlane) return false;
  return Boolean(infrastructure || controlPlane);
}

const includes = (kinds: readonly GroupKind[], ref: GroupKind) => kinds.some((k) => k.group === ref.group && k.kind === ref.kind);

/** A v1beta2 contract reference ({apiGroup, kind, name}), as the Cluster API serves every Cluster here. */
function fromContractRef(ref: { apiGroup?: string; kind?: string } | undefined): GroupKind | undefined {
  return ref?.apiGroup && ref.kind ? { group: ref.apiGroup, kind: ref.kind } : undefined;
}

/** A ClusterClass templateRef ({apiVersion, kind: `<Kind>Template`}) as the kind of the objects it stamps out. */
function fromTemplateRef(ref: { apiVersion?: string; kind?: string } | undefined): GroupKind | undefined {
  if (!ref?.apiVersion || !ref.kind?.endsWith('Template')) return undefined;
  return { group: ref.apiVersion.split('/')[0]!, kind: ref.kind.slice(0, -'Template'.length) };
}
