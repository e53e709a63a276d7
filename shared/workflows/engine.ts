/**
 * Where operations run: Step Functions in production, the local engine for `npm start` and tests, both
 * behind WorkflowEngine with Step Functions' StartExecution name semantics:
 * - the same name and the same input while that execution runs → the running execution;
 * - a closed execution's name, or the same name with other input → ExecutionAlreadyExists.
 *
 * Operation ids are execution names derived from the operation — management cluster, action, namespace,
 * name and target, hashed as canonical JSON — so a retried or concurrent identical request joins the
 * running execution instead of starting a second one, and operations on different clusters never share
 * a name (nor its generations). Re-running an operation whose earlier execution closed (re-creating a
 * deleted cluster) takes the next free generation of the name: `<base>`, `<base>-g2`, … `<base>-g100`.
 */
import { createHash } from 'node:crypto';
import { CapiMcpError, ErrorCode } from '../errors.ts';
import { canonicalJson } from './canonical-json.ts';
import { timeless, type Operation, type Verdict, type WorkflowInput } from './operation.ts';
import type { ExecutionStatus } from './states.ts';

export interface ExecutionRecord {
  readonly name: string;
  readonly input: WorkflowInput;
  readonly status: ExecutionStatus;
  readonly startedAt: string;
  readonly stoppedAt?: string;
  /** The state the execution is in (or ended in). */
  readonly currentStep?: string;
  /** The last verdict a Poll returned. */
  readonly lastVerdict?: Verdict;
  readonly error?: string;
  readonly cause?: string;
}

export class ExecutionAlreadyExists extends Error {
  constructor(name: string) {
    super(`Execution already exists: ${name}`);
    this.name = 'ExecutionAlreadyExists';
  }
}

/** list returns at most this many executions, the newest (list_operations asks for up to 100). */
export const listLimit = 100;

/** What `list` returns: the newest `limit` executions a caller may see, newest first. */
export interface ListQuery {
  /**
   * The namespaces the caller is limited to (undefined: every one). An engine may skip, unread, an
   * execution whose id names another namespace (mayBeInNamespaces); `visible` still decides.
   */
  readonly namespaces?: readonly string[];
  /** Whether the caller may see an execution, decided from its input alone (as for describe). */
  readonly visible?: (input: WorkflowInput) => boolean;
  readonly status?: ExecutionStatus;
  /** At most this many (default and ceiling: listLimit). */
  readonly limit?: number;
}

export interface WorkflowEngine {
  start(name: string, input: WorkflowInput): Promise<ExecutionRecord>;
  /**
   * The execution `name`; undefined when there is none, or when `visible` refuses its input. `visible` is
   * decided from the input alone, before anything else is read, so an execution a caller may not see
   * costs the same calls as one that does not exist.
   */
  describe(name: string, visible?: (input: WorkflowInput) => boolean): Promise<ExecutionRecord | undefined>;
  /**
   * The newest executions `query` accepts. Note: what a caller sees depends only on executions it may see:
   * the engine looks past others' (up to its own bound) instead of taking the newest and filtering after.
   */
  list(query?: ListQuery): Promise<ExecutionRecord[]>;
  stop(name: string, cause: string): Promise<ExecutionRecord>;
}

/** How many times one operation (one id) may run; the last generation's name is `<base>-g100`. */
export const maxGenerations = 100;

/** Step Functions' limit on an execution name, which must also match [A-Za-z0-9-_]. */
const maxNameLength = 80;

/** Hex digits of the tuple's SHA-256 in an id: 80 bits, beyond reach of a second preimage. */
const digestLength = 20;

/**
 * The execution-name stem of an operation: a readable `<action>_<namespace>_<name>` prefix (cut to fit,
 * `_` never occurs in a Kubernetes name, so the fields stay apart) and a digest of the full tuple — the
 * management cluster, action, namespace, name and `target` (what the operation changes) — as canonical
 * JSON. Every generation's name stays within Step Functions' 80 characters.
 */
export function executionBaseName(operation: Operation, target: unknown): string {
  const tuple = { managementCluster: operation.managementCluster ?? '', action: operation.action, namespace: operation.namespace, name: operation.name, target };
  const digest = createHash('sha256').update(canonicalJson(tuple)).digest('hex').slice(0, digestLength);
  const room = maxNameLength - `_${digest}-g${maxGenerations}`.length;
  const readable = `${operation.action}_${operation.namespace}_${operation.name}`.replace(/[^A-Za-z0-9-_]/g, '-').slice(0, room);
  return `${readable}_${digest}`;
}

/**
 * The stem ids had before they covered namespace and name (`delete-team-a-x-y-<digest>` served both
 * team-a/x-y and team/a-x-y). Read only to join an operation started under it: remove one release after
 * the change, by when every such execution has ended (operations time out within 7200 s).
 */
export function legacyExecutionBaseName(operation: Operation, target: unknown): string {
  const digest = createHash('sha256').update(JSON.stringify([operation.managementCluster ?? '', target])).digest('hex').slice(0, 10);
  const readable = `${operation.action}-${operation.namespace}-${operation.name}`.replace(/[^A-Za-z0-9-_]/g, '-').slice(0, 60);
  return `${readable}-${digest}`;
}

/**
 * Whether the execution `name` may be an operation in one of `namespaces`, from the name alone: false
 * only when the id shows another namespace, so a caller's listing never reads (nor waits on) executions
 * of namespaces it may not see. Ids are `<action>_<namespace>_<name>_<digest>[-gN]`, their readable part
 * cut to fit (so the namespace may end early); legacy ids `<action>-<namespace>-<name>-<digest>[-gN]` do not
 * separate namespace and name, so one passes when its text continues as an allowed namespace would. A
 * name of neither form was not started by capi-mcp, and passes only for a caller limited to nothing.
 */
export function mayBeInNamespaces(name: string, namespaces: readonly string[] | undefined): boolean {
  if (namespaces === undefined) return true;
  const current = /^[a-z]+_(.+)_[0-9a-f]{20}(?:-g\d+)?$/.exec(name);
  if (current) {
    const rest = current[1]!;
    const cut = rest.indexOf('_');
    // No `_` left: the readable part ended inside (or right at the end of) the namespace.
    return cut >= 0 ? namespaces.includes(rest.slice(0, cut)) : namespaces.some((ns) => ns.startsWith(rest));
  }
  const legacy = /^[a-z]+-(.+)-[0-9a-f]{10}(?:-g\d+)?$/.exec(name);
  if (legacy) {
    const rest = `${legacy[1]!}-`;
    return namespaces.some((ns) => rest.startsWith(`${ns}-`) || `${ns}-`.startsWith(rest));
  }
  return false;
}

const generationName = (base: string, generation: number) => (generation === 1 ? base : `${base}-g${generation}`);

/**
 * Starts `input` under the first generation of `base` that is not closed, or joins the running one.
 * Returns the execution record, whose name is the operation id. Refuses (Conflict) once all
 * `maxGenerations` are taken: only runs of this very operation take them.
 */
export async function startOperation(engine: WorkflowEngine, base: string, input: WorkflowInput): Promise<ExecutionRecord> {
  for (let generation = 1; generation <= maxGenerations; generation++) {
    const name = generationName(base, generation);
    try {
      return await engine.start(name, input);
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExists)) throw error;
      const existing = await engine.describe(name);
      // Another caller started this generation with other input (e.g. other timeouts): join it only if
      // it runs the same operation; otherwise move on to the next generation.
      if (existing?.status === 'RUNNING' && sameOperation(existing.input, input)) return existing;
    }
  }
  const { action, namespace, name } = input.operation;
  throw new CapiMcpError(ErrorCode.Conflict, `the ${action} of ${namespace}/${name} has run ${maxGenerations} times with these arguments (operation ${base}); it may not start again yet`, {
    hint: 'an id is free again once its record expires (Step Functions keeps a closed execution 90 days); other arguments make another operation',
  });
}

/**
 * Whether two inputs run the same operation: equal as canonical JSON, whatever their key order, once the
 * time of the call is left out (operation.ts, timeless): a rollout retried a second later is the same.
 */
function sameOperation(a: WorkflowInput, b: WorkflowInput): boolean {
  return canonicalJson(timeless(a.operation)) === canonicalJson(timeless(b.operation));
}

/** The running execution of `input` among the generations of `base`, if there is one. */
export function findRunning(engine: WorkflowEngine, base: string, input: WorkflowInput): Promise<ExecutionRecord | undefined> {
  return findRunningWhere(engine, base, (running) => sameOperation(running, input));
}

/** The running execution among the generations of `base` whose input `matches`, if there is one. */
export async function findRunningWhere(engine: WorkflowEngine, base: string, matches: (input: WorkflowInput) => boolean): Promise<ExecutionRecord | undefined> {
  for (let generation = 1; generation <= maxGenerations; generation++) {
    const record = await engine.describe(generationName(base, generation));
    if (!record) return undefined;
    if (record.status === 'RUNNING' && matches(record.input)) return record;
  }
  return undefined;
}

/** The running execution of `input` changing `target`: under its id, or under its legacy id. */
export async function findRunningOperation(engine: WorkflowEngine, input: WorkflowInput, target: unknown): Promise<ExecutionRecord | undefined> {
  return (
    (await findRunning(engine, executionBaseName(input.operation, target), input)) ??
    (await findRunning(engine, legacyExecutionBaseName(input.operation, target), input))
  );
}
