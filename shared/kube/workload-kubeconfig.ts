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
