/**
 * How a diagnosis reads objects: every string it carries is bounded and made one line here, and the
 * indexes that tie a Machine to its infrastructure machine, bootstrap config, Node and events are built
 * once. Everything read comes from a cluster a tenant can write: it is cut and carried, never interpreted.
 */
import type { KubeObject } from '../kube/client.ts';
import { firstLine, getCondition, oneLine, type Condition } from './conditions.ts';
import type { DiagnosisInput, Evidence } from './diagnosis-model.ts';
import { warningOf } from './events.ts';

/** The longest message, object reference or argument a finding carries. */
export const maxText = 200;
/** The longest condition type, reason, event reason or field name. */
const maxWord = 64;
/** How much of a message is read at all: its first line, a variable's name, come from the start. */
export const maxRead = 4096;

/**
 * `value` as one bounded line (oneLine: no tenant-written text can start a line of the answer); not a
 * string, or nothing but blanks, is nothing. Only the start is read: a 1 MiB message costs what 1 KiB does.
 */
export function clean(value: unknown, max = maxText): string | undefined {
  if (typeof value !== 'string') return undefined;
  const line = oneLine(value.slice(0, max * 4), max);
  return line === '' ? undefined : line;
}

/** The first line of a condition or event message, bounded. */
export const messageLine = (message: unknown): string | undefined => (typeof message === 'string' ? clean(firstLine(message.slice(0, maxRead))) : undefined);

/** A timestamp as written, if it is one. */
export function timestamp(value: unknown): string | undefined {
  return typeof value === 'string' && value.length <= 40 && !Number.isNaN(Date.parse(value)) ? value : undefined;
}

/** "Kind/name" of an object or reference, bounded. */
export function refOf(kind: unknown, name: unknown): string {
  return `${clean(kind, 63) ?? 'Object'}/${clean(name, maxText - 64) ?? '?'}`;
}
export const ref = (o: KubeObject): string => refOf(o.kind, o.metadata?.name);

/** Only the keys whose value is defined (JSON has no undefined). */
export function defined<T extends Record<string, unknown>>(fields: T): T {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as T;
}

export interface Context {
  readonly input: DiagnosisInput;
  readonly now: Date;
  readonly cluster: KubeObject;
  readonly namespace: string;
  readonly name: string;
  /** Seconds from a timestamp to now; undefined for no timestamp. */
  readonly since: (time: string | undefined) => number | undefined;
  readonly infraMachineOf: (machine: KubeObject) => KubeObject | undefined;
  readonly bootstrapOf: (machine: KubeObject) => KubeObject | undefined;
  readonly nodeOf: (machine: KubeObject) => KubeObject | undefined;
  /** Warning events about an object, newest first, by uid or else by kind and name. */
  readonly eventsOf: (kind: unknown, name: unknown, uid?: string) => readonly KubeObject[];
  readonly isControlPlaneMachine: (machine: KubeObject) => boolean;
}

export function contextOf(input: DiagnosisInput, now: Date): Context {
  const byKindName = (list: readonly KubeObject[] | undefined) => new Map((list ?? []).map((o) => [`${o.kind}/${o.metadata?.name}`, o]));
  const infraMachines = byKindName(input.infrastructureMachines);
  const bootstrapConfigs = byKindName(input.bootstrapConfigs);
  const nodes = new Map((input.nodes ?? []).map((n) => [n.metadata?.name, n]));
  const events = new Map<string, KubeObject[]>();
  for (const e of input.warnings) {
    const involved = e.involvedObject as { uid?: unknown; kind?: unknown; name?: unknown } | undefined;
    for (const key of [involved?.uid, `${involved?.kind}/${involved?.name}`]) {
      if (typeof key === 'string') events.set(key, [...(events.get(key) ?? []), e]);
    }
  }
  const cpUid = input.controlPlane?.metadata?.uid;
  return {
    input,
    now,
    cluster: input.cluster,
    namespace: clean(input.cluster.metadata?.namespace) ?? '',
    name: clean(input.cluster.metadata?.name) ?? '',
    since: (time) => {
      const at = time === undefined ? NaN : Date.parse(time);
      return Number.isNaN(at) ? undefined : Math.max(0, Math.floor((now.getTime() - at) / 1000));
    },
    infraMachineOf: (m) => infraMachines.get(`${m.spec?.infrastructureRef?.kind}/${m.spec?.infrastructureRef?.name}`),
    bootstrapOf: (m) => bootstrapConfigs.get(`${m.spec?.bootstrap?.configRef?.kind}/${m.spec?.bootstrap?.configRef?.name}`),
    nodeOf: (m) => (typeof m.status?.nodeRef?.name === 'string' ? nodes.get(m.status.nodeRef.name) : undefined),
    eventsOf: (kind, name, uid) => (uid && events.get(uid)) || events.get(`${kind}/${name}`) || [],
    isControlPlaneMachine: (m) =>
      (cpUid !== undefined && (m.metadata?.ownerReferences ?? []).some((r) => r.uid === cpUid)) || m.metadata?.labels?.['cluster.x-k8s.io/control-plane'] !== undefined,
  };
}

/** Evidence of one condition of `o`. */
export function conditionEvidence(ctx: Context, o: KubeObject, condition: Condition): Evidence {
  const since = timestamp(condition.lastTransitionTime);
  return defined({
    object: ref(o),
    condition: clean(condition.type, maxWord),
    status: clean(condition.status, 8),
    reason: clean(condition.reason, maxWord),
    message: messageLine(condition.message),
    since,
    forSeconds: ctx.since(since),
  });
}

/** The condition `type` of `o` when its status is `status` (False: it fails). */
export function conditionIs(o: KubeObject | undefined, type: string, status: Condition['status'] = 'False'): Condition | undefined {
  const c = getCondition(o, type);
  return c?.status === status ? c : undefined;
}

/** Evidence of the first of `types` that is False on `o`, or nothing. */
export function failing(ctx: Context, o: KubeObject | undefined, ...types: string[]): Evidence | undefined {
  for (const type of types) {
    const c = conditionIs(o, type);
    if (o && c) return conditionEvidence(ctx, o, c);
  }
  return undefined;
}

/** Evidence of a field of `o`, e.g. spec.paused or its finalizers. */
export function fieldEvidence(ctx: Context, o: KubeObject, field: string, message?: string, since?: string): Evidence {
  const at = timestamp(since);
  return defined({ object: ref(o), field: clean(field, maxWord), message: clean(message), since: at, forSeconds: ctx.since(at) });
}

/** The two newest Warning events about an object, as evidence, each field bounded as get_cluster bounds it (warningOf). */
export function eventEvidence(ctx: Context, kind: unknown, name: unknown, uid?: string): Evidence[] {
  return ctx.eventsOf(kind, name, uid).slice(0, 2).map((e) => {
    const w = warningOf(e);
    return defined({
      object: refOf(kind, name),
      event: w.reason || 'Warning',
      message: w.message || undefined,
      since: timestamp(w.lastSeen) ?? timestamp(e.metadata?.creationTimestamp),
      count: w.count,
    });
  });
}

/** `evidence` of an object followed by its Warning events. */
export function withEvents(ctx: Context, evidence: Evidence, o: { kind?: unknown; name?: unknown; uid?: string }): Evidence[] {
  return [evidence, ...eventEvidence(ctx, o.kind, o.name, o.uid)];
}

/** Finalizers of an object, only the strings. */
export function finalizersOf(o: KubeObject): string[] {
  const list = (o.metadata as { finalizers?: unknown } | undefined)?.finalizers;
  return Array.isArray(list) ? list.filter((f): f is string => typeof f === 'string') : [];
}

/** "1 Machine", "3 Machines". */
export const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** " for 30m" from evidence that knows how long, or nothing. */
export function during(e: Evidence | undefined, format: (seconds: number) => string): string {
  return e?.forSeconds === undefined ? '' : ` for ${format(e.forSeconds)}`;
}
