/**
 * The shapes of a cluster diagnosis (shared/capi/diagnosis.ts): what it reads, the findings it returns, and
 * the next steps it names as facts. Next steps name no MCP tool: the MCP layer phrases each one, as it
 * phrases the NextStep of an error (shared/errors.ts → shared/mcp/result.ts).
 */
import type { DiscoveredCluster } from '../kube/discovery.ts';

/**
 * What discovery returns with its `diagnosis` option (shared/kube/discovery.ts): get_cluster's objects plus
 * the Machines' infrastructure machines and bootstrap configs, the MachineHealthChecks and the workload
 * Nodes. Each of those is optional: absent means "not fetched", and the diagnosis falls back to what the
 * Machines and the Cluster say of them.
 */
export type DiagnosisInput = DiscoveredCluster;

/**
 * Every cause a finding can have, in causal order: a finding ranks by its cause's place here. A pause or a
 * deletion stops everything below; the cluster's chain of prerequisites (topology → infrastructure →
 * control plane → workload API) comes before what needs it; machine-level causes before the pools they
 * fail; a skew that is the state of an upgrade last.
 */
export const causes = [
  'paused',
  'deletion-blocked',
  'deleting',
  'topology-not-reconciled',
  'infrastructure-not-provisioned',
  'control-plane-not-initialized',
  'workload-api-unreachable',
  'control-plane-not-available',
  'machine-infrastructure-not-ready',
  'machine-bootstrap-failed',
  'node-not-ready',
  'remediation-blocked',
  'machine-remediating',
  'workers-not-available',
  'cluster-not-available',
  'version-skew',
] as const;
export type Cause = (typeof causes)[number];

/** error: the cluster will not get well without someone acting; warning: it may, or it was made so; info: a change under way. */
export type Severity = 'error' | 'warning' | 'info';

/** One fact behind a finding: a condition, an event or a field of one object, each string bounded. */
export interface Evidence {
  /** Kind/name. */
  readonly object: string;
  /** A condition's type, with its status and reason. */
  readonly condition?: string;
  readonly status?: string;
  readonly reason?: string;
  /** A Warning event's reason, with its count. */
  readonly event?: string;
  readonly count?: number;
  /** A field or metadata that says it, e.g. "spec.paused", "metadata.finalizers". */
  readonly field?: string;
  /** The first line of the condition's or event's message, or the field's value. */
  readonly message?: string;
  /** A condition's lastTransitionTime, an event's last time, a deletion's start. */
  readonly since?: string;
  /** Seconds from `since` to the diagnosis, for conditions and deletions: how long it has been so. */
  readonly forSeconds?: number;
  /** True for what the finding's cause explains (folded from below), not for the cause itself. */
  readonly symptom?: true;
}

/** The arguments each next step takes. */
export interface NextSteps {
  /** `by`: what pauses it — its spec.paused, or CAPI's paused annotation (which clusterctl move sets). */
  'resume-reconciliation': { kind: string; namespace: string; name: string; by: 'spec.paused' | 'annotation' };
  'resume-cluster': { namespace: string; name: string };
  'find-finalizer-holder': { kind: string; namespace: string; name: string; finalizer: string };
  'follow-deletion': { namespace: string; name: string };
  'fix-topology': { namespace: string; name: string; variable?: string; patch?: string };
  'check-infrastructure': { kind: string; namespace: string; name: string };
  /** `name` is the control plane object's (a topology's is the cluster's with a suffix); `cluster` the Cluster's. */
  'check-control-plane': { kind: string; namespace: string; name: string; cluster: string };
  'check-workload-api': { namespace: string; name: string };
  'check-bootstrap': { kind: string; namespace: string; name: string };
  'check-nodes': { namespace: string; name: string; node?: string; machine?: string };
  'follow-remediation': { namespace: string; name: string; machine: string };
  'follow-upgrade': { namespace: string; name: string };
  'upgrade-workers': { namespace: string; name: string; version: string };
  'upgrade-control-plane': { namespace: string; name: string; version: string };
  'describe-cluster': { namespace: string; name: string };
}

/** A next step as a fact and its arguments; `namespace`/`name` are the cluster's unless a `kind` names another object. */
export type NextAction = { [S in keyof NextSteps]: { readonly step: S; readonly args: Readonly<NextSteps[S]> } }[keyof NextSteps];

export interface Finding {
  readonly severity: Severity;
  readonly cause: Cause;
  /** What is wrong, in one bounded line. */
  readonly summary: string;
  /** The cause's evidence first, then the symptoms it explains (`symptom: true`); bounded. */
  readonly evidence: readonly Evidence[];
  /** Evidence items left out to keep the finding bounded. */
  readonly omitted: number;
  readonly next: NextAction;
}

export interface Diagnosis {
  readonly cluster: { readonly namespace: string; readonly name: string };
  readonly available: boolean;
  /** The `now` the diagnosis was made at, ISO 8601. */
  readonly checkedAt: string;
  /** Ranked by cause; empty when nothing is wrong. */
  readonly findings: readonly Finding[];
}
