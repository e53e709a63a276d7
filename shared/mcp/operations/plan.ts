/**
 * The answer of a tool that starts operations when it is called with `dry_run: true`: every check, guard
 * and server-side dry run ran as for the real call, nothing started, and the plan says what the real call
 * would do — the exact change the API server accepted (shared/capi/field-changes.ts), the Machines it
 * creates, replaces or removes (shared/capi/machine-impact.ts), the guards that passed, and the call that
 * makes it. The domain decides; this file phrases.
 */
import { z } from 'zod';
import { fieldChanges } from '../../capi/field-changes.ts';
import { allMachines, controlPlaneRemovals, deletionOrderOf, machineDeploymentOfPool, poolOf, workerRemovals, type MachineRef, type Removal } from '../../capi/machine-impact.ts';
import type { ReplicaChange } from '../../capi/protection.ts';
import { wrapError } from '../../errors.ts';
import type { KubeClient, KubeObject } from '../../kube/client.ts';
import { listClusterMachines } from '../../kube/discovery.ts';
import { toolOutput } from '../arguments.ts';
import { listedByFieldNames, outputObject, unlisted } from '../schemas.ts';
import { operationFields } from './schema.ts';

/** What a server-side dry run of one object came to: the object as it is (none for a create) and as it would be. */
export interface Accepted {
  readonly before?: KubeObject;
  readonly after: KubeObject;
}

/**
 * Note: listed as an object with a description, not its fields: four tools list it, and at ~80 tokens
 * each the fields would take a tenth of issue 14's tools/list budget; each field is a list of lines (or
 * one line) an agent reads as text, and zod still holds the answer to them.
 */
const planSchema = unlisted(outputObject({
  changes: z.array(z.string()),
  machines: z.array(z.string()),
  replaced: z.array(z.string()).optional(),
  removed: z.array(z.string()).optional(),
  guards: z.array(z.string()),
  call: z.string(),
}), 'properties').describe('With dry_run: changes, machines, guards, call');

export type PlanView = z.output<typeof planSchema>;

/**
 * The output of a tool that starts operations: the operation it started or joined, or with dry_run only
 * `plan`. Note: the root's `required` is not listed (toolOutput), so one schema serves both answers on
 * the wire; zod still holds each answer to one of the two shapes.
 */
export const operationOrPlanSchema = listedByFieldNames(
  toolOutput(
    z
      .object({ ...z.object(operationFields).partial().shape, plan: planSchema.optional() })
      .refine((o) => (o.plan === undefined) !== (o.operation_id === undefined), 'an operation or a plan, not both')
      .refine((o) => o.plan !== undefined || z.object(operationFields).safeParse(o).success, 'an operation has every operation field'),
  ),
);

/** What a plan says about Machines: lines for people, and the names replaced or removed when they are known. */
export interface MachinePlan {
  readonly lines: readonly string[];
  readonly replaced?: readonly MachineRef[];
  readonly removed?: readonly string[];
}

/** A call's arguments as JSON longer than this are not repeated in `call`. */
const maxCallChars = 2000;

export function planResult(tool: string, args: Record<string, unknown>, accepted: readonly Accepted[], machines: MachinePlan, guards: readonly string[]) {
  const changes = accepted.flatMap(({ before, after }) => {
    const what = `${after.kind} ${after.metadata.namespace}/${after.metadata.name}`;
    const { changes: listed, total } = fieldChanges(before, after);
    const lines = listed.map((c) => `${what}: ${c.path} ${'from' in c ? short(c.from) : '(none)'} → ${'to' in c ? short(c.to) : '(removed)'}`);
    return total > listed.length ? [...lines, `${what}: and ${total - listed.length} more fields`] : lines;
  });
  const { dry_run: _, ...real } = args;
  const json = JSON.stringify(real);
  const call = `${tool} ${json.length <= maxCallChars ? json : '(the same arguments)'} without dry_run`;
  const plan: PlanView = {
    changes,
    machines: [...machines.lines],
    ...(machines.replaced ? { replaced: machines.replaced.map((m) => m.name) } : {}),
    ...(machines.removed ? { removed: [...machines.removed] } : {}),
    guards: [...guards],
    call,
  };
  const text = [
    `dry run of ${tool}: nothing applied, no operation started`,
    ...section('change (accepted by the API server)', changes.length > 0 ? changes : ['(no field changes)']),
    ...section('machines', plan.machines),
    ...section('guards passed', plan.guards),
    `Next: to make it, call ${call}`,
  ].join('\n');
  return { structured: { plan }, text };
}

const section = (title: string, lines: readonly string[]) => [`${title}:`, ...lines.map((l) => `  ${l}`)];

/** A value as one short token of a diff line. */
function short(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length <= 120 ? text : `${text.slice(0, 117)}...`;
}

/** The cluster's Machines (one LIST by the cluster-name label). */
export async function machinesOf(kube: KubeClient, namespace: string, name: string): Promise<KubeObject[]> {
  try {
    return await listClusterMachines(kube, namespace, name);
  } catch (error) {
    throw wrapError(`failed to list the Machines of cluster ${namespace}/${name}`, error);
  }
}

/** Machines an upgrade replaces, as lines and names. */
export function replacementPlan(replaced: readonly MachineRef[], version: string): MachinePlan {
  const lines = replaced.length === 0 ? [`no Machine to replace: every one runs ${version} already`] : replaced.map((m) => `replace ${m.name} (${m.pool}, ${m.version ?? 'no version'} → ${version})`);
  return { lines, replaced };
}

/** Machines a rollout of `pool` replaces: every live one of it, one by one as its strategy says. */
export function rolloutPlan(machines: readonly KubeObject[], pool: string): MachinePlan {
  const replaced = allMachines(machines.filter((m) => poolOf(m) === pool && !m.metadata.deletionTimestamp));
  const lines = replaced.length === 0 ? [`${pool}: no Machine to replace`] : replaced.map((m) => `replace ${m.name} (${m.pool}, same version)`);
  return { lines, replaced };
}

/**
 * What each replica change does to Machines: a scale-up creates them, a scale-down removes those the
 * controllers pick (named when knowable). `machineDeployments` gives each worker pool's deletion order.
 */
export function scalePlan(replicas: readonly ReplicaChange[], machines: readonly KubeObject[], machineDeployments: readonly KubeObject[], now: Date): MachinePlan {
  const lines: string[] = [];
  const removed: string[] = [];
  for (const change of replicas) {
    const pool = change.target === 'the control plane' ? 'control plane' : /^worker pool "(.*)"$/.exec(change.target)?.[1] ?? change.target;
    if (change.to === change.from) lines.push(`${change.target}: stays at ${change.to}`);
    else if (change.to > change.from) lines.push(`${change.target}: create ${change.to - change.from} Machine(s) (${change.from} → ${change.to})`);
    else {
      const ofPool = machines.filter((m) => poolOf(m) === pool);
      const md = machineDeploymentOfPool(machineDeployments, pool);
      const removal: Removal = pool === 'control plane' ? controlPlaneRemovals(ofPool, change.from - change.to) : workerRemovals(pool, ofPool, change.from - change.to, deletionOrderOf(md), now);
      if (removal.machines) {
        removed.push(...removal.machines);
        lines.push(`${change.target}: remove ${removal.machines.join(', ')} (${change.from} → ${change.to}; ${removal.rule})`);
      } else lines.push(`${change.target}: remove ${removal.count} Machine(s) (${change.from} → ${change.to}); which is not knowable now: ${removal.unknowable}; ${removal.rule}`);
    }
  }
  return { lines, removed };
}

/** Machines a create makes: the control plane's (when it has a count) and each worker pool's. */
export function creationPlan(controlPlaneReplicas: number | undefined, workers: readonly { readonly name: string; readonly replicas: number }[]): MachinePlan {
  return {
    lines: [
      ...(controlPlaneReplicas !== undefined ? [`control plane: create ${controlPlaneReplicas} Machine(s)`] : ['control plane: sized by its provider, no Machines']),
      ...workers.map((w) => `worker pool "${w.name}": create ${w.replicas} Machine(s)`),
    ],
  };
}

/** Machines a delete removes: all of them. */
export function deletionPlan(machines: readonly MachineRef[]): MachinePlan {
  return { lines: machines.length > 0 ? machines.map((m) => `delete ${m.name} (${m.pool})`) : ['no Machines'], removed: machines.map((m) => m.name) };
}
