/**
 * The flow every tool that starts an operation shares: build the workflow input, join the identical
 * operation if it is already running, otherwise run the tool's checks and start it. The checks run only
 * for a new operation, so a retry of a running one is answered even once its cluster exists. The
 * refusals every such tool makes are worded here once: a request's problems (InvalidInput) and a change
 * its owners protect (Forbidden).
 */
import { CapiMcpError, ErrorCode } from '../../errors.ts';
import { executionBaseName, findRunningOperation, findRunningWhere, startOperation } from '../../workflows/engine.ts';
import { changeRefusal, type ClusterChange } from '../../capi/protection.ts';
import type { KubeObject } from '../../kube/client.ts';
import { planProblems, pollSeconds, type Operation, type OperationAction, type WorkflowInput } from '../../workflows/operation.ts';
import type { ToolDeps } from '../tool.ts';
import type { Accepted } from './plan.ts';
import { startedResult } from './view.ts';

export interface OperationArgs {
  readonly namespace: string;
  readonly name: string;
  /** Absent for the tools that take none: their action's fixed timeout (fixedTimeoutSeconds). */
  readonly timeout_seconds?: number;
  readonly management_cluster?: string | undefined;
  readonly dry_run?: boolean;
}

/**
 * How long an operation of a tool that takes no timeout_seconds may run: a pause or resume is seen by the
 * controllers in seconds; a remediation waits for one replacement Machine.
 */
const fixedTimeoutSeconds: Readonly<Partial<Record<OperationAction, number>>> = { pause: 300, resume: 300, remediate: 1800 };

/** The workflow input of `action` on the cluster `args` name, polled at the action's pace (pollSeconds). */
export function operationInput(action: OperationAction, args: OperationArgs, fields: Pick<Operation, 'cluster' | 'objects' | 'expect' | 'uid' | 'machine'>): WorkflowInput {
  return {
    operation: {
      action,
      namespace: args.namespace,
      name: args.name,
      ...fields,
      ...(args.management_cluster ? { managementCluster: args.management_cluster } : {}),
    },
    timeoutSeconds: args.timeout_seconds ?? fixedTimeoutSeconds[action] ?? 1800,
    pollSeconds: pollSeconds[action],
  };
}

/**
 * `target` names what the operation changes (with the cluster and action it keys the operation id);
 * `check` throws to refuse, and returns what its server-side dry runs accepted. A plan the workflow step
 * would refuse (operation.ts, `plannedWrites`) is refused here, before anything starts.
 *
 * With `plan` (a dry run) the same checks run and `plan` answers from what they accepted: no operation is
 * looked up, joined or started, so a dry run answers what the change is even while the same one runs.
 */
export async function startOrJoin<P>(
  deps: ToolDeps,
  input: WorkflowInput,
  target: unknown,
  check: () => Promise<readonly Accepted[] | void>,
  plan?: (accepted: readonly Accepted[]) => Promise<P>,
) {
  const engine = deps.workflows!;
  const { action, namespace, name } = input.operation;
  refuseProblems(action, { namespace, name }, planProblems(input.operation), 'call get_cluster to see its objects');
  if (plan) return plan((await check()) ?? []);
  const running = await findRunningOperation(engine, input, target);
  if (running) return startedResult(running, deps.now());
  await check();
  const record = await startOperation(engine, executionBaseName(input.operation, target), input);
  deps.metrics.operationStarted(input.operation.action);
  return startedResult(record, deps.now());
}

/**
 * The running operation of `action` on `args`' cluster changing `target` whose input `matches`, answered
 * as a start would answer a retry; undefined when none runs. For a retry whose own input can no longer be
 * built (the Machine a remediation deletes is gone, and with it the UID the operation is pinned to).
 */
export async function joinRunning(deps: ToolDeps, action: OperationAction, args: OperationArgs, target: unknown, matches: (operation: Operation) => boolean) {
  const { operation } = operationInput(action, args, {});
  const running = await findRunningWhere(deps.workflows!, executionBaseName(operation, target), (input) =>
    input.operation.action === action &&
    input.operation.namespace === operation.namespace &&
    input.operation.name === operation.name &&
    (input.operation.managementCluster ?? '') === (operation.managementCluster ?? '') &&
    matches(input.operation),
  );
  return running && startedResult(running, deps.now());
}

/** Refuses (InvalidInput) a request with problems, each named, and the next step: what to read. */
export function refuseProblems(action: OperationAction, args: Pick<OperationArgs, 'namespace' | 'name'>, problems: readonly string[], hint: string): void {
  if (problems.length > 0) throw new CapiMcpError(ErrorCode.InvalidInput, `cannot ${action} cluster ${args.namespace}/${args.name}: ${problems.join('; ')}`, { hint });
}

/** Refuses a destructive change to a cluster its owners protect (shared/capi/protection.ts), with their reason. */
export function refuseProtected(action: OperationAction, args: Pick<OperationArgs, 'namespace' | 'name'>, change: ClusterChange, objects: readonly KubeObject[]): void {
  const refusal = changeRefusal(change, objects);
  if (refusal) throw new CapiMcpError(ErrorCode.Forbidden, `refusing to ${action} cluster ${args.namespace}/${args.name}: ${refusal.reason}`, { hint: refusal.hint });
}
