/**
 * Why a Cluster must not be deleted through capi-mcp, if it must not: an explicit prevent-deletion
 * label, or ownership by a GitOps controller (which would re-create it, or fight the deletion). Pure.
 */
import type { KubeObject } from '../kube/client.ts';

export const preventDeletionLabel = 'capi-mcp.io/prevent-deletion';

/** Labels and annotations by which Flux and Argo CD mark the objects they manage. */
const gitOpsMarkers: readonly { readonly where: 'labels' | 'annotations'; readonly key: string; readonly owner: string }[] = [
  { where: 'labels', key: 'kustomize.toolkit.fluxcd.io/name', owner: 'Flux (Kustomization)' },
  { where: 'labels', key: 'helm.toolkit.fluxcd.io/name', owner: 'Flux (HelmRelease)' },
  { where: 'annotations', key: 'argocd.argoproj.io/tracking-id', owner: 'Argo CD' },
  { where: 'labels', key: 'argocd.argoproj.io/instance', owner: 'Argo CD' },
];

export function deletionRefusal(cluster: KubeObject): string | undefined {
  const labels = cluster.metadata.labels ?? {};
  if (labels[preventDeletionLabel] === 'true') {
    return `it carries the label ${preventDeletionLabel}=true; remove the label first if the deletion is intended`;
  }
  for (const marker of gitOpsMarkers) {
    const value = (cluster.metadata[marker.where] ?? {})[marker.key];
    if (value !== undefined) {
      return `it is managed by ${marker.owner} (${marker.where.slice(0, -1)} ${marker.key}=${value}); delete it from its Git source instead`;
    }
  }
  return undefined;
}
