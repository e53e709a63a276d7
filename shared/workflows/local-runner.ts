/**
 * Runs the synthesized state machine locally with aws-local-stepfunctions (an ASL interpreter): each
 * Task state whose Resource is the step function runs the same step code in-process, and Wait and Retry
 * pauses are scaled by `timeScale` (0.1 = ten times faster) so the sandbox's operations finish in test
 * time. It keeps nothing: the local engine (local-engine.ts) records what it runs.
 */
import { ExecutionAbortedError, ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import type { WorkflowInput } from './operation.ts';

export interface LocalWorkflow {
  readonly definition: Record<string, any>;
  readonly stepFunctionArn: string;
  /** The step code the Task states run (shared/workflows/steps.ts in production wiring). */
  readonly step: (event: any) => Promise<unknown>;
  readonly timeScale: number;
}

export type ExecutionOutcome =
  | { readonly status: 'SUCCEEDED'; readonly output: any }
  | { readonly status: 'FAILED'; readonly error: string; readonly cause: string }
  | { readonly status: 'ABORTED' };

export interface LocalExecution {
  abort(): void;
  readonly outcome: Promise<ExecutionOutcome>;
}

/** Starts one execution; `startTime` is the Context Object's Execution.StartTime (kept across a resume). */
/**
 * Starts an execution of `workflow` with `input`, at `startAt` (a state of the definition; its StartAt by
 * default) — a resumed execution whose Apply had ended starts at its Wait — with `startTime` as the
 * execution's start (`$$.Execution.StartTime`, from which its timeout counts).
 */
export function startLocally(workflow: LocalWorkflow, input: WorkflowInput, startTime = new Date().toISOString(), startAt?: string): LocalExecution {
  const taskResourceLocalHandlers: Record<string, (input: any) => Promise<any>> = {};
  const waitTimeOverrides: Record<string, number> = {};
  for (const [name, state] of Object.entries(workflow.definition.States as Record<string, any>)) {
    if (state.Type === 'Task' && state.Resource === workflow.stepFunctionArn) {
      taskResourceLocalHandlers[name] = async (event) => (await workflow.step(event)) as any;
    }
    if (state.Type === 'Wait' && state.SecondsPath === '$.pollSeconds') {
      waitTimeOverrides[name] = Math.round(input.pollSeconds * 1000 * workflow.timeScale);
    }
  }
  const scaled = scaleRetries(workflow.definition, workflow.timeScale);
  if (startAt !== undefined && !(startAt in scaled.States)) throw new Error(`the state machine has no state ${startAt} to start at`);
  const machine = new StateMachine((startAt ? { ...scaled, StartAt: startAt } : scaled) as never, { validationOptions: { noValidate: true } });
  const execution = machine.run(input as never, {
    overrides: { taskResourceLocalHandlers, waitTimeOverrides },
    context: { Execution: { StartTime: startTime } } as never,
  });
  const outcome = execution.result.then(
    (output): ExecutionOutcome => ({ status: 'SUCCEEDED', output }),
    (error: unknown): ExecutionOutcome => {
      if (error instanceof ExecutionAbortedError) return { status: 'ABORTED' };
      if (error instanceof ExecutionError) {
        const failure = (error as { cause?: { name?: string; message?: string; cause?: string } }).cause;
        return { status: 'FAILED', error: failure?.name ?? 'States.Runtime', cause: failure?.cause ?? failure?.message ?? error.message };
      }
      throw error;
    },
  );
  return { abort: () => execution.abort(), outcome };
}

/** Runs one execution to its end. */
export function runLocally(workflow: LocalWorkflow, input: WorkflowInput): Promise<ExecutionOutcome> {
  return startLocally(workflow, input).outcome;
}

/**
 * The definition with every Retry's pauses scaled by `timeScale`, backoff kept. The library's
 * retryIntervalOverrides cannot do this: an override replaces a retrier's interval with a constant and
 * drops its BackoffRate, which would shrink the retry budget an outage test relies on. The unscaled
 * definition is validated once (validateDefinition); the scaled copy differs only in these numbers.
 */
function scaleRetries(definition: Record<string, any>, timeScale: number): Record<string, any> {
  const scaled = structuredClone(definition);
  for (const state of Object.values(scaled.States as Record<string, any>)) {
    for (const retrier of state.Retry ?? []) {
      retrier.IntervalSeconds = (retrier.IntervalSeconds ?? 1) * timeScale;
      if (retrier.MaxDelaySeconds !== undefined) retrier.MaxDelaySeconds *= timeScale;
    }
  }
  return scaled;
}

/** Throws when the definition is not valid ASL (with JSONPath checks), as Step Functions would at deploy. */
export function validateDefinition(definition: Record<string, any>): void {
  new StateMachine(definition as never, { validationOptions: { checkPaths: true } });
}
