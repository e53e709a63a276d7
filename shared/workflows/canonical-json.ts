/**
 * The one serialization of values that identify things: operation ids hash it, and two workflow inputs
 * are the same operation when it is equal. JSON whose object keys are sorted at every depth, so the
 * order in which code happened to build an object never changes an id (Powertools idempotency's
 * `deepSort`, for the same reason). Array order is kept: it means something (worker pools, patches).
 */

/** JSON of `value` with every object's keys in code-unit order, no whitespace. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (isPlainObject(v) ? sortedKeys(v) : v));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

// Note: an object lists integer-like keys ("2", "10") first in numeric order whatever the insertion
// order, so the output is still one fixed order for one set of keys. The copy has no prototype, so a
// parsed "__proto__" key stays a key instead of reaching Object.prototype's setter.
function sortedKeys(value: Record<string, unknown>): Record<string, unknown> {
  const sorted: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(value).sort()) sorted[key] = value[key];
  return sorted;
}
