/**
 * The flow scale_cluster and upgrade_cluster share: read the Cluster, compute the change (pure), refuse
 * what is wrong with the reason, validate the change with a server-side dry run, then start (or join)
 * the operation that applies it and follows the rollout.
 */
import type { TopologyChange } from '../../capi/topology.ts';
import { CapiMcpError, ErrorCode, wrapError } from '../../errors.ts';
import type { KubeObject } from '../../kube/client.ts';
import { getCluster } from '../../kube/discovery.ts';
import { executionBaseName, findRunning, startOperation } from '../../workflows/engine.ts';
import { fieldManagerOf, type OperationAction, type WorkflowInput } from '../../workflows/operation.ts';
import type { ToolDeps } from '../tool.ts';
import { startedResult } from './operation-schema.ts';

export interface TopologyChangeArgs {
  readonly namespace: string;
  readonly name: string;
  readonly timeout_seconds: number;
  readonly management_cluster?: string | undefined;
}

export async function startTopologyChange(
  deps: ToolDeps,
  args: TopologyChangeArgs,
  action: OperationAction,
  compute: (cluster: KubeObject) => TopologyChange,
) {
  const kube = deps.clusters.client(args.management_cluster);
  const change = compute(await getCluster(kube, args.namespace, args.name));
  if (change.problems.length > 0) {
    throw new CapiMcpError(ErrorCode.InvalidInput, `cannot ${action} cluster ${args.namespace}/${args.name}: ${change.problems.join('; ')}`, {
      hint: 'call get_cluster to see its current topology',
    });
  }
  const input: WorkflowInput = {
    operation: {
      action,
      namespace: args.namespace,
      name: args.name,
      cluster: change.patch,
      expect: change.expect,
      ...(args.management_cluster ? { managementCluster: args.management_cluster } : {}),
    },
    timeoutSeconds: args.timeout_seconds,
    pollSeconds: 10,
  };
  const engine = deps.workflows!;
  const base = executionBaseName(input.operation, change.patch.spec);
  const running = await findRunning(engine, base, input);
  if (running) return startedResult(running, deps.now());
  try {
    await kube.apply(change.patch, { dryRun: true, fieldManager: fieldManagerOf(action) });
  } catch (error) {
    throw wrapError(`the API server rejected the ${action} of cluster ${args.namespace}/${args.name}`, error);
  }
  return startedResult(await startOperation(engine, base, input), deps.now());
}
