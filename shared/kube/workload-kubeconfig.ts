/**
 * Reads a workload cluster's admin kubeconfig from the `<cluster>-kubeconfig` Secret (key `value`) that
 * CAPI writes once the control plane is initialized. The text is a credential: it never appears in an
 * error message.
 */
import { CapiMcpError, ErrorCode, isNotFound, wrapError } from '../errors.ts';
import type { KubeClient, KubeObject } from './client.ts';
import { userKubeconfigOf } from '../providers/registry.ts';

export async function readWorkloadKubeconfig(kube: KubeClient, namespace: string, cluster: string): Promise<string> {
  const secretName = `${cluster}-kubeconfig`;
  let data: Record<string, string>;
  try {
    data = await kube.readSecret(namespace, secretName);
  } catch (error) {
    if (isNotFound(error)) {
      throw new CapiMcpError(ErrorCode.NotFound, `cluster ${namespace}/${cluster} has no kubeconfig yet (Secret ${secretName} does not exist)`, {
        hint: 'its control plane is not initialized yet; call get_cluster to follow provisioning',
      });
    }
    throw wrapError(`failed to read the kubeconfig of cluster ${namespace}/${cluster}`, error);
  }
  const value = data.value;
  if (!value) {
    throw new CapiMcpError(ErrorCode.NotFound, `Secret ${namespace}/${secretName} has no "value" key`, {
      hint: 'call get_cluster to check the control plane',
    });
  }
  return value;
}

/** Which credential a kubeconfig handed to a user carries. */
export type KubeconfigCredential = 'aws-iam-token' | 'admin-certificate';

/**
 * The kubeconfig to hand to a person, from the Secret the cluster's provider names (shared/providers):
 * for EKS, CAPA's `<cluster>-user-kubeconfig`, whose exec plugin mints short-lived IAM tokens from the
 * user's own AWS identity; otherwise CAPI's admin kubeconfig, a long-lived client certificate. Says which.
 * Should the provider's Secret be missing, CAPI's `<cluster>-kubeconfig` is returned with the provider's
 * credential kind (for EKS that Secret, too, holds a token CAPA refreshes, not a certificate).
 *
 * Note: get_cluster_nodes keeps the admin kubeconfig — the server cannot run a user's exec plugin.
 */
export async function readUserKubeconfig(kube: KubeClient, cluster: KubeObject): Promise<{ kubeconfig: string; credential: KubeconfigCredential }> {
  const { namespace = '', name } = cluster.metadata;
  const { secretName, credential } = userKubeconfigOf(cluster);
  if (secretName !== `${name}-kubeconfig`) {
    try {
      const value = (await kube.readSecret(namespace, secretName)).value;
      if (value) return { kubeconfig: value, credential };
    } catch (error) {
      if (!isNotFound(error)) throw wrapError(`failed to read the user kubeconfig of cluster ${namespace}/${name}`, error);
    }
  }
  return { kubeconfig: await readWorkloadKubeconfig(kube, namespace, name), credential };
}
