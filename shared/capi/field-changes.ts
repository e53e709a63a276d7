/**
 * The exact change a dry run accepted, as a compact diff: each field path whose value differs between an
 * object as it is and as the API server's dry run returned it, with the value before and after. Only what
 * a caller's change can touch is compared — spec, labels and annotations — never what the server writes
 * on every update (resourceVersion, managedFields, generation) nor status. Pure.
 *
 * Lists of objects that carry a `name` (a topology's worker pools, its variables) are compared item by
 * item, keyed by name: `spec.topology.workers.machineDeployments[md-0].replicas`, not by position.
 */
import type { KubeObject } from '../kube/client.ts';

export interface FieldChange {
  readonly path: string;
  /** Absent: the field did not exist before (a create, or a field the change adds). */
  readonly from?: unknown;
  /** Absent: the field is gone after. */
  readonly to?: unknown;
}

/** At most this many changes are listed: a plan is read by a model, and a create's spec can be long. */
export const maxFieldChanges = 40;

/** The changes from `before` (undefined for an object the change creates) to `after`, at most maxFieldChanges, and how many there were. */
export function fieldChanges(before: KubeObject | undefined, after: KubeObject): { readonly changes: FieldChange[]; readonly total: number } {
  const out: FieldChange[] = [];
  walk('metadata.labels', before?.metadata.labels, after.metadata.labels, out);
  walk('metadata.annotations', before?.metadata.annotations, after.metadata.annotations, out);
  walk('spec', before?.spec, after.spec, out);
  return { changes: out.slice(0, maxFieldChanges), total: out.length };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const isNamedList = (v: unknown): v is Record<string, unknown>[] => Array.isArray(v) && v.length > 0 && v.every((i) => isObject(i) && typeof i.name === 'string');

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => same(a[k], b[k]));
  }
  return false;
}

function walk(path: string, a: unknown, b: unknown, out: FieldChange[]): void {
  if (same(a, b)) return;
  if ((isObject(a) || a === undefined) && (isObject(b) || b === undefined)) {
    const [x, y] = [a ?? {}, b ?? {}];
    for (const key of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) walk(`${path}.${key}`, x[key], y[key], out);
    return;
  }
  if ((isNamedList(a) || a === undefined) && (isNamedList(b) || b === undefined) && (a !== undefined || b !== undefined)) {
    const byName = (list: Record<string, unknown>[] | undefined) => new Map((list ?? []).map((i) => [i.name as string, i]));
    const [x, y] = [byName(a), byName(b)];
    for (const name of [...new Set([...x.keys(), ...y.keys()])]) {
      const [from, to] = [x.get(name), y.get(name)];
      // An item added or removed whole is one change, not one per field.
      if (from && to) walk(`${path}[${name}]`, from, to, out);
      else out.push({ path: `${path}[${name}]`, ...(from ? { from } : {}), ...(to ? { to } : {}) });
    }
    return;
  }
  out.push({ path, ...(a !== undefined ? { from: a } : {}), ...(b !== undefined ? { to: b } : {}) });
}
