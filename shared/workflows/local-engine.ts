/**
 * The local WorkflowEngine: executions of the synthesized state machine, run in-process, with their
 * records (input, status, current step, last verdict, result) kept as JSON files in a data folder so a
 * restarted `npm start` (or pod) still answers for them. Executions that were running when the process
 * stopped are resumed on the next start, oldest first, keeping their original start time so their timeout
 * still counts from it: at their Wait when their Apply had ended, as Step Functions never repeats a task
 * that ended (applying again could undo what a later operation changed); from Apply, an idempotent
 * server-side apply, when the process stopped inside it.
 */
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CapiMcpError, ErrorCode } from '../errors.ts';
import { canonicalJson } from './canonical-json.ts';
import { ExecutionAlreadyExists, listLimit, mayBeInNamespaces, type ExecutionRecord, type ListQuery, type WorkflowEngine } from './engine.ts';
import { startLocally, validateDefinition, type LocalExecution, type LocalWorkflow } from './local-runner.ts';
import type { Verdict, WorkflowInput } from './operation.ts';
import { StateNames } from './states.ts';
import type { StepEvent } from './steps.ts';

export class LocalWorkflowEngine implements WorkflowEngine {
  private readonly records = new Map<string, ExecutionRecord>();
  private readonly running = new Map<string, { execution: LocalExecution; done: Promise<void> }>();
  private readonly dir: string;
  private readonly workflow: LocalWorkflow;
  private writes = 0;
  /** Each record's last save, which its next save waits for (see save). */
  private readonly saving = new Map<string, Promise<void>>();

  private constructor(dir: string, workflow: LocalWorkflow) {
    this.dir = dir;
    this.workflow = workflow;
  }

  /**
   * Opens the store in `dir` (created owner-only: records hold operation inputs), resuming executions that
   * were running. Returns the names resumed, and the files it could not read: each renamed to
   * `<file>.unreadable` and left for a person to look at, so one damaged record never stops the server.
   */
  static async open(dir: string, workflow: LocalWorkflow): Promise<{ engine: LocalWorkflowEngine; resumed: string[]; unreadable: string[] }> {
    validateDefinition(workflow.definition);
    const engine = new LocalWorkflowEngine(dir, workflow);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const unreadable: string[] = [];
    for (const file of await readdir(dir)) {
      // A write cut short by the process's end: its record is the one before it.
      if (file.endsWith('.partial')) await rm(join(dir, file), { force: true });
      if (!file.endsWith('.json')) continue;
      const record = parseRecord(await readFile(join(dir, file), 'utf8'), file);
      if (record) engine.records.set(record.name, record);
      else {
        unreadable.push(file);
        await rename(join(dir, file), join(dir, `${file}.unreadable`));
      }
    }
    const resumed = [...engine.records.values()]
      .filter((r) => r.status === 'RUNNING')
      .sort((a, b) => a.startedAt.localeCompare(b.startedAt))
      .map((r) => r.name);
    for (const name of resumed) {
      const record = engine.records.get(name)!;
      // Note: the record says Apply until the Apply step returned (run() writes Wait after it): any other step means it ended.
      engine.run(record, record.currentStep === undefined || record.currentStep === StateNames.apply ? undefined : StateNames.wait);
    }
    return { engine, resumed, unreadable };
  }

  async start(name: string, input: WorkflowInput): Promise<ExecutionRecord> {
    // Note: check-and-insert has no await in between, so concurrent calls in this process see one record.
    const existing = this.records.get(name);
    if (existing) {
      if (existing.status === 'RUNNING' && canonicalJson(existing.input) === canonicalJson(input)) return existing;
      throw new ExecutionAlreadyExists(name);
    }
    const record: ExecutionRecord = { name, input, status: 'RUNNING', startedAt: new Date().toISOString(), currentStep: StateNames.apply };
    this.records.set(name, record);
    await this.save(record);
    this.run(record);
    return record;
  }

  async describe(name: string, visible?: (input: WorkflowInput) => boolean): Promise<ExecutionRecord | undefined> {
    const record = this.records.get(name);
    return record && (!visible || visible(record.input)) ? record : undefined;
  }

  /** The same query as the Step Functions engine's, over every record (they are all in memory). */
  async list({ namespaces, visible, status, limit = listLimit }: ListQuery = {}): Promise<ExecutionRecord[]> {
    return [...this.records.values()]
      .filter((r) => mayBeInNamespaces(r.name, namespaces) && (!visible || visible(r.input)) && (!status || r.status === status))
      .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
      .slice(0, Math.min(limit, listLimit));
  }

  async stop(name: string, cause: string): Promise<ExecutionRecord> {
    const active = this.running.get(name);
    if (active) {
      active.execution.abort();
      await active.done;
    }
    const record = this.records.get(name);
    if (!record) throw new CapiMcpError(ErrorCode.NotFound, `no execution named ${name}`);
    if (record.status === 'ABORTED') return this.update(name, { cause });
    return record;
  }

  /** Resolves when every running execution has ended (tests use it to leave nothing behind). */
  async idle(): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => r.done));
  }

  private run(record: ExecutionRecord, startAt?: string): void {
    const step = async (event: StepEvent) => {
      await this.update(record.name, { currentStep: event.step === 'apply' ? StateNames.apply : StateNames.poll });
      const result = await this.workflow.step(event);
      if (event.step === 'apply') await this.update(record.name, { currentStep: StateNames.wait });
      if (event.step === 'poll') {
        const verdict = result as Verdict;
        await this.update(record.name, { lastVerdict: verdict, currentStep: verdict.state === 'progressing' ? StateNames.wait : StateNames.decide });
      }
      return result;
    };
    const execution = startLocally({ ...this.workflow, step }, record.input, record.startedAt, startAt);
    const done = execution.outcome
      .then(async (outcome) => {
        const stoppedAt = new Date().toISOString();
        if (outcome.status === 'SUCCEEDED') await this.update(record.name, { status: 'SUCCEEDED', stoppedAt, currentStep: StateNames.done });
        else if (outcome.status === 'ABORTED') await this.update(record.name, { status: 'ABORTED', stoppedAt });
        else await this.update(record.name, { status: 'FAILED', stoppedAt, error: outcome.error, cause: outcome.cause });
      })
      .catch(async (error: unknown) => {
        await this.update(record.name, { status: 'FAILED', stoppedAt: new Date().toISOString(), error: 'States.Runtime', cause: String(error) });
      })
      .finally(() => this.running.delete(record.name));
    this.running.set(record.name, { execution, done });
  }

  private async update(name: string, fields: Partial<ExecutionRecord>): Promise<ExecutionRecord> {
    const record = { ...this.records.get(name)!, ...fields };
    this.records.set(name, record);
    await this.save(record);
    return record;
  }

  /**
   * Saves `record` after the saves of it before, so the file ends as the last update left the record:
   * two saves at once can finish in either order (each syncs a file of its own before its rename), and
   * an earlier RUNNING landing after ABORTED would have the next start resume a stopped execution.
   */
  private save(record: ExecutionRecord): Promise<void> {
    const saved = (this.saving.get(record.name) ?? Promise.resolve()).then(
      () => this.write(record),
      () => this.write(record),
    );
    this.saving.set(record.name, saved);
    return saved;
  }

  private async write(record: ExecutionRecord): Promise<void> {
    // Write-then-rename: a crash never leaves a half-written record behind.
    const file = join(this.dir, `${record.name}.json`);
    const partial = `${file}.${process.pid}.${++this.writes}.partial`;
    // Note: synced before the rename, or a machine's crash can leave the new name on an empty file.
    const handle = await open(partial, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(record, null, 1));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(partial, file);
  }
}

/** A record file's content as a record, or undefined when it is not one (empty, cut short, edited by hand). */
function parseRecord(text: string, file: string): ExecutionRecord | undefined {
  try {
    const record = JSON.parse(text) as ExecutionRecord;
    const valid = typeof record?.name === 'string' && `${record.name}.json` === file && typeof record.status === 'string' && typeof record.startedAt === 'string' && typeof record.input === 'object' && record.input !== null;
    return valid ? record : undefined;
  } catch {
    return undefined;
  }
}
