/**
 * What an infrastructure provider knows that the generic tools must not hard-code: which kinds identify
 * its clusters, the ClusterClasses this repository ships for it, whether the topology's control-plane
 * replica count means anything to its control plane, and which kubeconfig it hands to a person.
 *
 * A provider is data. Identification reads only the contract references CAPI sets — a Cluster's
 * spec.infrastructureRef / spec.controlPlaneRef ({apiGroup, kind}), a ClusterClass's templateRefs
 * ({apiVersion, kind: `<Kind>Template`}) — so a new provider plugs in by adding one file to the registry.
 */
import type { KubeconfigCredential } from '../kube/workload-kubeconfig.ts';

/** An API group and kind, without a version: what a contract reference pins down across API versions. */
export interface GroupKind {
  readonly group: string;
  readonly kind: string;
}

/** A ClusterClass that comes with this repository, and where its manifests are. */
export interface ShippedClusterClass {
  readonly name: string;
  /**
   * Repository path of a kustomization to `kubectl apply -k <path> -n <namespace>`; absent for a class
   * another component installs (the sandbox's in-memory class comes from the CAPI test module).
   */
  readonly kustomization?: string;
}

/** Which Secret of a cluster holds the kubeconfig a person gets, and what credential it carries. */
export interface UserKubeconfig {
  /** Appended to the Cluster's name: CAPI's admin kubeconfig is `<cluster>-kubeconfig`. */
  readonly secretSuffix: string;
  readonly credential: Exclude<KubeconfigCredential, 'bearer-token'>;
}

export interface Provider {
  /** Registry key, kebab-case. */
  readonly name: string;
  readonly title: string;
  /** Infrastructure cluster kinds of its clusters (spec.infrastructureRef). */
  readonly infrastructureKinds: readonly GroupKind[];
  /**
   * When set, its clusters' control plane is one of these (spec.controlPlaneRef), and a cluster with one
   * of them is this provider's even before its infrastructure reference is known. When unset, any
   * control plane goes (kubeadm, usually).
   */
  readonly controlPlaneKinds?: readonly GroupKind[];
  readonly clusterClasses: readonly ShippedClusterClass[];
  /**
   * Whether its control plane runs on Machines counted by `spec.topology.controlPlane.replicas`. False
   * for a control plane the cloud runs (EKS): CAPI copies a replica count into the control plane object
   * whenever the topology has one, and AWSManagedControlPlane has no such field, so the topology must
   * leave it out.
   */
  readonly controlPlaneReplicas: boolean;
  readonly userKubeconfig: UserKubeconfig;
  /**
   * The ClusterClass variables a caller may set through capi-mcp; any other is refused by name. A class
   * may define more (an image, an SSH key: who gets root on the machines is the operator's choice, made
   * in the class or on a Cluster applied directly). Unset: every variable the class defines, as for a
   * provider capi-mcp does not know.
   */
  readonly callerVariables?: readonly string[];
}

/** CAPI's admin kubeconfig (a long-lived client certificate): what a provider hands out unless it says otherwise. */
export const adminKubeconfig: UserKubeconfig = { secretSuffix: '-kubeconfig', credential: 'admin-certificate' };

export const infrastructureGroup = 'infrastructure.cluster.x-k8s.io';
export const controlPlaneGroup = 'controlplane.cluster.x-k8s.io';
