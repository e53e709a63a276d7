/**
 * Kubernetes versions as a cluster moves between them: which step from one version to another is an
 * upgrade capi-mcp makes (no downgrade, no skipped minor, not the same version), and which versions a
 * cluster can go to next. The one home of these rules: upgrade_cluster (topology.ts, upgradeChange) and
 * plan_upgrade both judge with them. Pure.
 */

const semver = /^v(\d+)\.(\d+)\.(\d+)$/;

/** [major, minor, patch] of `v1.35.0`; undefined for anything else (a pre-release, a distribution suffix). */
export function parseVersion(version: string): readonly [number, number, number] | undefined {
  const m = semver.exec(version);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** Negative when `a` is older than `b`, 0 when equal, positive when newer; undefined when either does not parse. */
export function compareVersions(a: string, b: string): number | undefined {
  const [x, y] = [parseVersion(a), parseVersion(b)];
  if (!x || !y) return undefined;
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

/**
 * What is wrong with upgrading from `from` to `to`, or undefined when it is an upgrade capi-mcp makes:
 * newer, and at most one minor version on (Kubernetes' version skew policy: control plane components
 * move one minor at a time, and the workers follow before the next).
 */
export function upgradeStepProblem(from: string, to: string): string | undefined {
  const [a, b] = [parseVersion(from), parseVersion(to)];
  if (!a || !b) return `cannot compare versions "${from}" and "${to}"`;
  const order = compareVersions(from, to)!;
  if (order === 0) return `the cluster already runs ${to}`;
  if (order > 0) return `${to} is older than the current ${from}: downgrades are not supported`;
  if (b[0] !== a[0] || b[1] > a[1] + 1) return `${to} skips a minor version from ${from}: upgrade to v${a[0]}.${a[1] + 1}.x first`;
  return undefined;
}

/** Where a cluster at one version can go next. */
export interface NextVersions {
  /** Newer patches of the same minor: `v1.35.x` above the current patch. */
  readonly patch: string;
  /** The next minor: `v1.36.x`. */
  readonly minor: string;
  /**
   * The ClusterClass's own list (spec.kubernetesVersions) cut to the versions one step allows, oldest
   * first; undefined when the class lists none (then any release of the two lines above is accepted).
   */
  readonly listed?: readonly string[];
}

/** The versions `current` can be upgraded to in one step; `classVersions` is the ClusterClass's spec.kubernetesVersions. */
export function nextVersions(current: string, classVersions?: readonly unknown[]): NextVersions | undefined {
  const v = parseVersion(current);
  if (!v) return undefined;
  const listed = classVersions?.filter((c): c is string => typeof c === 'string' && upgradeStepProblem(current, c) === undefined);
  return {
    patch: `v${v[0]}.${v[1]}.x above ${current}`,
    minor: `v${v[0]}.${v[1] + 1}.x`,
    ...(listed ? { listed: [...listed].sort((a, b) => compareVersions(a, b)!) } : {}),
  };
}
