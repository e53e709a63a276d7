/**
 * Which destructive changes capi-mcp must not make to a Cluster, and why. Pure: the change and the
 * objects it touches in, a refusal (reason and next step) or nothing out.
 *
 * Two owners can say no:
 * - GitOps (Flux, Argo CD), by the markers they put on what they manage: every destructive change —
 *   delete, upgrade, fewer replicas anywhere — belongs in the Git source, or the controller undoes it
 *   (or fights it, or re-creates what was deleted).
 * - A person, by the label `capi-mcp.io/prevent-deletion=true`: the cluster must not go away, and neither
 *   must a whole pool of it. It refuses a delete and a pool (or the control plane) scaled to 0.
 *   Note: it does not refuse a scale-down that leaves machines, nor an upgrade: those keep the cluster
 *   serving and are the routine changes its owner still wants an agent to make; a freeze is what a
 *   GitOps owner (or RBAC) is for. What the label names — deletion — is refused in every form: the
 *   cluster at once, or its machines pool by pool.
 */
import type { KubeObject } from '../kube/client.ts';

export const preventDeletionLabel = 'capi-mcp.io/prevent-deletion';

/** A replica count a change sets: on a worker pool or on the control plane. */
export interface ReplicaChange {
  /** What it counts, for people: `worker pool "md-0"`, `the control plane`. */
  readonly target: string;
  readonly from: number;
  readonly to: number;
}

/** What a tool is about to do to a cluster, as far as the guard needs to know. */
export type ClusterChange =
  | { readonly action: 'delete' }
  | { readonly action: 'upgrade'; readonly from: string; readonly to: string }
  | { readonly action: 'scale'; readonly replicas: readonly ReplicaChange[] }
  | { readonly action: 'rollout'; readonly target: string }
  | { readonly action: 'pause' | 'resume' | 'remediate' };

export interface Refusal {
  readonly reason: string;
  /** The next step, for the agent to relay. */
  readonly hint: string;
}

/** Labels and annotations by which Flux and Argo CD mark the objects they manage. */
const gitOpsMarkers: readonly { readonly where: 'labels' | 'annotations'; readonly key: string; readonly owner: string }[] = [
  { where: 'labels', key: 'kustomize.toolkit.fluxcd.io/name', owner: 'Flux (Kustomization)' },
  { where: 'labels', key: 'helm.toolkit.fluxcd.io/name', owner: 'Flux (HelmRelease)' },
  { where: 'annotations', key: 'argocd.argoproj.io/tracking-id', owner: 'Argo CD' },
  { where: 'labels', key: 'argocd.argoproj.io/instance', owner: 'Argo CD' },
  { where: 'labels', key: 'kustomize.toolkit.fluxcd.io/namespace', owner: 'Flux (Kustomization)' },
  { where: 'labels', key: 'helm.toolkit.fluxcd.io/namespace', owner: 'Flux (HelmRelease)' },
  // Note: Argo CD's default tracking label before 3.0; Helm sets it on what a release installs, and a
  // release's objects belong in its chart just the same.
  { where: 'labels', key: 'app.kubernetes.io/instance', owner: 'Argo CD or Helm' },
];

/**
 * Why `change` must not be made, or undefined when it may. `objects` are the Cluster and every object
 * the change writes (a cluster without a ClusterClass is scaled through its MachineDeployments and
 * control plane, which GitOps may manage on their own): a marker on any of them counts.
 */
export function changeRefusal(change: ClusterChange, objects: readonly KubeObject[]): Refusal | undefined {
  const destructive = destructivePart(change);
  if (!destructive) return undefined;
  for (const o of objects) {
    for (const marker of gitOpsMarkers) {
      const value = (o.metadata[marker.where] ?? {})[marker.key];
      if (value === undefined) continue;
      const mark = `${marker.where.slice(0, -1)} ${marker.key}=${bounded(value)}${o === objects[0] ? '' : ` on ${o.kind} ${o.metadata.name}`}`;
      return change.action === 'delete'
        ? { reason: `it is managed by ${marker.owner} (${mark}); delete it from its Git source instead`, hint: `remove the cluster from the Git source ${marker.owner} applies` }
        : {
            reason: `it is managed by ${marker.owner} (${mark}), and ${destructive} is a destructive change: make it in its Git source instead`,
            hint: `change the cluster in the Git source ${marker.owner} applies; capi-mcp makes no destructive change to a GitOps-managed cluster`,
          };
    }
  }
  // Note: as a label or an annotation, "true" in any case: a person marking a cluster means it either way.
  const marked = (o: KubeObject) => [o.metadata.labels?.[preventDeletionLabel], o.metadata.annotations?.[preventDeletionLabel]].some((v) => v?.toLowerCase() === 'true');
  const protectedBy = objects.find(marked);
  if (!protectedBy) return undefined;
  const carrier = protectedBy === objects[0] ? 'it carries' : `its ${protectedBy.kind} ${protectedBy.metadata.name} carries`;
  const removal = `remove the label ${preventDeletionLabel} from ${protectedBy.kind ?? 'the object'} ${protectedBy.metadata.name} first, if the user intends it`;
  if (change.action === 'delete') {
    return { reason: `it carries the label ${preventDeletionLabel}=true; remove the label first if the deletion is intended`, hint: removal };
  }
  const emptied = change.action === 'scale' ? change.replicas.filter((r) => r.to === 0 && r.from > 0) : [];
  if (emptied.length === 0) return undefined;
  return {
    reason: `${carrier} the label ${preventDeletionLabel}=true, and ${emptied.map(describeReplicas).join(', ')} would delete every machine of ${emptied.length === 1 ? 'that pool' : 'those pools'}`,
    hint: `keep at least 1 replica, or ${removal}`,
  };
}

/** What makes `change` destructive, in words; undefined when nothing does (a scale-up). */
function destructivePart(change: ClusterChange): string | undefined {
  switch (change.action) {
    case 'delete':
      return 'deleting it';
    case 'upgrade':
      return `the upgrade from ${change.from} to ${change.to} (every machine replaced)`;
    case 'scale': {
      const down = change.replicas.filter((r) => r.to < r.from);
      return down.length > 0 ? `scaling down ${down.map(describeReplicas).join(', ')}` : undefined;
    }
    case 'rollout':
      return `the rollout of ${change.target} (every machine of it replaced)`;
    // Note: a pause or resume changes no machine, and a remediation replaces one Machine the way a
    // MachineHealthCheck would; neither is in a Git source (Machines never are), so neither is refused.
    case 'pause':
    case 'resume':
    case 'remediate':
      return undefined;
  }
}

const describeReplicas = (r: ReplicaChange) => `${r.target} from ${r.from} to ${r.to}`;

/** Label and annotation values come from the cluster, which tenants write: never echo much of one. */
function bounded(value: string): string {
  return value.length > 80 ? `${value.slice(0, 80)}…` : value;
}
