/**
 * The findings of a diagnosis that stand beside the cluster's causal chain: paused objects, deletions held
 * by finalizers, MachineHealthChecks at work or short-circuited, and version skew between the control
 * plane and the workers. Each returns at most one finding (a draft, ranked and bounded by diagnosis.ts).
 */
import { pausedAnnotation } from './pause.ts';
import type { KubeObject } from '../kube/client.ts';
import { formatAge } from './age.ts';
import { getCondition } from './conditions.ts';
import type { Cause, Evidence, NextAction, Severity } from './diagnosis-model.ts';
import {
  clean,
  conditionEvidence,
  conditionIs,
  count,
  during,
  failing,
  fieldEvidence,
  finalizersOf,
  maxRead,
  ref,
  withEvents,
  type Context,
} from './diagnosis-evidence.ts';

/** A finding before it is ranked, folded and bounded. */
export interface Draft {
  readonly cause: Cause;
  readonly severity: Severity;
  readonly summary: string;
  readonly evidence: Evidence[];
  readonly symptoms: Evidence[];
  readonly next: NextAction;
}

/** A deletion older than this is held, not under way (CAPI deletes an in-memory Machine in seconds, a cloud one in minutes). */
export const blockedAfterSeconds = 300;

/** Every object the cluster's state is made of, parents before children. */
export function allObjects(ctx: Context): KubeObject[] {
  const i = ctx.input;
  return [
    i.cluster,
    ...(i.infrastructure ? [i.infrastructure] : []),
    ...(i.controlPlane ? [i.controlPlane] : []),
    ...i.machineDeployments,
    ...i.machinePools,
    ...i.machineSets,
    ...i.machines,
    ...(i.infrastructureMachines ?? []),
    ...(i.bootstrapConfigs ?? []),
    ...(i.machineHealthChecks ?? []),
  ];
}

/** Objects whose reconciliation is paused: spec.paused (Cluster, MachineDeployment) or CAPI's paused annotation. */
export function pausedFinding(ctx: Context): Draft | undefined {
  const evidence: Evidence[] = [];
  for (const o of allObjects(ctx)) {
    const since = conditionIs(o, 'Paused', 'True')?.lastTransitionTime;
    if (o.spec?.paused === true) evidence.push(fieldEvidence(ctx, o, 'spec.paused', undefined, since));
    else if (o.metadata?.annotations?.[pausedAnnotation] !== undefined) evidence.push(fieldEvidence(ctx, o, `annotation ${pausedAnnotation}`, undefined, since));
  }
  const [first] = evidence;
  if (!first) return undefined;
  const firstObject = allObjects(ctx).find((o) => ref(o) === first.object)!;
  const more = evidence.length > 1 ? ` and ${count(evidence.length - 1, 'more object')}` : '';
  return {
    cause: 'paused',
    severity: 'warning',
    summary: `${first.object} paused${during(first, formatAge)} (${first.field})${more}`,
    evidence,
    symptoms: [],
    next:
      firstObject === ctx.cluster && first.field === 'spec.paused'
        ? { step: 'resume-cluster', args: { namespace: ctx.namespace, name: clean(firstObject.metadata.name) ?? '' } }
        : {
            step: 'resume-reconciliation',
            args: {
              kind: clean(firstObject.kind, 63) ?? 'Object',
              namespace: ctx.namespace,
              name: clean(firstObject.metadata.name) ?? '',
              by: first.field === 'spec.paused' ? 'spec.paused' : 'annotation',
            },
          },
  };
}

/** How deep an object sits in what a deletion waits for: the deepest one still held is where to look. */
function deletionDepth(ctx: Context, o: KubeObject): number {
  const i = ctx.input;
  if (o === i.cluster) return 0;
  if (o === i.infrastructure || o === i.controlPlane) return 1;
  if (i.machineDeployments.includes(o) || i.machinePools.includes(o)) return 2;
  if (i.machineSets.includes(o)) return 3;
  if (i.machines.includes(o)) return 4;
  return 5;
}

/** Objects being deleted that still carry finalizers, deepest first. */
export function deletionFinding(ctx: Context): Draft | undefined {
  const held = allObjects(ctx)
    .filter((o) => o.metadata?.deletionTimestamp && finalizersOf(o).length > 0)
    .map((o, order) => ({ o, order, depth: deletionDepth(ctx, o) }))
    .sort((a, b) => b.depth - a.depth || a.order - b.order)
    .map(({ o }) => o);
  const [deepest] = held;
  if (!deepest) return undefined;
  const evidence = held.flatMap((o) => {
    const deleting = conditionIs(o, 'Deleting', 'True');
    return [
      ...withEvents(ctx, fieldEvidence(ctx, o, 'metadata.finalizers', finalizersOf(o).join(', '), o.metadata.deletionTimestamp), { kind: o.kind, name: o.metadata.name, uid: o.metadata.uid }),
      ...(deleting ? [conditionEvidence(ctx, o, deleting)] : []),
    ];
  });
  const longest = Math.max(...evidence.map((e) => (e.field ? (e.forSeconds ?? 0) : 0)));
  const blocked = longest >= blockedAfterSeconds;
  const finalizers = finalizersOf(deepest);
  const by = `by ${finalizers.length === 1 ? 'finalizer' : 'finalizers'} ${clean(finalizers.join(', '))}`;
  return {
    cause: blocked ? 'deletion-blocked' : 'deleting',
    severity: blocked ? 'error' : 'info',
    summary: blocked ? `deletion of ${ref(deepest)} blocked${during(evidence[0], formatAge)} ${by}` : `deleting ${ref(deepest)}${during(evidence[0], formatAge)}, held ${by}`,
    evidence,
    symptoms: [],
    next: blocked
      ? { step: 'find-finalizer-holder', args: { kind: clean(deepest.kind, 63) ?? 'Object', namespace: ctx.namespace, name: clean(deepest.metadata.name) ?? '', finalizer: clean(finalizers[0]) ?? '' } }
      : { step: 'follow-deletion', args: { namespace: ctx.namespace, name: ctx.name } },
  };
}

/** Machines a MachineHealthCheck found unhealthy (HealthCheckSucceeded=False), not being deleted already. */
export function flaggedMachines(ctx: Context): KubeObject[] {
  return ctx.input.machines.filter((m) => !m.metadata?.deletionTimestamp && conditionIs(m, 'HealthCheckSucceeded'));
}

/** A MachineHealthCheck remediating unhealthy machines, or short-circuited (RemediationAllowed=False). */
export function healthCheckFinding(ctx: Context): Draft | undefined {
  const checks = ctx.input.machineHealthChecks ?? [];
  const flagged = flaggedMachines(ctx);
  const blockedCheck = checks.find((c) => conditionIs(c, 'RemediationAllowed'));
  const check = blockedCheck ?? checks.find((c) => flagged.some((m) => (c.status?.targets ?? []).includes(m.metadata.name))) ?? checks[0];
  if (!blockedCheck && flagged.length === 0) return undefined;
  const machineEvidence = flagged.flatMap((m) => {
    const node = ctx.nodeOf(m);
    return [
      failing(ctx, m, 'HealthCheckSucceeded'),
      failing(ctx, m, 'OwnerRemediated', 'ExternallyRemediated'),
      node ? failing(ctx, node, 'Ready') : failing(ctx, m, 'NodeReady', 'NodeHealthy'),
    ].filter((e) => e !== undefined);
  });
  const status = check?.status ?? {};
  const ratio = typeof status.currentHealthy === 'number' && typeof status.expectedMachines === 'number' ? `${status.currentHealthy}/${status.expectedMachines} healthy` : undefined;
  const healthy = ratio ? ` (${ratio})` : '';
  const allowed = typeof status.remediationsAllowed === 'number' ? `, ${count(status.remediationsAllowed, 'remediation')} allowed` : '';
  const checkEvidence = check && fieldEvidence(ctx, check, 'status', `${ratio ?? 'healthy count not reported'}${allowed}`);
  const name = check ? `MachineHealthCheck ${clean(check.metadata.name)} ` : '';
  if (blockedCheck) {
    const condition = conditionEvidence(ctx, blockedCheck, getCondition(blockedCheck, 'RemediationAllowed')!);
    return {
      cause: 'remediation-blocked',
      severity: 'error',
      summary: `${name}may not remediate${healthy}${during(condition, formatAge)}: ${condition.message ?? condition.reason ?? 'RemediationAllowed is False'}`,
      evidence: [condition, ...machineEvidence],
      symptoms: [],
      next: { step: 'check-nodes', args: { namespace: ctx.namespace, name: ctx.name } },
    };
  }
  const [first] = machineEvidence;
  return {
    cause: 'machine-remediating',
    severity: 'warning',
    summary: `${name}remediating ${count(flagged.length, 'Machine')}${healthy}${during(first, formatAge)}: ${first?.message ?? 'health check failed'}`,
    evidence: [...machineEvidence, ...(checkEvidence ? [checkEvidence] : [])],
    symptoms: [],
    next: { step: 'follow-remediation', args: { namespace: ctx.namespace, name: ctx.name, machine: clean(flagged[0]!.metadata.name) ?? '' } },
  };
}

interface Version {
  readonly text: string;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

function parseVersion(value: unknown): Version | undefined {
  const text = clean(value, 64);
  const m = text === undefined ? null : /^v?(\d{1,6})\.(\d{1,6})\.(\d{1,9})/.exec(text);
  return m ? { text: text!, major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } : undefined;
}

const compare = (a: Version, b: Version) => a.major - b.major || a.minor - b.minor || a.patch - b.patch;

/** Kubernetes' version skew policy: kubelets may be up to three minors older than the API server, never newer. */
const maxKubeletMinorsBehind = 3;

/** Worker pools whose version differs from the control plane's. */
export function skewFinding(ctx: Context): Draft | undefined {
  const cp = ctx.input.controlPlane;
  const cpVersion = parseVersion(cp?.status?.version) ?? parseVersion(cp?.spec?.version);
  if (!cp || !cpVersion) return undefined;
  const skewed = [...ctx.input.machineDeployments, ...ctx.input.machinePools]
    .map((pool) => ({ pool, version: parseVersion(pool.spec?.template?.spec?.version) }))
    .filter((p): p is { pool: KubeObject; version: Version } => p.version !== undefined && compare(p.version, cpVersion) !== 0)
    .map((p) => ({
      ...p,
      problem:
        compare(p.version, cpVersion) > 0
          ? 'kubelets newer than the API server are not supported'
          : p.version.major !== cpVersion.major || cpVersion.minor - p.version.minor > maxKubeletMinorsBehind
            ? `more than ${maxKubeletMinorsBehind} minor versions apart`
            : undefined,
    }));
  const worst = skewed.find((p) => p.problem) ?? skewed[0];
  if (!worst) return undefined;
  const topology = ctx.cluster.spec?.topology;
  const upgrading = conditionIs(ctx.cluster, 'TopologyReconciled');
  const newer = compare(worst.version, cpVersion) > 0;
  const target = { namespace: ctx.namespace, name: ctx.name };
  return {
    cause: 'version-skew',
    severity: worst.problem ? 'error' : 'info',
    summary: `workers at ${worst.version.text} (${ref(worst.pool)}), control plane at ${cpVersion.text}: ${worst.problem ?? (topology ? 'upgrade in progress' : 'workers not upgraded yet')}`,
    evidence: [
      fieldEvidence(ctx, cp, cp.status?.version ? 'status.version' : 'spec.version', cpVersion.text),
      ...skewed.map((p) => fieldEvidence(ctx, p.pool, 'spec.template.spec.version', p.version.text)),
      ...(topology && upgrading ? [conditionEvidence(ctx, ctx.cluster, upgrading)] : []),
    ],
    symptoms: [],
    next: newer
      ? { step: 'upgrade-control-plane', args: { ...target, version: worst.version.text } }
      : worst.problem || !topology
        ? { step: 'upgrade-workers', args: { ...target, version: cpVersion.text } }
        : { step: 'follow-upgrade', args: target },
  };
}

/** The variable and patch a TopologyReconciled=False message names, read from its start only. */
export function topologyCulprits(message: unknown): { variable?: string; patch?: string } {
  const text = typeof message === 'string' ? message.slice(0, maxRead) : '';
  const variable = /\bvariable "([^"]{1,256})"/.exec(text)?.[1];
  const patch = /\bpatch "([^"]{1,256})"/.exec(text)?.[1];
  return { ...(variable ? { variable: clean(variable, 63) } : {}), ...(patch ? { patch: clean(patch, 63) } : {}) };
}
