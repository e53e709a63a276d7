/**
 * Where operations run: Step Functions in production, the local engine for `npm start` and tests, both
 * behind WorkflowEngine with Step Functions' StartExecution name semantics:
 * - the same name and the same input while that execution runs → the running execution;
 * - a closed execution's name, or the same name with other input → ExecutionAlreadyExists.
 *
 * Operation ids are execution names derived from the operation (action, cluster, target), so a retried
 * or concurrent identical request joins the running execution instead of starting a second one.
 * Re-running an operation whose earlier execution closed (re-creating a deleted cluster) takes the next
 * free generation of the name: `<base>`, `<base>-g2`, `<base>-g3`, …
 */
import { createHash } from 'node:crypto';
import type { Operation, Verdict, WorkflowInput } from './operation.ts';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

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

export interface WorkflowEngine {
  start(name: string, input: WorkflowInput): Promise<ExecutionRecord>;
  describe(name: string): Promise<ExecutionRecord | undefined>;
  list(): Promise<ExecutionRecord[]>;
  stop(name: string, cause: string): Promise<ExecutionRecord>;
}

/** The execution-name stem of an operation: readable, within Step Functions' 80 characters, unique per target. */
export function executionBaseName(operation: Operation, target: unknown): string {
  const digest = createHash('sha256').update(JSON.stringify([operation.managementCluster ?? '', target])).digest('hex').slice(0, 10);
  const readable = `${operation.action}-${operation.namespace}-${operation.name}`.replace(/[^A-Za-z0-9-_]/g, '-').slice(0, 60);
  return `${readable}-${digest}`;
}

/**
 * Starts `input` under the first generation of `base` that is not closed, or joins the running one.
 * Returns the execution record, whose name is the operation id.
 */
export async function startOperation(engine: WorkflowEngine, base: string, input: WorkflowInput): Promise<ExecutionRecord> {
  for (let generation = 1; generation <= 100; generation++) {
    const name = generation === 1 ? base : `${base}-g${generation}`;
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
  throw new Error(`operation ${base} has run 100 times; refusing to start it again`);
}

function sameOperation(a: WorkflowInput, b: WorkflowInput): boolean {
  return JSON.stringify(a.operation) === JSON.stringify(b.operation);
}

/** The running execution of `input` among the generations of `base`, if there is one. */
export async function findRunning(engine: WorkflowEngine, base: string, input: WorkflowInput): Promise<ExecutionRecord | undefined> {
  for (let generation = 1; generation <= 100; generation++) {
    const record = await engine.describe(generation === 1 ? base : `${base}-g${generation}`);
    if (!record) return undefined;
    if (record.status === 'RUNNING' && sameOperation(record.input, input)) return record;
  }
  return undefined;
}

/** An execution as an agent reads it. */
export function operationView(record: ExecutionRecord, now: Date) {
  const { operation } = record.input;
  const end = record.stoppedAt ? Date.parse(record.stoppedAt) : now.getTime();
  return {
    operation_id: record.name,
    action: operation.action,
    cluster: `${operation.namespace}/${operation.name}`,
    status: record.status,
    ...(record.currentStep ? { current_step: record.currentStep } : {}),
    elapsed_seconds: Math.max(0, Math.round((end - Date.parse(record.startedAt)) / 1000)),
    ...(record.lastVerdict ? { last_observed: record.lastVerdict.reason } : {}),
    ...(record.status === 'FAILED' || record.status === 'TIMED_OUT' || record.status === 'ABORTED'
      ? { failure: `${record.error ?? record.status}: ${record.cause ?? 'no cause recorded'}` }
      : {}),
  };
}
