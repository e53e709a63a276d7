/**
 * Reads a workload cluster's admin kubeconfig from the `<cluster>-kubeconfig` Secret (key `value`) that
 * CAPI writes once the control plane is initialized. The text is a credential: it never appears in an
 * error message.
 */
import { CapiMcpError, ErrorCode, isNotFound, wrapError } from '../errors.ts';
import type { KubeClient } from './client.ts';

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
 * The kubeconfig to hand to a person: for an EKS cluster (CAPA's AWSManagedControlPlane writes
 * `<cluster>-user-kubeconfig`) the one whose exec plugin mints short-lived IAM tokens from the user's own
 * AWS identity; otherwise CAPI's admin kubeconfig, a long-lived client certificate. Says which it is.
 *
 * Note: get_cluster_nodes keeps the admin kubeconfig — the server cannot run a user's exec plugin.
 */
export async function readUserKubeconfig(kube: KubeClient, namespace: string, cluster: string): Promise<{ kubeconfig: string; credential: KubeconfigCredential }> {
  try {
    const value = (await kube.readSecret(namespace, `${cluster}-user-kubeconfig`)).value;
    if (value) return { kubeconfig: value, credential: 'aws-iam-token' };
  } catch (error) {
    if (!isNotFound(error)) throw wrapError(`failed to read the user kubeconfig of cluster ${namespace}/${cluster}`, error);
  }
  return { kubeconfig: await readWorkloadKubeconfig(kube, namespace, cluster), credential: 'admin-certificate' };
}
