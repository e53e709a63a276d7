/**
 * Server-side apply that takes no field from anyone else. A field another field manager set — Flux's
 * kustomize-controller, Argo CD, a person's `kubectl apply --server-side`, a cluster autoscaler — is that
 * manager's to change: an apply that would change it fails with a Conflict naming the manager and the
 * fields, and nothing is written.
 *
 * Only fields of the managers in `mayTakeFrom` are taken over (capi-mcp's own: its create, scale and
 * upgrade each apply as a manager of their own, and a scale after a create changes the replica counts
 * the create set). That force is conditional on the object's resourceVersion, read before the first
 * attempt: the conflicts that were judged to be capi-mcp's own are the only ones it overrides, even if
 * someone else writes the object in between (the apply then fails as stale and is judged again).
 */
import { CapiMcpError, ErrorCode } from '../errors.ts';
import { getIfExists, type KubeClient, type KubeObject } from './client.ts';

export interface FieldConflict {
  readonly manager: string;
  /** The field path as the API server writes it, e.g. `.spec.topology.version`. */
  readonly field: string;
}

export interface OwnedApplyOptions {
  readonly fieldManager: string;
  readonly dryRun?: boolean;
  /** Managers whose fields this apply may take (never another party's). */
  readonly mayTakeFrom: readonly string[];
  /**
   * The object must be there and not being deleted (every change but a create): an apply to an object
   * gone would create a new one from a partial patch, and one to an object on its way out changes nothing
   * that will last.
   */
  readonly existing?: boolean;
}

/** `current`, unless it is gone (NotFound) or being deleted (Conflict): what a change to an existing object needs. */
export function liveOrRefused(current: KubeObject | undefined, kind: string, namespace: string, name: string): KubeObject {
  if (!current) throw new CapiMcpError(ErrorCode.NotFound, `${kind} ${namespace}/${name} no longer exists; nothing was applied`);
  if (current.metadata.deletionTimestamp) throw new CapiMcpError(ErrorCode.Conflict, `${kind} ${namespace}/${name} is being deleted; nothing was applied`);
  return current;
}

/** Attempts before a write that keeps racing this one is reported instead of retried. */
export const applyAttempts = 3;

export async function applyOwned(kube: KubeClient, obj: KubeObject, options: OwnedApplyOptions): Promise<KubeObject> {
  const [group, version] = (obj.apiVersion ?? '').includes('/') ? obj.apiVersion!.split('/') : ['', obj.apiVersion];
  const ref = await kube.resolve(group!, obj.kind!);
  const { fieldManager, dryRun = false } = options;
  for (let attempt = 1; ; attempt++) {
    const current = await getIfExists(kube, { ...ref, version: version ?? ref.version }, obj.metadata.namespace ?? '', obj.metadata.name);
    if (options.existing) liveOrRefused(current, obj.kind ?? ref.kind, obj.metadata.namespace ?? '', obj.metadata.name);
    const resourceVersion = (current?.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
    const body = resourceVersion ? { ...obj, metadata: { ...obj.metadata, resourceVersion } } : obj;
    try {
      try {
        return await kube.apply(body, { fieldManager, dryRun });
      } catch (error) {
        const conflicts = fieldConflictsOf(error);
        if (conflicts.length === 0) throw error;
        const foreign = conflicts.filter((c) => !options.mayTakeFrom.includes(c.manager));
        if (foreign.length > 0) {
          throw new CapiMcpError(ErrorCode.Conflict, `failed to ${dryRun ? 'validate' : 'apply'} ${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}: ${describeConflicts(foreign)}`, {
            hint: 'those values are someone else’s: change them where that manager applies them from (its Git repository, its kubectl apply), or have it give the fields up; nothing was changed',
          });
        }
        // Every conflicting field is capi-mcp's own, at this resourceVersion: take them.
        return await kube.apply(body, { fieldManager, dryRun, force: true });
      }
    } catch (error) {
      if (attempt < applyAttempts && isStale(error)) continue;
      throw error;
    }
  }
}

/** The field-manager conflicts of a failed server-side apply (HTTP 409, FieldManagerConflict causes); empty for any other failure. */
export function fieldConflictsOf(error: unknown): FieldConflict[] {
  const status = statusOf(error);
  if (status?.code !== 409) return [];
  const causes = status.details?.causes ?? [];
  return causes
    .filter((c) => c.reason === 'FieldManagerConflict' && typeof c.field === 'string')
    .map((c) => ({ manager: /conflict with "([^"]*)"/.exec(c.message ?? '')?.[1] ?? 'an unnamed manager', field: c.field! }));
}

/** "field manager "x" owns .a, .b; field manager "y" owns .c": bounded, since managers and fields come from the cluster. */
export function describeConflicts(conflicts: readonly FieldConflict[]): string {
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), c.field]);
  const parts = [...byManager].slice(0, 3).map(([manager, fields]) => {
    const shown = fields.slice(0, 4).map((f) => cut(f, 120));
    return `field manager "${cut(manager, 64)}" owns ${shown.join(', ')}${fields.length > shown.length ? ` and ${fields.length - shown.length} more` : ''}`;
  });
  const more = byManager.size > 3 ? `; and ${byManager.size - 3} more managers` : '';
  return `${parts.join('; ')}${more}, with other values than this change sets; capi-mcp does not take fields from another manager`;
}

const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…` : s);

interface Status {
  readonly code?: number;
  readonly reason?: string;
  readonly details?: { readonly causes?: readonly { readonly reason?: string; readonly message?: string; readonly field?: string }[] };
}

/** The Kubernetes Status of an API failure, from the client's exception (kept as a CapiMcpError's cause). */
function statusOf(error: unknown): Status | undefined {
  let e: unknown = error;
  while (e instanceof CapiMcpError) e = e.cause;
  const raw = e as { code?: unknown; body?: unknown } | undefined;
  if (typeof raw?.code !== 'number') return undefined;
  try {
    const body = typeof raw.body === 'string' ? JSON.parse(raw.body) : raw.body;
    return { ...(body as Status), code: raw.code };
  } catch {
    return { code: raw.code };
  }
}

/** A 409 that is not a field conflict: the resourceVersion precondition failed (someone wrote the object first). */
export function isStale(error: unknown): boolean {
  return statusOf(error)?.code === 409 && fieldConflictsOf(error).length === 0;
}
