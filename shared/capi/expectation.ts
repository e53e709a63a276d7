/**
 * What a change of a Cluster must show before it has converged, beyond Available: the counts and version
 * it asked for, its pause, or a pool's Machines renewed. The domain's planners (topology.ts,
 * direct-scale.ts, pause.ts, rollout.ts, remediation.ts) say what to expect; the workflow's verdict
 * (shared/workflows/operation.ts) checks the Cluster, and its Machines when a pool is named, against it.
 */

export interface Expectation {
  readonly controlPlaneReplicas?: number;
  /** Total across worker pools. */
  readonly workerReplicas?: number;
  /** Every machine rolled out to this topology version. */
  readonly version?: string;
  /** spec.paused, as the Cluster's Paused condition reports it at its generation. */
  readonly paused?: boolean;
  /** A rollout: every Machine of `pool` created at or after `after`, `replicas` of them (when known) ready. */
  readonly renewed?: PoolRenewal & { readonly after: string };
  /** A remediation: the operation's Machine gone, `pool` back at `replicas` (when known) ready Machines. */
  readonly replaced?: PoolRenewal;
}

interface PoolRenewal {
  /** `control plane`, or a worker pool's name (machine-impact.ts, poolOf). */
  readonly pool: string;
  readonly replicas?: number;
}
