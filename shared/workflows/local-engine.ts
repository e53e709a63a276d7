/**
 * The local WorkflowEngine: executions of the synthesized state machine, run in-process, with their
 * records (input, status, current step, last verdict, result) kept as JSON files in a data folder so a
 * restarted `npm start` still answers for them. Executions that were running when the process stopped are
 * resumed on the next start — from Apply, which is an idempotent server-side apply, keeping their
 * original start time so their timeout still counts from it.
 */
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
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

  private constructor(dir: string, workflow: LocalWorkflow) {
    this.dir = dir;
    this.workflow = workflow;
  }

  /** Opens the store in `dir`, resuming executions that were running. Returns the names resumed. */
  static async open(dir: string, workflow: LocalWorkflow): Promise<{ engine: LocalWorkflowEngine; resumed: string[] }> {
    validateDefinition(workflow.definition);
    const engine = new LocalWorkflowEngine(dir, workflow);
    await mkdir(dir, { recursive: true });
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.json'))) {
      const record = JSON.parse(await readFile(join(dir, file), 'utf8')) as ExecutionRecord;
      engine.records.set(record.name, record);
    }
    const resumed = [...engine.records.values()].filter((r) => r.status === 'RUNNING').map((r) => r.name);
    for (const name of resumed) engine.run(engine.records.get(name)!);
    return { engine, resumed };
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

  private run(record: ExecutionRecord): void {
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
    const execution = startLocally({ ...this.workflow, step }, record.input, record.startedAt);
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

  private async save(record: ExecutionRecord): Promise<void> {
    // Write-then-rename: a crash never leaves a half-written record behind.
    const file = join(this.dir, `${record.name}.json`);
    const partial = `${file}.${process.pid}.${++this.writes}.partial`;
    await writeFile(partial, JSON.stringify(record, null, 1));
    await rename(partial, file);
  }
}
