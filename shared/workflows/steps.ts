/**
 * The workflow's task steps, as the step Lambda (and the local engine) run them: Apply makes the change,
 * Poll reads the Cluster and returns a verdict. Transient API failures are thrown as TransientError so
 * the state machine's Retry (with backoff) handles them; anything else fails the step and is caught.
 * Before any API call, either step checks that its operation is a plan (operation.ts, `plannedWrites`):
 * an input that would write another kind, namespace or cluster fails the execution, never retried.
 */
import { CapiMcpError, ErrorCode, isNotFound, messageOf } from '../errors.ts';
import { changeRefusal } from '../capi/protection.ts';
import { getIfExists, type KubeClient } from '../kube/client.ts';
import { listClusterMachines } from '../kube/discovery.ts';
import { Kinds } from '../kube/kinds.ts';
import { remediationPlan } from '../capi/remediation.ts';
import type { ManagementClusters } from '../kube/management-clusters.ts';
import { applyAttempts, applyOwned, isStale, liveOrRefused } from '../kube/owned-apply.ts';
import type { Log } from '../observability/log.ts';
import { capiMcpFieldManagers, fieldManagerOf, needsMachines, planProblems, verdict, type Operation, type Verdict } from './operation.ts';

/** The error name the state machine retries on. */
export const transientErrorName = 'TransientError';

export type StepEvent =
  | { readonly step: 'apply'; readonly operation: Operation }
  | { readonly step: 'poll'; readonly operation: Operation; readonly startedAt: string; readonly timeoutSeconds: number };

/**
 * What a step uses, and only that: the clusters to act on, the clock for the timeout and a log for its
 * failures. Note: not shared/deps.ts's whole Deps, which is built from a workflow engine, a layer above.
 */
export interface StepDeps {
  readonly clusters: Pick<ManagementClusters, 'client'>;
  readonly now: () => Date;
  readonly log: Pick<Log, 'warn'>;
}

export async function runStep(event: StepEvent, deps: StepDeps): Promise<{ applied: string } | Verdict> {
  try {
    const problems = planProblems(event.operation);
    if (problems.length > 0) {
      throw new CapiMcpError(ErrorCode.InvalidInput, `refusing the ${event.step} step of operation ${label(event.operation)}: ${problems.join('; ')}`);
    }
    const { namespace, name } = event.operation;
    const kube = deps.clusters.client(event.operation.managementCluster);
    if (event.step === 'apply') {
      if (event.operation.action === 'delete') return { applied: await deleteJudged(kube, event.operation) };
      if (event.operation.action === 'remediate') return { applied: await deleteMachineJudged(kube, event.operation) };
      if (event.operation.action === 'rollout' || event.operation.action === 'scale') await refuseOtherPools(kube, event.operation);
      const objects = [...(event.operation.cluster ? [event.operation.cluster] : []), ...(event.operation.objects ?? [])];
      if (objects.length === 0) throw new CapiMcpError(ErrorCode.InvalidInput, `the ${event.operation.action} operation of ${namespace}/${name} has nothing to apply`);
      // Never forced over another field manager: a field someone else owns fails the step as a Conflict.
      const existing = event.operation.action !== 'create';
      for (const obj of objects) {
        try {
          await applyOwned(kube, obj, { fieldManager: fieldManagerOf(event.operation.action), mayTakeFrom: capiMcpFieldManagers, existing });
        } catch (error) {
          // Another writer won every race (a provisioning Cluster's status is written several times a
          // second): not a refusal, so the state machine retries the step later, from a fresh read.
          if (!isStale(error)) throw error;
          throw new CapiMcpError(ErrorCode.Upstream, `${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name} changed under each of ${applyAttempts} applies; retrying later`, { cause: error });
        }
      }
      return { applied: `${event.operation.action} of ${namespace}/${name} applied` };
    }
    const [cluster, machines] = await Promise.all([
      getIfExists(kube, Kinds.Cluster, namespace, name),
      needsMachines(event.operation) ? listClusterMachines(kube, namespace, name) : Promise.resolve([]),
    ]);
    const result = verdict(event.operation, cluster, machines);
    const elapsed = (deps.now().getTime() - Date.parse(event.startedAt)) / 1000;
    if (result.state === 'progressing' && elapsed > event.timeoutSeconds) {
      return { state: 'timedOut', reason: `not converged after ${Math.round(elapsed)}s (timeout ${event.timeoutSeconds}s); last seen: ${result.reason}` };
    }
    return result;
  } catch (error) {
    const failure = classify(error);
    // One line per failed step, so an outage (retried) or a refusal (final) can be found by operation.
    deps.log.warn('workflow step failed', {
      step: event.step,
      operation: label(event.operation),
      retried: failure.name === transientErrorName,
      error: failure.message,
    });
    throw failure;
  }
}

/**
 * The delete, judged again on the very object it deletes. The tool judged the Cluster when the operation
 * started, but a prevent-deletion label or a GitOps owner may have come since, or the cluster been
 * replaced by another of the same name. So the step reads it, refuses one whose UID is not the judged
 * one, applies the same guard (shared/capi/protection.ts) and deletes exactly that object at that
 * resourceVersion: a change in between (controllers write status often) answers Conflict and the step
 * reads and judges again.
 */
async function deleteJudged(kube: KubeClient, operation: Operation): Promise<string> {
  const { namespace, name } = operation;
  for (let attempt = 1; ; attempt++) {
    const current = await getIfExists(kube, Kinds.Cluster, namespace, name);
    if (!current) return `${namespace}/${name} is already gone`;
    const { uid, resourceVersion } = current.metadata;
    if (!uid || !resourceVersion) throw new CapiMcpError(ErrorCode.Upstream, `the API server returned Cluster ${namespace}/${name} without a UID or resourceVersion`);
    if (operation.uid && uid !== operation.uid) {
      throw new CapiMcpError(ErrorCode.Conflict, `cluster ${namespace}/${name} was replaced since its deletion was asked (UID ${operation.uid} is now ${uid}); nothing was deleted`, {
        next: 'check-cluster-then-delete',
      });
    }
    const refusal = changeRefusal({ action: 'delete' }, [current]);
    if (refusal) throw new CapiMcpError(ErrorCode.Forbidden, `refusing to delete cluster ${namespace}/${name}: ${refusal.reason}`, { hint: refusal.hint });
    try {
      await kube.delete(Kinds.Cluster, namespace, name, { preconditions: { uid, resourceVersion } });
      return `deletion of ${namespace}/${name} requested`;
    } catch (error) {
      if (isNotFound(error)) return `${namespace}/${name} is already gone`;
      if (!(error instanceof CapiMcpError && error.code === ErrorCode.Conflict)) throw error;
      if (attempt >= maxDeleteAttempts) {
        throw new CapiMcpError(ErrorCode.Upstream, `Cluster ${namespace}/${name} changed under each of ${attempt} deletions; retrying later`);
      }
    }
  }
}

/**
 * The remediation, judged again on the Machine it deletes: the tool judged it when the operation started,
 * but another remediation of its pool may have begun since. The step reads the Machine and its cluster's
 * Machines, refuses one whose UID is not the judged one (a replacement of the same name is not the one
 * asked for), applies the same rules (shared/capi/remediation.ts) and deletes exactly that object.
 */
async function deleteMachineJudged(kube: KubeClient, operation: Operation): Promise<string> {
  const { namespace, name } = operation;
  const target = operation.machine!;
  const [machine, machines] = await Promise.all([getIfExists(kube, Kinds.Machine, namespace, target.name), listClusterMachines(kube, namespace, name)]);
  if (!machine || machine.metadata.uid !== target.uid) return `Machine ${namespace}/${target.name} (UID ${target.uid}) is already gone`;
  const { problems } = remediationPlan(name, machine, machines, undefined);
  if (problems.length > 0) throw new CapiMcpError(ErrorCode.Conflict, `refusing to remediate Machine ${namespace}/${target.name}: ${problems.join('; ')}`);
  try {
    await kube.delete(Kinds.Machine, namespace, target.name, { preconditions: { uid: target.uid } });
  } catch (error) {
    if (isNotFound(error)) return `Machine ${namespace}/${target.name} is already gone`;
    throw error;
  }
  return `deletion of Machine ${namespace}/${target.name} requested; its owner replaces it`;
}

/**
 * A rollout or a scale names the topology's pools by name and class (SSA merges them by name), so the
 * table lets it carry both; but as a write, a name the Cluster lacks adds a pool and another class
 * rebuilds one's Machines from another template. The tools only name pools as they are; an input that
 * names any other is refused before the apply.
 */
async function refuseOtherPools(kube: KubeClient, operation: Operation): Promise<void> {
  const named = (operation.cluster?.spec?.topology?.workers?.machineDeployments ?? []) as { name?: unknown; class?: unknown }[];
  if (named.length === 0) return;
  const current = liveOrRefused(await getIfExists(kube, Kinds.Cluster, operation.namespace, operation.name), 'Cluster', operation.namespace, operation.name);
  const pools = new Map(((current?.spec?.topology?.workers?.machineDeployments ?? []) as { name: string; class: string }[]).map((p) => [p.name, p.class]));
  const other = named.filter((p) => typeof p.name !== 'string' || pools.get(p.name) !== p.class).map((p) => `"${String(p.name).slice(0, 63)}" (class ${String(p.class).slice(0, 63)})`);
  if (other.length > 0) {
    throw new CapiMcpError(ErrorCode.InvalidInput, `refusing the apply step of operation ${label(operation)}: a ${operation.action} changes only pools the Cluster has, with their class; it has no ${other.slice(0, 3).join(', ')}`);
  }
}

/** Reads and judgements of a delete whose Cluster keeps changing, before the step fails as transient (retried with backoff). */
const maxDeleteAttempts = 5;

/** `<action> <namespace>/<name>`, bounded: the input may be anything. */
function label(operation: Partial<Operation> | undefined): string {
  return `${String(operation?.action)} ${String(operation?.namespace)}/${String(operation?.name)}`.slice(0, 600);
}

/** Timeouts and upstream failures are worth retrying; invalid input or a refusal is not. */
function classify(error: unknown): Error {
  const transient = error instanceof CapiMcpError ? error.code === ErrorCode.Timeout || error.code === ErrorCode.Upstream : true;
  const out = new Error(messageOf(error), { cause: error });
  out.name = transient ? transientErrorName : error instanceof CapiMcpError ? error.code : 'StepError';
  return out;
}
