/**
 * What a change of a Cluster must show before it has converged, beyond Available: the counts and version
 * it asked for. The domain's planners (topology.ts, direct-scale.ts) say what to expect; the workflow's
 * verdict (shared/workflows/operation.ts) checks the Cluster against it.
 */

export interface Expectation {
  readonly controlPlaneReplicas?: number;
  /** Total across worker pools. */
  readonly workerReplicas?: number;
  /** Every machine rolled out to this topology version. */
  readonly version?: string;
}
