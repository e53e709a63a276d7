/**
 * The cluster-operation state machine's vocabulary, written once: the names of its states and the
 * statuses of its executions. The CDK construct builds the states under these names
 * (infra/lib/workflows.ts); the engines report them as an execution's current step (the local engine)
 * or read its history by them (the Step Functions engine); the tools judge a step and list a status by
 * them. Kept here, not in infra/, because a Lambda bundle must not import the CDK app.
 */

/** The states of the definition: Apply → Wait → Poll → Converged? → Done | Wait | OperationFailed. */
export const StateNames = {
  apply: 'Apply',
  wait: 'Wait',
  poll: 'Poll',
  decide: 'Converged?',
  done: 'Done',
  /** A Poll's verdict that is neither converged nor progressing ends here. */
  operationFailed: 'OperationFailed',
  /** A task's caught failure passes through StepFailed to Failed. */
  stepFailed: 'StepFailed',
  failed: 'Failed',
} as const;

/** The states a failure passes through to end the execution; not the step it failed in. */
export const failurePath: readonly string[] = [StateNames.stepFailed, StateNames.failed, StateNames.operationFailed];

/** An execution's status, as Step Functions names it. */
export const executionStatuses = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const;

export type ExecutionStatus = (typeof executionStatuses)[number];
