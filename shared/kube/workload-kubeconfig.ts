/**
 * Reads a workload cluster's kubeconfig Secrets, which are untrusted input (shared/kube/kubeconfig.ts):
 * the Secret must have Cluster API's type and carry the cluster's name label, its kubeconfig must pass
 * the allow-list, and its server must be the Cluster's own control-plane endpoint. The text is a
 * credential: it never appears in an error message.
 */
import { CapiMcpError, ErrorCode, isNotFound, wrapError } from '../errors.ts';
import type { KubeClient, KubeObject, KubeSecret } from './client.ts';
import { assertServerIsEndpoint, kubeconfigText, parseKubeconfig, type ParsedKubeconfig } from './kubeconfig.ts';

/** The Secret type Cluster API and its providers give every cluster Secret (clusterv1.ClusterSecretType). */
export const clusterSecretType = 'cluster.x-k8s.io/secret';
const clusterNameLabel = 'cluster.x-k8s.io/cluster-name';

/** Which credential a kubeconfig handed to a user carries. */
export type KubeconfigCredential = 'aws-iam-token' | 'admin-certificate' | 'bearer-token';

/**
 * What the server may use to reach a workload cluster's API server: the parsed parts of CAPI's
 * `<cluster>-kubeconfig` (key `value`), checked against the Cluster. Never an exec plugin.
 */
export async function readWorkloadAccess(kube: KubeClient, cluster: KubeObject): Promise<ParsedKubeconfig> {
  const { namespace = '', name } = cluster.metadata;
  const secretName = `${name}-kubeconfig`;
  const secret = await readClusterSecret(kube, cluster, secretName, () => {
    throw new CapiMcpError(ErrorCode.NotFound, `cluster ${namespace}/${name} has no kubeconfig yet (Secret ${secretName} does not exist)`, {
      hint: 'its control plane is not initialized yet',
      next: 'follow-provisioning',
    });
  });
  const source = `the kubeconfig in Secret ${namespace}/${secretName}`;
  const parsed = parseKubeconfig(kubeconfigValue(secret, namespace, secretName), { source });
  assertServerIsEndpoint(parsed, cluster.spec?.controlPlaneEndpoint, source);
  return parsed;
}

/** Which Secret of a cluster holds the kubeconfig a person gets, and the credential its provider puts there. */
export interface UserKubeconfigSecret {
  readonly secretName: string;
  readonly credential: KubeconfigCredential;
}

/**
 * The kubeconfig to hand to a person, from the Secret the cluster's provider names (`from`, looked up
 * in shared/providers by the caller, a layer above this one): for EKS, CAPA's `<cluster>-user-kubeconfig`,
 * whose exec plugin mints short-lived IAM tokens from the user's own AWS identity; otherwise CAPI's admin
 * kubeconfig. It is rebuilt from the checked parts, so what a person runs is exactly the provider's
 * documented shape, and the label says what it carries. A missing provider Secret is an error, never a
 * fallback to another credential.
 */
export async function readUserKubeconfig(kube: KubeClient, cluster: KubeObject, from: UserKubeconfigSecret): Promise<{ kubeconfig: string; credential: KubeconfigCredential }> {
  const { namespace = '', name } = cluster.metadata;
  const { secretName, credential } = from;
  const secret = await readClusterSecret(kube, cluster, secretName, () => {
    throw new CapiMcpError(ErrorCode.NotFound, `cluster ${namespace}/${name} has no user kubeconfig yet (Secret ${secretName} does not exist)`, {
      hint: 'its provider writes it once the control plane is ready',
      next: 'follow-provisioning',
    });
  });
  const source = `the kubeconfig in Secret ${namespace}/${secretName}`;
  const tokenExec = credential === 'aws-iam-token';
  const parsed = parseKubeconfig(kubeconfigValue(secret, namespace, secretName), { source, allowExec: tokenExec });
  if (tokenExec && parsed.credential.kind !== 'exec') {
    throw new CapiMcpError(ErrorCode.Upstream, `${source} is refused: its provider mints tokens with an exec plugin, and it has none`, {
      hint: 'the Secret was not written by the provider; check who wrote it',
    });
  }
  assertServerIsEndpoint(parsed, cluster.spec?.controlPlaneEndpoint, source);
  if (parsed.credential.kind === 'exec') await assertExecNamesThisCluster(kube, cluster, parsed.credential.exec.clusterName, source);
  const kind = parsed.credential.kind;
  return {
    kubeconfig: kubeconfigText(parsed, `${namespace}-${name}`),
    credential: kind === 'exec' ? 'aws-iam-token' : kind === 'client-certificate' ? 'admin-certificate' : 'bearer-token',
  };
}

/**
 * The token a person's exec plugin mints is valid for the EKS cluster it names, signed with the person's
 * own AWS identity: it must be this Cluster's EKS cluster (its control plane's spec.eksClusterName, which
 * CAPA's webhook always sets), or a planted name would have the person mint a token for another cluster
 * and send it to this Cluster's endpoint.
 */
async function assertExecNamesThisCluster(kube: KubeClient, cluster: KubeObject, execName: string, source: string): Promise<void> {
  const { namespace = '', name } = cluster.metadata;
  const ref = cluster.spec?.controlPlaneRef as { apiGroup?: string; kind?: string; name?: string } | undefined;
  let eksName: unknown;
  if (ref?.apiGroup && ref.kind && ref.name) {
    try {
      eksName = (await kube.get(await kube.resolve(ref.apiGroup, ref.kind), namespace, ref.name)).spec?.eksClusterName;
    } catch (error) {
      if (!isNotFound(error)) throw wrapError(`failed to read the control plane of cluster ${namespace}/${name}`, error);
    }
  }
  if (typeof eksName !== 'string' || eksName === '') {
    throw new CapiMcpError(ErrorCode.NotFound, `cluster ${namespace}/${name} has no control plane naming its EKS cluster yet (spec.eksClusterName), so its user kubeconfig cannot be checked`, {
      next: 'follow-provisioning',
    });
  }
  if (eksName !== execName) {
    throw new CapiMcpError(ErrorCode.Upstream, `${source} is refused: its exec plugin mints tokens for another EKS cluster than this Cluster's`, {
      hint: 'the Secret was not written by the provider; check who wrote it',
    });
  }
}

/** A Secret of the cluster's, refused unless Cluster API's type and the cluster's name label say so. */
async function readClusterSecret(kube: KubeClient, cluster: KubeObject, secretName: string, missing: () => never): Promise<KubeSecret> {
  const { namespace = '', name } = cluster.metadata;
  let secret: KubeSecret;
  try {
    secret = await kube.readSecret(namespace, secretName);
  } catch (error) {
    if (isNotFound(error)) missing();
    throw wrapError(`failed to read the kubeconfig of cluster ${namespace}/${name}`, error);
  }
  if (secret.type !== clusterSecretType || secret.labels[clusterNameLabel] !== name) {
    throw new CapiMcpError(ErrorCode.Upstream, `Secret ${namespace}/${secretName} is refused: it is not a Cluster API Secret of cluster ${name} (type ${clusterSecretType}, label ${clusterNameLabel}=${name})`, {
      hint: 'the Secret was not written by Cluster API or its provider; check who wrote it',
    });
  }
  return secret;
}

function kubeconfigValue(secret: KubeSecret, namespace: string, secretName: string): string {
  const value = secret.data.value;
  if (!value) {
    throw new CapiMcpError(ErrorCode.NotFound, `Secret ${namespace}/${secretName} has no "value" key`, { next: 'check-control-plane' });
  }
  return value;
}
