/**
 * Bounds on what a tool call's arguments may hold, checked for every tool before its handler runs
 * (shared/mcp/result.ts), so that an argument no schema bounds — a ClusterClass variable's value is any
 * JSON — cannot grow the work done for it: hashing into an operation id, schema checks, the audit
 * record's redaction, the API server's dry run.
 *
 * Note: 64 KiB per string. The longest strings a tool takes are ClusterClass variable values (a CA bundle,
 * a cloud-init file: a few KiB); names, selectors and cursors have far lower bounds in their own schemas.
 * Nesting stops at 32 levels: variable schemas nest a handful, and deeper input only exists to exhaust the
 * stack of whatever reads it recursively (JSON.stringify among them).
 */

export const maxArgumentBytes = 64 * 1024;
export const maxArgumentDepth = 32;

type Segment = string | number;

/** The first way `args` passes the bounds, as a sentence naming the argument; undefined when within them. */
export function argumentBoundsProblem(args: unknown): string | undefined {
  // Note: iterative, so that the check is not itself the recursive reader a deep value exhausts.
  const pending: { value: unknown; path: Segment[] }[] = [{ value: args, path: [] }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, path } = next;
    if (typeof value === 'string') {
      const bytes = Buffer.byteLength(value);
      if (bytes > maxArgumentBytes) return `argument ${pathText(path)} is ${bytes} bytes; at most ${maxArgumentBytes}`;
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (path.length > maxArgumentDepth) return `argument ${pathText(path.slice(0, 2))} nests deeper than ${maxArgumentDepth} levels`;
    if (Array.isArray(value)) {
      value.forEach((item, i) => pending.push({ value: item, path: [...path, i] }));
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      const bytes = Buffer.byteLength(key);
      if (bytes > maxArgumentBytes) return `argument ${pathText(path)} has a key of ${bytes} bytes; at most ${maxArgumentBytes}`;
      pending.push({ value: item, path: [...path, key] });
    }
  }
  return undefined;
}

/** `variables.sshKeys`, `workers[0].name`: each key cut to 40 characters, so a message stays short. */
function pathText(path: readonly Segment[]): string {
  return path
    .map((s, i) => (typeof s === 'number' ? `[${s}]` : `${i === 0 ? '' : '.'}${s.length > 40 ? `${s.slice(0, 40)}…` : s}`))
    .join('');
}
