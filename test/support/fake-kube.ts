/**
 * A fake management cluster for unit tests of what is pure decision: a `KubeClient` backed by an
 * in-memory object table, a `WorkflowEngine` that records what it is asked, and the `ToolDeps` a tool
 * handler gets, built around both. The sandbox tests stay for what needs real controllers; these
 * answer the questions a tool asks of a cluster the way an API server would, and nothing more.
 *
 * Note: failures are made by the real mapping of an HTTP status to a CapiMcpError
 * (shared/kube/http-errors.ts), with the Kubernetes Status body as its cause, so code that reads a
 * cause (a 410 for an expired continue token, the field-manager conflicts of an apply) sees what it
 * would see from client-node.
 */
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { Caller } from '../../shared/auth/scopes.ts';
import type { Deps } from '../../shared/deps.ts';
import assert from 'node:assert/strict';
import { CapiMcpError, ErrorCode } from '../../shared/errors.ts';
import { toCapiMcpError } from '../../shared/kube/http-errors.ts';
import { Kinds } from '../../shared/kube/kinds.ts';
import type { ManagementClusters } from '../../shared/kube/management-clusters.ts';
import type { KubeClient, KubeObject, KubeSecret, ListOptions, ListResult, ResourceRef } from '../../shared/kube/types.ts';
import { cursorsFor } from '../../shared/mcp/cursor.ts';
import type { ToolDefinition, ToolDeps, ToolOutput } from '../../shared/mcp/tool.ts';
import { silentLog } from '../../shared/observability/log.ts';
import type { Metrics } from '../../shared/observability/metrics.ts';
import { canonicalJson } from '../../shared/workflows/canonical-json.ts';
import { ExecutionAlreadyExists, executionBaseName, listLimit, mayBeInNamespaces, type ExecutionRecord, type ListQuery, type WorkflowEngine } from '../../shared/workflows/engine.ts';
import type { OperationAction, WorkflowInput } from '../../shared/workflows/operation.ts';
import { StateNames } from '../../shared/workflows/states.ts';

export type Verb = 'list' | 'get' | 'resolve' | 'readSecret' | 'listEvents' | 'listNodes' | 'ping' | 'apply' | 'create' | 'delete';

/** One call the fake answered (or refused), as the test asserts on it. */
export interface KubeCall {
  readonly verb: Verb;
  readonly kind?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly dryRun?: boolean;
  readonly fieldManager?: string;
  readonly force?: boolean;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly limit?: number;
  readonly continueToken?: string;
  readonly preconditions?: { readonly uid: string; readonly resourceVersion?: string };
  /** What was applied or created, as sent. */
  readonly object?: KubeObject;
  /** `get Cluster/demo`, `list Machine`, `apply Cluster team-a/demo (dry run)`: for readable assertions. */
  readonly text: string;
}

/** Which calls a failure or a gate applies to: every field given must match. */
export interface CallMatch {
  readonly verb?: Verb;
  readonly kind?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly dryRun?: boolean;
}

/** The API server's refusal of `what` with an HTTP status and a Kubernetes Status body, as the real client maps it. */
export function apiFailure(what: string, status: number, body: Record<string, unknown> = {}): CapiMcpError {
  return toCapiMcpError(what, { code: status, body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: status, ...body }) });
}

/** A server-side apply refused because `manager` owns `fields` with other values (HTTP 409, FieldManagerConflict causes). */
export function fieldConflict(what: string, manager: string, fields: readonly string[]): CapiMcpError {
  return apiFailure(what, 409, {
    reason: 'Conflict',
    message: `Apply failed with ${fields.length} conflict(s)`,
    details: { causes: fields.map((field) => ({ reason: 'FieldManagerConflict', message: `conflict with "${manager}"`, field })) },
  });
}

const core = new Map<string, ResourceRef>(Object.values(Kinds).map((ref) => [ref.kind, ref]));

/** Where the fake serves a kind: the core kinds as Kinds says, any other in its group at v1beta2. */
function refOf(group: string, kind: string): ResourceRef {
  const known = core.get(kind);
  if (known && known.group === group) return known;
  const lower = kind.toLowerCase();
  return { group, version: 'v1beta2', plural: lower.endsWith('s') ? `${lower}es` : `${lower}s`, kind };
}

const keyOf = (kind: string | undefined, namespace: string | undefined, name: string) => `${kind}/${namespace ?? ''}/${name}`;

/**
 * The KubeClient. Objects keep the metadata a test gives them (no uid or resourceVersion is invented);
 * a write that persists sets the next resourceVersion. Every answer is a copy, so a handler that changes
 * what it read changes nothing here.
 */
export class FakeKube implements KubeClient {
  /** Every call, in the order they arrived. */
  readonly calls: KubeCall[] = [];
  private readonly objects = new Map<string, KubeObject>();
  private readonly secrets = new Map<string, KubeSecret>();
  private nodes: KubeObject[] = [];
  private readonly failures: { match: CallMatch; error: Error; times: number }[] = [];
  private readonly gates: { match: CallMatch; open: Promise<unknown> }[] = [];
  private version = 1000;

  /** Stores `objects` (each needs a kind and a name); returns this, for chaining. */
  add(...objects: KubeObject[]): this {
    for (const o of objects) this.objects.set(keyOf(o.kind, o.metadata.namespace, o.metadata.name), structuredClone(o));
    return this;
  }

  /** The stored object, or undefined. */
  object(kind: string, namespace: string, name: string): KubeObject | undefined {
    const found = this.objects.get(keyOf(kind, namespace, name));
    return found && structuredClone(found);
  }

  addSecret(namespace: string, name: string, secret: KubeSecret): this {
    this.secrets.set(`${namespace}/${name}`, structuredClone(secret));
    return this;
  }

  setNodes(nodes: KubeObject[]): this {
    this.nodes = structuredClone(nodes);
    return this;
  }

  /** Calls matching `match` fail with `error` (the next `times` of them; every one by default). */
  failOn(match: CallMatch, error: Error, times = Infinity): this {
    this.failures.push({ match, error, times });
    return this;
  }

  /** Calls matching `match` answer only once `open` resolves (to see what starts before what). */
  holdUntil(match: CallMatch, open: Promise<unknown>): this {
    this.gates.push({ match, open });
    return this;
  }

  /** The calls that changed something: applies, creates and deletes that were not dry runs. */
  writes(): KubeCall[] {
    return this.calls.filter((c) => (c.verb === 'apply' || c.verb === 'create' || c.verb === 'delete') && !c.dryRun);
  }

  /** The call texts, for assertions that read as a transcript. */
  transcript(): string[] {
    return this.calls.map((c) => c.text);
  }

  async list(ref: ResourceRef, options: ListOptions = {}): Promise<ListResult> {
    await this.arrive({
      verb: 'list',
      kind: ref.kind,
      ...defined({ namespace: options.namespace, labelSelector: options.labelSelector, fieldSelector: options.fieldSelector, limit: options.limit, continueToken: options.continueToken }),
      text: `list ${ref.kind}`,
    });
    const selected = matchesSelector(options.labelSelector);
    const all = [...this.objects.values()]
      .filter((o) => o.kind === ref.kind && (!options.namespace || o.metadata.namespace === options.namespace) && selected(o.metadata.labels ?? {}))
      .sort((a, b) => keyOf(a.kind, a.metadata.namespace, a.metadata.name).localeCompare(keyOf(b.kind, b.metadata.namespace, b.metadata.name)));
    const start = options.continueToken ? offsetOf(options.continueToken) : 0;
    const end = options.limit ? start + options.limit : all.length;
    const keep = options.keep ?? ((item: KubeObject) => item);
    const items = all.slice(start, end).map((o) => keep(structuredClone(o)));
    return { items, ...(end < all.length ? { continueToken: tokenOf(end) } : {}) };
  }

  async get(ref: ResourceRef, namespace: string, name: string): Promise<KubeObject> {
    await this.arrive({ verb: 'get', kind: ref.kind, namespace, name, text: `get ${ref.kind}/${name}` });
    const found = this.objects.get(keyOf(ref.kind, namespace, name));
    if (!found) throw notFound(`get ${ref.kind} ${namespace}/${name}`, ref, name);
    return structuredClone(found);
  }

  async resolve(group: string, kind: string): Promise<ResourceRef> {
    await this.arrive({ verb: 'resolve', kind, text: `resolve ${kind}` });
    return refOf(group, kind);
  }

  async readSecret(namespace: string, name: string): Promise<KubeSecret> {
    await this.arrive({ verb: 'readSecret', kind: 'Secret', namespace, name, text: `readSecret ${namespace}/${name}` });
    const found = this.secrets.get(`${namespace}/${name}`);
    if (!found) throw apiFailure(`read Secret ${namespace}/${name}`, 404, { reason: 'NotFound', message: `secrets "${name}" not found` });
    return structuredClone(found);
  }

  async listEvents(namespace: string, fieldSelector?: string): Promise<KubeObject[]> {
    await this.arrive({ verb: 'listEvents', kind: 'Event', namespace, ...defined({ fieldSelector }), text: 'list Event' });
    const wanted = (fieldSelector ?? '').split(',').filter(Boolean).map((s) => s.split('=') as [string, string]);
    return [...this.objects.values()]
      .filter((o) => o.kind === 'Event' && o.metadata.namespace === namespace && wanted.every(([field, value]) => (o as Record<string, unknown>)[field] === value))
      .map((o) => structuredClone(o));
  }

  async listNodes(): Promise<KubeObject[]> {
    await this.arrive({ verb: 'listNodes', kind: 'Node', text: 'list Node' });
    return structuredClone(this.nodes);
  }

  async ping(): Promise<void> {
    await this.arrive({ verb: 'ping', text: 'discover API groups' });
  }

  async apply(obj: KubeObject, options: { fieldManager: string; dryRun?: boolean; force?: boolean }): Promise<KubeObject> {
    const { namespace, name } = obj.metadata;
    await this.arrive({
      verb: 'apply',
      kind: obj.kind!,
      ...defined({ namespace }),
      name,
      dryRun: options.dryRun === true,
      fieldManager: options.fieldManager,
      force: options.force === true,
      object: structuredClone(obj),
      text: `apply ${obj.kind} ${namespace}/${name}${options.dryRun ? ' (dry run)' : ''}`,
    });
    const key = keyOf(obj.kind, namespace, name);
    const current = this.objects.get(key);
    const wanted = obj.metadata.resourceVersion;
    if (wanted !== undefined && wanted !== current?.metadata.resourceVersion) {
      throw apiFailure(`apply ${obj.kind} ${namespace}/${name}`, 409, { reason: 'Conflict', message: 'the object has been modified; please apply your changes to the latest version and try again' });
    }
    const merged = merge(current ?? {}, obj) as KubeObject;
    if (options.dryRun) return structuredClone(merged);
    merged.metadata.resourceVersion = String(++this.version);
    this.objects.set(key, merged);
    return structuredClone(merged);
  }

  async create(obj: KubeObject, options: { fieldManager: string; dryRun?: boolean }): Promise<KubeObject> {
    const { namespace, name } = obj.metadata;
    const what = `${options.dryRun ? 'validate the creation of' : 'create'} ${obj.kind} ${namespace}/${name}`;
    await this.arrive({
      verb: 'create',
      kind: obj.kind!,
      ...defined({ namespace }),
      name,
      dryRun: options.dryRun === true,
      fieldManager: options.fieldManager,
      object: structuredClone(obj),
      text: `create ${obj.kind} ${namespace}/${name}${options.dryRun ? ' (dry run)' : ''}`,
    });
    const key = keyOf(obj.kind, namespace, name);
    if (this.objects.has(key)) throw apiFailure(what, 409, { reason: 'AlreadyExists', message: `${refOf('', obj.kind!).plural} "${name}" already exists` });
    const created = { ...structuredClone(obj), metadata: { ...structuredClone(obj.metadata), resourceVersion: String(++this.version) } };
    if (!options.dryRun) this.objects.set(key, created);
    return structuredClone(created);
  }

  async delete(ref: ResourceRef, namespace: string, name: string, options: { dryRun?: boolean; preconditions?: { uid: string; resourceVersion?: string } } = {}): Promise<void> {
    const what = `${options.dryRun ? 'validate the deletion of' : 'delete'} ${ref.kind} ${namespace}/${name}`;
    await this.arrive({
      verb: 'delete',
      kind: ref.kind,
      namespace,
      name,
      dryRun: options.dryRun === true,
      ...defined({ preconditions: options.preconditions }),
      text: `delete ${ref.kind} ${namespace}/${name}${options.dryRun ? ' (dry run)' : ''}`,
    });
    const key = keyOf(ref.kind, namespace, name);
    const current = this.objects.get(key);
    if (!current) throw notFound(what, ref, name);
    // As the API server answers a failed precondition: 409, naming both values.
    const { uid, resourceVersion } = options.preconditions ?? {};
    if (uid !== undefined && uid !== current.metadata.uid) {
      throw apiFailure(what, 409, { reason: 'Conflict', message: `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${current.metadata.uid ?? ''}` });
    }
    if (resourceVersion !== undefined && resourceVersion !== current.metadata.resourceVersion) {
      throw apiFailure(what, 409, { reason: 'Conflict', message: `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion ?? ''}` });
    }
    if (!options.dryRun) this.objects.delete(key);
  }

  /** Records the call, waits for its gates, then fails it if a failure matches. */
  private async arrive(call: KubeCall): Promise<void> {
    this.calls.push(call);
    for (const gate of this.gates) if (matches(gate.match, call)) await gate.open;
    const failure = this.failures.find((f) => f.times > 0 && matches(f.match, call));
    if (failure) {
      failure.times--;
      throw failure.error;
    }
  }
}

function matches(match: CallMatch, call: KubeCall): boolean {
  return (Object.keys(match) as (keyof CallMatch)[]).every((k) => match[k] === call[k]);
}

function notFound(what: string, ref: ResourceRef, name: string): CapiMcpError {
  return apiFailure(what, 404, { reason: 'NotFound', message: `${ref.plural}.${ref.group} "${name}" not found` });
}

const tokenOf = (offset: number) => Buffer.from(JSON.stringify({ fake: offset })).toString('base64url');

function offsetOf(token: string): number {
  const offset = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { fake?: unknown }).fake;
  if (typeof offset !== 'number') throw apiFailure('list', 400, { reason: 'BadRequest', message: 'continue key is not valid' });
  return offset;
}

/** Fields whose value is not undefined (the call records read as what was passed). */
function defined<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A label selector as the API server reads one: `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x,y)`. */
export function matchesSelector(selector: string | undefined): (labels: Record<string, string>) => boolean {
  const requirements = (selector ?? '').split(/,(?![^(]*\))/).map((s) => s.trim()).filter(Boolean).map((term) => {
    const set = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (set) {
      const values = set[3]!.split(',').map((v) => v.trim());
      return (l: Record<string, string>) => (set[2] === 'in') === (l[set[1]!] !== undefined && values.includes(l[set[1]!]!));
    }
    const compare = /^([^\s!=]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
    if (compare) return (l: Record<string, string>) => (compare[2] === '!=') !== (l[compare[1]!] === compare[3]);
    if (term.startsWith('!')) return (l: Record<string, string>) => l[term.slice(1)] === undefined;
    return (l: Record<string, string>) => l[term] !== undefined;
  });
  return (labels) => requirements.every((r) => r(labels));
}

/**
 * `patch` laid over `base`, objects merged key by key, lists of named objects item by item by name (as
 * SSA merges a list-map such as a topology's machineDeployments or variables: a patch of one pool leaves
 * the others and its other fields alone), anything else replaced (enough of SSA for a fake).
 */
function merge(base: unknown, patch: unknown): unknown {
  if (isNamedList(base) && isNamedList(patch)) {
    const out = structuredClone(base);
    for (const item of patch) {
      const at = out.findIndex((o) => o.name === item.name);
      if (at >= 0) out[at] = merge(out[at], item) as Record<string, unknown>;
      else out.push(structuredClone(item));
    }
    return out;
  }
  if (typeof base !== 'object' || base === null || Array.isArray(base) || typeof patch !== 'object' || patch === null || Array.isArray(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = structuredClone(base as Record<string, unknown>);
  for (const [k, v] of Object.entries(patch)) out[k] = merge(out[k], v);
  return out;
}

const isNamedList = (v: unknown): v is Record<string, unknown>[] =>
  Array.isArray(v) && v.length > 0 && v.every((i) => typeof i === 'object' && i !== null && !Array.isArray(i) && typeof (i as { name?: unknown }).name === 'string');

/**
 * A WorkflowEngine with Step Functions' StartExecution semantics (as the local engine has them) that
 * runs nothing: executions stay where a test puts them, and every call is recorded.
 */
export class FakeWorkflows implements WorkflowEngine {
  /** The executions started: a start that joined a running one or was refused as existing is not one. */
  readonly starts: { name: string; input: WorkflowInput }[] = [];
  readonly describes: string[] = [];
  readonly lists: ListQuery[] = [];
  readonly stops: { name: string; cause: string }[] = [];
  private readonly records = new Map<string, ExecutionRecord>();
  private readonly now: () => Date;

  constructor(now: () => Date = () => new Date()) {
    this.now = now;
  }

  /** Puts an execution in the engine as if it had run (or runs) so far. */
  seed(record: ExecutionRecord): this {
    this.records.set(record.name, structuredClone(record));
    return this;
  }

  record(name: string): ExecutionRecord | undefined {
    return this.records.get(name);
  }

  /** Moves an execution on (its status, step, verdict), as the running workflow would. */
  update(name: string, fields: Partial<ExecutionRecord>): this {
    this.records.set(name, { ...this.records.get(name)!, ...fields });
    return this;
  }

  async start(name: string, input: WorkflowInput): Promise<ExecutionRecord> {
    const existing = this.records.get(name);
    if (existing) {
      if (existing.status === 'RUNNING' && canonicalJson(existing.input) === canonicalJson(input)) return existing;
      throw new ExecutionAlreadyExists(name);
    }
    const record: ExecutionRecord = { name, input: structuredClone(input), status: 'RUNNING', startedAt: this.now().toISOString(), currentStep: StateNames.apply };
    this.records.set(name, record);
    this.starts.push({ name, input: structuredClone(input) });
    return record;
  }

  async describe(name: string, visible?: (input: WorkflowInput) => boolean): Promise<ExecutionRecord | undefined> {
    this.describes.push(name);
    const record = this.records.get(name);
    return record && (!visible || visible(record.input)) ? record : undefined;
  }

  async list(query: ListQuery = {}): Promise<ExecutionRecord[]> {
    this.lists.push(query);
    const { namespaces, visible, status, limit = listLimit } = query;
    return [...this.records.values()]
      .filter((r) => mayBeInNamespaces(r.name, namespaces) && (!visible || visible(r.input)) && (!status || r.status === status))
      .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
      .slice(0, Math.min(limit, listLimit));
  }

  async stop(name: string, cause: string): Promise<ExecutionRecord> {
    this.stops.push({ name, cause });
    const record = this.records.get(name);
    if (!record) throw new CapiMcpError(ErrorCode.NotFound, `no execution named ${name}`);
    if (record.status !== 'RUNNING') return record;
    const stopped: ExecutionRecord = { ...record, status: 'ABORTED', stoppedAt: this.now().toISOString(), cause };
    this.records.set(name, stopped);
    return stopped;
  }
}

/**
 * An execution as an engine records it, under the id a tool gives its operation (target: the action),
 * started two minutes before `fakeNow` and running unless `fields` say otherwise.
 */
export function execution(action: OperationAction, namespace: string, name: string, fields: Partial<ExecutionRecord> & { readonly managementCluster?: string } = {}): ExecutionRecord {
  const { managementCluster, ...rest } = fields;
  const operation = { action, namespace, name, ...(managementCluster ? { managementCluster } : {}) };
  return { name: executionBaseName(operation, action), input: { operation, timeoutSeconds: 1800, pollSeconds: 10 }, status: 'RUNNING', startedAt: '2026-11-25T11:58:00Z', ...rest };
}

/** The clock of every fake: two hours after the fixtures' creation time (test/fixtures/objects.ts). */
export const fakeNow = new Date('2026-11-25T12:00:00Z');

export interface FakeToolDepsOptions {
  /** The default management cluster's API server (the first configured); a new empty one by default. */
  readonly kube?: FakeKube;
  /** Further management clusters by name, after the default `sandbox`. */
  readonly others?: Readonly<Record<string, FakeKube>>;
  /** Who calls: an admin key limited to nothing unless given. */
  readonly caller?: Partial<Caller>;
  /** The deployment's cursor secret (shared/mcp/cursor.ts); a fixed one unless given. */
  readonly cursorSecret?: string;
  /** Without a workflow engine, as a server built without one. */
  readonly withoutWorkflows?: boolean;
}

export interface FakeToolWorld {
  readonly deps: ToolDeps;
  readonly kube: FakeKube;
  readonly workflows: FakeWorkflows;
  /** The actions whose operations the metrics counted as started. */
  readonly operationsStarted: string[];
}

/**
 * The ToolDeps a handler gets in a server, around the fakes: management clusters `sandbox` (the default)
 * and `others`, refused by name as the real registry refuses them; the real sealed cursors of the caller's
 * key; a silent log; metrics that record operation starts; the fixed clock `fakeNow`.
 */
export function fakeToolDeps(options: FakeToolDepsOptions = {}): FakeToolWorld {
  const kube = options.kube ?? new FakeKube();
  const byName = new Map<string, FakeKube>([['sandbox', kube], ...Object.entries(options.others ?? {})]);
  const names = [...byName.keys()];
  const clusters: ManagementClusters = {
    names,
    client(name) {
      const found = byName.get(name ?? names[0]!);
      if (!found) throw new CapiMcpError(ErrorCode.InvalidInput, `unknown management cluster "${name}"`, { hint: `use one of: ${names.join(', ')}` });
      return found;
    },
  };
  const now = () => new Date(fakeNow);
  const workflows = new FakeWorkflows(now);
  const operationsStarted: string[] = [];
  const metrics: Metrics = { toolCall() {}, authFailure() {}, operationStarted: (action) => operationsStarted.push(action) };
  const caller: Caller = { keyId: 'keyaaaaaaaaa', scopes: ['admin'], ...options.caller };
  const base: Deps = { clusters, now, log: silentLog, metrics, ...(options.withoutWorkflows ? {} : { workflows }) };
  const deps: ToolDeps = { ...base, caller, cursors: cursorsFor(options.cursorSecret ?? 'fake-cursor-secret-0123456789abcdef', caller.keyId) };
  return { deps, kube, workflows, operationsStarted };
}

/**
 * Calls `tool`'s handler as the server would after validating: `args` parsed by its input schema first
 * (defaults filled in, refinements applied), then the handler itself, nothing around it.
 */
export function callTool<I extends ToolDefinition['inputSchema'], O extends ToolDefinition['outputSchema']>(
  tool: ToolDefinition<I, O>,
  args: Record<string, unknown>,
  deps: ToolDeps,
): Promise<ToolOutput<import('zod').output<O>>> {
  return tool.handler(tool.inputSchema.parse(args) as never, deps);
}

/** What a refusal must be: its code, its message (exact, or a pattern) and, when given, its hint and next step. */
export interface ExpectedRefusal {
  readonly code: ErrorCode;
  readonly message: string | RegExp;
  readonly hint?: string | RegExp;
  readonly next?: string;
}

/** Asserts `error` is the refusal `expect` describes (what else a refusal must leave alone, each test says). */
export function assertRefusal(error: CapiMcpError, expect: ExpectedRefusal): void {
  assert.equal(error.code, expect.code, error.message);
  if (typeof expect.message === 'string') assert.equal(error.message, expect.message);
  else assert.match(error.message, expect.message);
  if (typeof expect.hint === 'string') assert.equal(error.hint, expect.hint);
  else if (expect.hint) assert.match(error.hint ?? '', expect.hint);
  if (expect.next) assert.equal(error.next, expect.next);
}

/** The CapiMcpError `promise` rejects with (fails the test if it resolves or throws anything else). */
export async function refusal(promise: Promise<unknown>): Promise<CapiMcpError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CapiMcpError) return error;
    throw error;
  }
  throw new Error('expected a CapiMcpError, but the call succeeded');
}

/** `o` with `labels` added (a copy). */
export function labelled(o: KubeObject, labels: Record<string, string>): KubeObject {
  return { ...structuredClone(o), metadata: { ...structuredClone(o.metadata), labels: { ...o.metadata.labels, ...labels } } };
}

/** `o` with `annotations` added (a copy). */
export function annotated(o: KubeObject, annotations: Record<string, string>): KubeObject {
  return { ...structuredClone(o), metadata: { ...structuredClone(o.metadata), annotations: { ...o.metadata.annotations, ...annotations } } };
}

/** A UID as the API server writes them (a UUID), the same for the same name. */
export function uidOf(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export interface TopologyClusterOptions {
  readonly namespace?: string;
  readonly name?: string;
  readonly version?: string;
  /** Undefined: the topology carries no control-plane count. */
  readonly controlPlaneReplicas?: number | undefined;
  /** A pool without replicas is sized by the cluster autoscaler. */
  readonly pools?: readonly { readonly name: string; readonly class?: string; readonly replicas?: number }[];
  readonly uid?: string;
}

/**
 * A Cluster of the sandbox's ClusterClass `quick-start` as the API server holds it once the topology
 * controller has set its references: a DevCluster and a KubeadmControlPlane named after it.
 */
export function topologyCluster({ namespace = 'team-a', name = 'demo', version = 'v1.34.1', pools = [{ name: 'md-0', replicas: 2 }], uid = uidOf(name), ...rest }: TopologyClusterOptions = {}): KubeObject {
  const controlPlaneReplicas = 'controlPlaneReplicas' in rest ? rest.controlPlaneReplicas : 3;
  return {
    apiVersion: 'cluster.x-k8s.io/v1beta2',
    kind: 'Cluster',
    metadata: { name, namespace, uid, resourceVersion: '7', creationTimestamp: '2026-11-25T10:00:00Z' },
    spec: {
      infrastructureRef: { apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'DevCluster', name },
      controlPlaneRef: { apiGroup: 'controlplane.cluster.x-k8s.io', kind: 'KubeadmControlPlane', name },
      topology: {
        classRef: { name: 'quick-start' },
        version,
        ...(controlPlaneReplicas !== undefined ? { controlPlane: { replicas: controlPlaneReplicas } } : {}),
        workers: { machineDeployments: pools.map((p) => ({ class: p.class ?? 'default-worker', name: p.name, ...(p.replicas !== undefined ? { replicas: p.replicas } : {}) })) },
      },
    },
    status: {},
  };
}

/** Base64 of a PEM block with a fake body: shaped like what CAPI writes, usable by no TLS stack. */
export const fakePem = (label: string) => Buffer.from(`-----BEGIN ${label}-----\nMIIBfake\n-----END ${label}-----\n`).toString('base64');

/**
 * A kubeconfig as CAPI writes `<cluster>-kubeconfig` (clientcmd.Write of KCP's), for the endpoint
 * https://10.0.0.1:6443, with overrides of its cluster and user parts (undefined removes a field).
 */
export function capiKubeconfig({ cluster = {}, user = {} }: { cluster?: Record<string, unknown>; user?: Record<string, unknown> } = {}): string {
  const drop = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'demo', cluster: drop({ server: 'https://10.0.0.1:6443', 'certificate-authority-data': fakePem('CERTIFICATE'), ...cluster }) }],
    contexts: [{ name: 'demo-admin@demo', context: { cluster: 'demo', user: 'demo-admin' } }],
    'current-context': 'demo-admin@demo',
    preferences: {},
    users: [{ name: 'demo-admin', user: drop({ 'client-certificate-data': fakePem('CERTIFICATE'), 'client-key-data': fakePem('RSA PRIVATE KEY'), ...user }) }],
  });
}

/** A Secret of cluster `cluster` as Cluster API writes it (its type and cluster-name label), holding `value`. */
export function clusterSecret(cluster: string, value: string | undefined, { type = 'cluster.x-k8s.io/secret', labels = { 'cluster.x-k8s.io/cluster-name': cluster } }: { type?: string; labels?: Record<string, string> } = {}): KubeSecret {
  return { type, labels, data: value === undefined ? {} : { value } };
}
