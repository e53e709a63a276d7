/**
 * The flow every tool that starts an operation shares: build the workflow input, join the identical
 * operation if it is already running, otherwise run the tool's checks and start it. The checks run only
 * for a new operation, so a retry of a running one is answered even once its cluster exists.
 */
import { CapiMcpError, ErrorCode } from '../../errors.ts';
import { executionBaseName, findRunningOperation, startOperation } from '../../workflows/engine.ts';
import { planProblems, type Operation, type WorkflowInput } from '../../workflows/operation.ts';
import type { ToolDeps } from '../tool.ts';
import { startedResult } from './view.ts';

export interface OperationArgs {
  readonly namespace: string;
  readonly name: string;
  readonly timeout_seconds: number;
  readonly management_cluster?: string | undefined;
}

export function operationInput(
  action: Operation['action'],
  args: OperationArgs,
  fields: Pick<Operation, 'cluster' | 'objects' | 'expect' | 'uid'>,
  pollSeconds: number,
): WorkflowInput {
  return {
    operation: {
      action,
      namespace: args.namespace,
      name: args.name,
      ...fields,
      ...(args.management_cluster ? { managementCluster: args.management_cluster } : {}),
    },
    timeoutSeconds: args.timeout_seconds,
    pollSeconds,
  };
}

/**
 * `target` names what the operation changes (with the cluster and action it keys the operation id);
 * `check` throws to refuse. A plan the workflow step would refuse (operation.ts, `plannedWrites`) is
 * refused here, before anything starts.
 */
export async function startOrJoin(deps: ToolDeps, input: WorkflowInput, target: unknown, check: () => Promise<void>) {
  const engine = deps.workflows!;
  const { action, namespace, name } = input.operation;
  const problems = planProblems(input.operation);
  if (problems.length > 0) {
    throw new CapiMcpError(ErrorCode.InvalidInput, `cannot ${action} cluster ${namespace}/${name}: ${problems.join('; ')}`, {
      hint: 'call get_cluster to see its objects',
    });
  }
  const running = await findRunningOperation(engine, input, target);
  if (running) return startedResult(running, deps.now());
  await check();
  const record = await startOperation(engine, executionBaseName(input.operation, target), input);
  deps.metrics.operationStarted(input.operation.action);
  return startedResult(record, deps.now());
}
