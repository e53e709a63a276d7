/**
 * Runs the synthesized state machine locally with aws-local-stepfunctions: each Task state whose
 * Resource is the step function runs the same step code in-process, and Wait and Retry pauses are scaled
 * by `timeScale` (0.1 = ten times faster) so the sandbox's operations finish in test time.
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
export function startLocally(workflow: LocalWorkflow, input: WorkflowInput, startTime = new Date().toISOString()): LocalExecution {
  const taskResourceLocalHandlers: Record<string, (input: any) => Promise<any>> = {};
  const retryIntervalOverrides: Record<string, number[]> = {};
  const waitTimeOverrides: Record<string, number> = {};
  for (const [name, state] of Object.entries(workflow.definition.States as Record<string, any>)) {
    if (state.Type === 'Task' && state.Resource === workflow.stepFunctionArn) {
      taskResourceLocalHandlers[name] = async (event) => (await workflow.step(event)) as any;
      const retry = (state.Retry ?? [])[0];
      if (retry) {
        retryIntervalOverrides[name] = Array.from({ length: retry.MaxAttempts ?? 3 }, (_, i) =>
          Math.round((retry.IntervalSeconds ?? 1) * 1000 * (retry.BackoffRate ?? 2) ** i * workflow.timeScale),
        );
      }
    }
    if (state.Type === 'Wait' && state.SecondsPath === '$.pollSeconds') {
      waitTimeOverrides[name] = Math.round(input.pollSeconds * 1000 * workflow.timeScale);
    }
  }
  const machine = new StateMachine(workflow.definition as never, { validationOptions: { checkPaths: true } });
  const execution = machine.run(input as never, {
    overrides: { taskResourceLocalHandlers, waitTimeOverrides, retryIntervalOverrides },
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
