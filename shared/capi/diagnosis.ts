/**
 * diagnoseCluster: the findings that explain a cluster's state, ranked by cause, not by object. Pure:
 * discovered objects and `now` in, findings out; get_cluster's tree (tree.ts) is the same objects drawn.
 *
 * Rules:
 * - The cluster is a chain of prerequisites: topology → infrastructure cluster → control plane initialized
 *   → workload API reachable → control plane available → workers available. The first link that fails is
 *   the root; the links after it, and the machines they hold back, are its symptoms, folded into its
 *   evidence (`symptom: true`), not listed as findings of their own.
 * - The control plane and worker pools are aggregates of Machines: when one fails and a Machine of its
 *   own fails below it (infrastructure machine, bootstrap config, Node — checked in that order), the
 *   Machine is the cause and the aggregate its symptom. Machines failing the same way are one finding.
 *   A Machine's condition that mirrors a deeper object's (InfrastructureReady, BootstrapConfigReady) is a
 *   symptom when that object is at hand, the cause when it is not (discovery did not fetch it).
 * - A pause and a deletion stand above the chain. A deleting Cluster explains everything else (its
 *   conditions turn False as it is taken apart), so all of it folds into the deletion; a pause freezes
 *   conditions without explaining them, so the rest stays listed after it.
 * - MachineHealthChecks and version skew are findings of their own; a Machine a health check flagged is
 *   its finding's, not a node-not-ready of its own.
 * - Findings rank by their cause's place in `causes` (diagnosis-model.ts). Only False counts as failing:
 *   Unknown is a condition not judged yet. An Available cluster with nothing wrong has no findings.
 * - Every string is cut to a bound (diagnosis-evidence.ts) and each finding keeps at most `maxEvidence`
 *   items, counting the rest; nothing read is interpreted beyond the names a message quotes.
 */
import { formatAge } from './age.ts';
import { failingStep, getCondition, isTrue } from './conditions.ts';
import { deletionFinding, flaggedMachines, healthCheckFinding, pausedFinding, skewFinding, topologyCulprits, type Draft } from './diagnosis-checks.ts';
import { clean, conditionEvidence, contextOf, count, during, eventEvidence, failing, ref, refOf, withEvents, type Context } from './diagnosis-evidence.ts';
import { causes, type Cause, type Diagnosis, type DiagnosisInput, type Evidence, type Finding } from './diagnosis-model.ts';
import type { KubeObject } from '../kube/client.ts';
import { whyNotAvailable } from './summary.ts';

export * from './diagnosis-model.ts';

/** Evidence items a finding keeps: its cause's first, then symptoms. */
export const maxEvidence = 12;
const maxCauseEvidence = 8;

/** The findings that explain the cluster's state, top cause first. */
export function diagnoseCluster(input: DiagnosisInput, now: Date): Diagnosis {
  const ctx = contextOf(input, now);
  const available = isTrue(input.cluster, 'Available');
  const paused = pausedFinding(ctx);
  const deletion = deletionFinding(ctx);
  const chain = chainFindings(ctx, available);
  // Note: when nothing in the chain fails, pause or deletion aside, CAPI's own Available message is the finding.
  if (chain.length === 0 && !available && !paused && !deletion) chain.push(notAvailable(ctx));
  let drafts = [...chain, healthCheckFinding(ctx), skewFinding(ctx)].filter((d) => d !== undefined);
  if (deletion && input.cluster.metadata?.deletionTimestamp) {
    for (const d of drafts) fold(deletion, d);
    drafts = [];
  }
  drafts.push(...[paused, deletion].filter((d) => d !== undefined));
  return {
    cluster: { namespace: ctx.namespace, name: ctx.name },
    available,
    checkedAt: now.toISOString(),
    findings: drafts.sort((a, b) => causes.indexOf(a.cause) - causes.indexOf(b.cause)).map(bounded),
  };
}

/** `from`'s evidence and symptoms become symptoms of `into`. */
function fold(into: Draft, from: Draft | undefined): void {
  if (from) into.symptoms.push(...from.evidence, ...from.symptoms);
}

/** One link of the causal chain: its draft when it fails. */
type Link = Draft | undefined;

/** The causal chain and the Machines below it, folded as the rules above say. */
function chainFindings(ctx: Context, available: boolean): Draft[] {
  const topology = topologyLink(ctx);
  const infrastructure = infrastructureLink(ctx);
  const cpInit = controlPlaneLink(ctx, 'ControlPlaneInitialized', 'Initialized', 'control-plane-not-initialized', 'not initialized');
  // Note: before the control plane is initialized the probe has nothing to reach; that branch folds it.
  const remote = remoteLink(ctx);
  const cpAvailable = controlPlaneLink(ctx, 'ControlPlaneAvailable', 'Available', 'control-plane-not-available', 'not available');
  const workers = workersLink(ctx);
  const flagged = new Set(flaggedMachines(ctx));
  const machines = ctx.input.machines.filter((m) => !m.metadata?.deletionTimestamp && !flagged.has(m));
  const leafGroups = machineFindings(ctx, machines);
  const leaves = leafGroups.map((l) => l.draft);
  const cpLeaves = leafGroups.filter((l) => l.controlPlane).map((l) => l.draft);
  const workerLeaves = leafGroups.filter((l) => l.workers).map((l) => l.draft);
  const found: Draft[] = [];
  const root = topology ?? infrastructure;
  if (root) {
    for (const d of [infrastructure, cpInit, remote, cpAvailable, workers, ...leaves]) if (d !== root) fold(root, d);
    found.push(root);
  } else if (cpInit) {
    // The control plane's own Machines are why it is not initialized; everything else waits for it.
    const top = cpLeaves[0] ?? cpInit;
    for (const d of [cpInit, remote, cpAvailable, workers, ...leaves.filter((l) => !cpLeaves.includes(l))]) if (d !== top) fold(top, d);
    found.push(...(cpLeaves.length > 0 ? cpLeaves : [cpInit]));
  } else {
    const nodeLeaves = remote ? leaves.filter((l) => l.cause === 'node-not-ready') : [];
    if (remote) for (const d of [cpAvailable, workers, ...nodeLeaves]) fold(remote, d);
    const rest = leaves.filter((l) => !nodeLeaves.includes(l));
    const aggregate = (link: Link, scope: Draft[]) => {
      const into = rest.find((l) => scope.includes(l));
      if (into) fold(into, link);
      else if (link) found.push(link);
    };
    if (!remote) {
      aggregate(cpAvailable, cpLeaves);
      aggregate(workers, workerLeaves);
    }
    found.push(...(remote ? [remote] : []), ...rest);
  }
  // Note: the cluster not being Available is the last symptom of the highest-ranked chain finding.
  const first = found.sort((a, b) => causes.indexOf(a.cause) - causes.indexOf(b.cause))[0];
  const unavailable = getCondition(ctx.cluster, 'Available');
  if (first && !available && unavailable) first.symptoms.push(conditionEvidence(ctx, ctx.cluster, unavailable));
  return found;
}

function topologyLink(ctx: Context): Link {
  const c = getCondition(ctx.cluster, 'TopologyReconciled');
  // CAPI itself counts only these two reasons as failures; the others (upgrading, paused, deleting) are states.
  if (c?.status !== 'False' || (c.reason !== 'ReconcileFailed' && c.reason !== 'ClusterClassNotReconciled')) return undefined;
  const e = conditionEvidence(ctx, ctx.cluster, c);
  const { variable, patch } = topologyCulprits(c.message);
  const culprits = [variable && `variable "${variable}"`, patch && `patch "${patch}"`].filter(Boolean).join(', ');
  return draft('topology-not-reconciled', `topology not reconciled${during(e, formatAge)}${culprits ? ` (${culprits})` : ''}: ${e.message ?? e.reason}`, [e], {
    step: 'fix-topology',
    args: { namespace: ctx.namespace, name: ctx.name, ...(variable ? { variable } : {}), ...(patch ? { patch } : {}) },
  });
}

function infrastructureLink(ctx: Context): Link {
  const infra = ctx.input.infrastructure;
  const fromObject = failing(ctx, infra, 'Ready');
  const fromCluster = failing(ctx, ctx.cluster, 'InfrastructureReady');
  const notProvisioned = infra?.status?.initialization?.provisioned === false && !isTrue(ctx.cluster, 'InfrastructureReady');
  if (!fromObject && !fromCluster && !notProvisioned) return undefined;
  const target = infra ?? { kind: ctx.cluster.spec?.infrastructureRef?.kind, metadata: { name: ctx.cluster.spec?.infrastructureRef?.name } };
  const e = fromObject ?? fromCluster ?? { object: ref(target as KubeObject), field: 'status.initialization.provisioned', message: 'false' };
  const evidence = infra ? withEvents(ctx, e, { kind: infra.kind, name: infra.metadata.name, uid: infra.metadata.uid }) : [e];
  return draft('infrastructure-not-provisioned', `${refOf(target.kind, target.metadata?.name)} not provisioned${during(e, formatAge)}: ${e.message ?? e.reason ?? 'not reported'}`, evidence, {
    step: 'check-infrastructure',
    args: { kind: clean(target.kind, 63) ?? 'Object', namespace: ctx.namespace, name: clean(target.metadata?.name) ?? '' },
  });
}

/** Health conditions of a KubeadmControlPlane that name what is wrong more precisely than Available. */
const controlPlaneDetail = ['CertificatesAvailable', 'EtcdClusterHealthy', 'ControlPlaneComponentsHealthy'];

function controlPlaneLink(ctx: Context, clusterType: string, cpType: string, cause: Cause, what: string): Link {
  const cp = ctx.input.controlPlane;
  const fromObject = failing(ctx, cp, cpType);
  const fromCluster = failing(ctx, ctx.cluster, clusterType);
  if (!fromObject && !fromCluster) return undefined;
  const e = fromObject ?? fromCluster!;
  // A provider's control plane (CAPA's AWSManagedControlPlane) may only count its steps in Ready: its failing step says what is wrong.
  const step = failingStep(cp, 'Ready');
  const detail = [...controlPlaneDetail.map((t) => failing(ctx, cp, t)), ...(cp && step ? [conditionEvidence(ctx, cp, step)] : [])].filter((d) => d !== undefined);
  const evidence = cp ? [...withEvents(ctx, e, { kind: cp.kind, name: cp.metadata.name, uid: cp.metadata.uid }), ...detail] : [e];
  const kind = cp?.kind ?? ctx.cluster.spec?.controlPlaneRef?.kind;
  const name = cp?.metadata.name ?? ctx.cluster.spec?.controlPlaneRef?.name;
  return draft(cause, `${refOf(kind, name)} ${what}${during(e, formatAge)}: ${e.message ?? e.reason}`, evidence, {
    step: 'check-control-plane',
    args: { kind: clean(kind, 63) ?? 'Object', namespace: ctx.namespace, name: clean(name) ?? '', cluster: ctx.name },
  });
}

function remoteLink(ctx: Context): Link {
  const e = failing(ctx, ctx.cluster, 'RemoteConnectionProbe');
  if (!e) return undefined;
  // The Cluster's own Warning events carry what discovery saw of the workload API (WorkloadAPIUnreachable).
  const evidence = withEvents(ctx, e, { kind: ctx.cluster.kind, name: ctx.cluster.metadata.name, uid: ctx.cluster.metadata.uid });
  return draft('workload-api-unreachable', `workload API server unreachable${during(e, formatAge)}: ${e.message ?? e.reason}`, evidence, {
    step: 'check-workload-api',
    args: { namespace: ctx.namespace, name: ctx.name },
  });
}

function workersLink(ctx: Context): Link {
  const pools = [...ctx.input.machineDeployments, ...ctx.input.machinePools];
  const evidence = [
    ...pools.map((p) => failing(ctx, p, 'Available')),
    ...ctx.input.machineSets.map((s) => failing(ctx, s, 'MachinesReady')),
  ].filter((e) => e !== undefined);
  const fromCluster = failing(ctx, ctx.cluster, 'WorkersAvailable');
  const [e] = evidence.length > 0 ? evidence : fromCluster ? [fromCluster] : [];
  if (!e) return undefined;
  return draft('workers-not-available', `${e.object === ref(ctx.cluster) ? 'workers' : e.object} not available${during(e, formatAge)}: ${e.message ?? e.reason}`, evidence.length > 0 ? evidence : [e], {
    step: 'describe-cluster',
    args: { namespace: ctx.namespace, name: ctx.name },
  });
}

/** Machines failing the same way below their owners, and whether they are control-plane or worker Machines. */
interface Leaf {
  readonly draft: Draft;
  readonly controlPlane: boolean;
  readonly workers: boolean;
}

/** The Machines failing below their owner, one draft per way of failing, in causal order. */
function machineFindings(ctx: Context, machines: readonly KubeObject[]): Leaf[] {
  const groups = new Map<Cause, { machines: KubeObject[]; evidence: Evidence[]; symptoms: Evidence[]; target?: KubeObject | undefined }>();
  const add = (cause: Cause, m: KubeObject, deep: Evidence | undefined, deepObject: KubeObject | undefined, mirror: Evidence | undefined) => {
    const g = groups.get(cause) ?? { machines: [], evidence: [], symptoms: [] };
    groups.set(cause, g);
    g.machines.push(m);
    if (deep) g.target ??= deepObject;
    if (deep && deepObject) {
      g.evidence.push(...withEvents(ctx, deep, { kind: deepObject.kind, name: deepObject.metadata.name, uid: deepObject.metadata.uid }));
      if (mirror) g.symptoms.push(mirror);
      return;
    }
    // The Machine's own condition is the cause; the object it references, if discovery did not fetch it,
    // still has its events, found by the reference's kind and name.
    const reference = cause === 'machine-bootstrap-failed' ? m.spec?.bootstrap?.configRef : cause === 'machine-infrastructure-not-ready' ? m.spec?.infrastructureRef : undefined;
    g.evidence.push(...withEvents(ctx, mirror!, { kind: m.kind, name: m.metadata.name, uid: m.metadata.uid }), ...(reference ? eventEvidence(ctx, reference.kind, reference.name) : []));
  };
  for (const m of machines) {
    const infra = ctx.infraMachineOf(m);
    const infraDeep = failing(ctx, infra, 'Ready');
    const infraMirror = failing(ctx, m, 'InfrastructureReady');
    if (infraDeep || infraMirror) {
      add('machine-infrastructure-not-ready', m, infraDeep, infra, infraMirror);
      continue;
    }
    const config = ctx.bootstrapOf(m);
    const configDeep = failing(ctx, config, 'Ready', 'DataSecretAvailable');
    const configMirror = failing(ctx, m, 'BootstrapConfigReady');
    if (configDeep || configMirror) {
      add('machine-bootstrap-failed', m, configDeep, config, configMirror);
      continue;
    }
    const node = ctx.nodeOf(m);
    const nodeDeep = failing(ctx, node, 'Ready');
    const nodeMirror = failing(ctx, m, 'NodeReady', 'NodeHealthy');
    if (nodeDeep || nodeMirror) add('node-not-ready', m, nodeDeep, node, nodeMirror);
  }
  return [...groups]
    .sort(([a], [b]) => causes.indexOf(a) - causes.indexOf(b))
    .map(([cause, g]) => ({
      draft: leafDraft(ctx, cause, g.machines, g.evidence, g.symptoms, g.target),
      controlPlane: g.machines.some(ctx.isControlPlaneMachine),
      workers: g.machines.some((m) => !ctx.isControlPlaneMachine(m)),
    }));
}

function leafDraft(ctx: Context, cause: Cause, machines: KubeObject[], evidence: Evidence[], symptoms: Evidence[], target: KubeObject | undefined): Draft {
  const [e] = evidence;
  const m = machines[0]!;
  const what = { 'machine-infrastructure-not-ready': 'infrastructure of', 'machine-bootstrap-failed': 'bootstrap of', 'node-not-ready': 'Node of' }[cause as string] ?? '';
  const state = cause === 'machine-bootstrap-failed' ? 'failing' : 'not ready';
  const summary = `${what} ${count(machines.length, 'Machine')} ${state}${during(e, formatAge)}: ${e?.message ?? e?.reason ?? 'not reported'}`;
  const refArgs = (r: { kind?: unknown; name?: unknown } | undefined) => ({ kind: clean(target?.kind ?? r?.kind, 63) ?? 'Object', namespace: ctx.namespace, name: clean(target?.metadata.name ?? r?.name) ?? '' });
  const next =
    cause === 'machine-infrastructure-not-ready'
      ? { step: 'check-infrastructure' as const, args: refArgs(m.spec?.infrastructureRef) }
      : cause === 'machine-bootstrap-failed'
        ? { step: 'check-bootstrap' as const, args: refArgs(m.spec?.bootstrap?.configRef) }
        : {
            step: 'check-nodes' as const,
            args: {
              namespace: ctx.namespace,
              name: ctx.name,
              ...(typeof m.status?.nodeRef?.name === 'string' ? { node: clean(m.status.nodeRef.name)! } : {}),
              // The Machine to replace if the Node does not come back and no health check replaces it.
              ...(clean(m.metadata.name) ? { machine: clean(m.metadata.name)! } : {}),
            },
          };
  return { ...draft(cause, summary, evidence, next), symptoms };
}

/** The fallback when the cluster is not Available and no check names why: what CAPI says. */
function notAvailable(ctx: Context): Draft {
  const c = getCondition(ctx.cluster, 'Available');
  const e = c ? conditionEvidence(ctx, ctx.cluster, c) : { object: ref(ctx.cluster), condition: 'Available', message: 'not reported yet' };
  return draft('cluster-not-available', `not Available${during(e, formatAge)}: ${clean(whyNotAvailable(ctx.cluster)) ?? 'not reported yet'}`, [e], {
    step: 'describe-cluster',
    args: { namespace: ctx.namespace, name: ctx.name },
  });
}

const severityOf: Partial<Record<Cause, Finding['severity']>> = { paused: 'warning', deleting: 'info', 'machine-remediating': 'warning' };

function draft(cause: Cause, summary: string, evidence: Evidence[], next: Draft['next']): Draft {
  return { cause, severity: severityOf[cause] ?? 'error', summary, evidence, symptoms: [], next };
}

/** The draft as a finding: summary cut, evidence deduplicated and bounded, symptoms one per object. */
function bounded(d: Draft): Finding {
  const causeObjects = new Set(d.evidence.map((e) => e.object));
  const seen = new Set<string>();
  const symptoms = d.symptoms.filter((e) => {
    if (causeObjects.has(e.object) || seen.has(e.object)) return false;
    seen.add(e.object);
    return true;
  });
  const kept = d.evidence.slice(0, maxCauseEvidence);
  const all = [...kept, ...symptoms.slice(0, maxEvidence - kept.length).map((e) => ({ ...e, symptom: true as const }))];
  return {
    severity: d.severity,
    cause: d.cause,
    summary: clean(d.summary, 240) ?? d.cause,
    evidence: all,
    omitted: d.evidence.length + symptoms.length - all.length,
    next: d.next,
  };
}
