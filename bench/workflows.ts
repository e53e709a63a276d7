/**
 * What an operation costs in the workflow: state transitions (what Step Functions Standard bills) and
 * wall time, for a create, a scale and a delete run through the MCP tools on the bench sandbox, with the
 * local engine at real time (timeScale 1), so Waits and polls are as in production.
 *
 * Note: the local engine keeps each execution's record, not its event history, so the bench reads the
 * history where the interpreter emits it: aws-local-stepfunctions' per-execution event log, tapped by
 * wrapping StateMachine.prototype.run in this process. Every StateEntered is one billed transition.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import type { WorkflowEngine, ExecutionRecord } from '../shared/workflows/engine.ts';
import type { WorkflowInput } from '../shared/workflows/operation.ts';

export interface History {
  /** States entered, in order. */
  readonly states: string[];
  retries: number;
}

const histories = new Map<string, History>();
const keyOf = (input: WorkflowInput) => `${input.operation.action}/${input.operation.namespace}/${input.operation.name}`;

/** Starts recording the history of every execution this process runs from now on. */
export function recordHistories(): void {
  const run = StateMachine.prototype.run;
  if ((run as { tapped?: boolean }).tapped) return;
  const tapped = function (this: StateMachine, ...args: Parameters<typeof run>) {
    const execution = run.apply(this, args);
    const history: History = { states: [], retries: 0 };
    histories.set(keyOf(args[0] as unknown as WorkflowInput), history);
    void (async () => {
      for await (const event of execution.eventLogs) {
        if (event.type === 'StateEntered') history.states.push(event.state.name);
        if (event.type === 'StateRetried') history.retries++;
      }
    })();
    return execution;
  };
  StateMachine.prototype.run = Object.assign(tapped, { tapped: true });
}

export interface OperationCost {
  readonly action: string;
  readonly status: string;
  readonly wallMs: number;
  readonly transitions: number;
  readonly retries: number;
  /** How often each state was entered, e.g. {Apply: 1, Wait: 4, Poll: 4, …}. */
  readonly byState: Record<string, number>;
}

/**
 * Waits for operation `id` to end and returns its cost. `startedAt` and `stoppedAt` are the engine's own
 * (the Apply step starts right after the tool returns), so the bench's poll interval does not count.
 */
export async function costOf(engine: WorkflowEngine, id: string, deadlineMs: number): Promise<OperationCost> {
  let record: ExecutionRecord | undefined;
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    record = await engine.describe(id);
    if (!record) throw new Error(`operation ${id} is not known to the engine`);
    if (record.status !== 'RUNNING') break;
    if (Date.now() > deadline) throw new Error(`operation ${id} still RUNNING after ${deadlineMs / 1000}s (at ${record.currentStep})`);
    await new Promise((r) => setTimeout(r, 250));
  }
  // The interpreter emits the last events as the execution ends; give the tap a moment to read them.
  await new Promise((r) => setTimeout(r, 100));
  const history = histories.get(keyOf(record.input));
  if (!history) throw new Error(`no history recorded for operation ${id}: was recordHistories() called before the engine ran it?`);
  const byState: Record<string, number> = {};
  for (const state of history.states) byState[state] = (byState[state] ?? 0) + 1;
  return {
    action: record.input.operation.action,
    status: record.status,
    wallMs: Date.parse(record.stoppedAt!) - Date.parse(record.startedAt),
    transitions: history.states.length,
    retries: history.retries,
    byState,
  };
}
