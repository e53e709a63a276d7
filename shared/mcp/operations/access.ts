/**
 * Operations as a caller may see them: a key limited to namespaces or management clusters neither sees
 * nor touches operations on clusters elsewhere, and cannot tell them from operations that do not exist.
 */
import { mayUseManagementCluster, mayUseNamespace } from '../../auth/scopes.ts';
import { CapiMcpError, ErrorCode } from '../../errors.ts';
import type { ExecutionRecord } from '../../workflows/engine.ts';
import type { WorkflowInput } from '../../workflows/operation.ts';
import type { ExecutionStatus } from '../../workflows/states.ts';
import type { ToolDeps } from '../tool.ts';

export async function findOperation(deps: ToolDeps, id: string, hint: string): Promise<ExecutionRecord> {
  // The engine applies the namespace check as soon as it has the input, before reading anything more:
  // an operation elsewhere then costs exactly the calls (and answer) of one that does not exist.
  const record = await deps.workflows!.describe(id, (input) => mayUseOperation(deps, input));
  if (!record) {
    throw new CapiMcpError(ErrorCode.NotFound, `operation ${id} not found`, { hint });
  }
  return record;
}

/**
 * The newest operations the caller may see (optionally only those `where` accepts, in one status), newest
 * first. The engine filters as it lists, so other tenants' operations neither show nor crowd these out.
 */
export function listVisibleOperations(
  deps: ToolDeps,
  { where, status, limit }: { where?: (input: WorkflowInput) => boolean; status?: ExecutionStatus; limit?: number } = {},
): Promise<ExecutionRecord[]> {
  return deps.workflows!.list({
    ...(deps.caller.namespaces ? { namespaces: deps.caller.namespaces } : {}),
    visible: (input) => mayUseOperation(deps, input) && (!where || where(input)),
    ...(status ? { status } : {}),
    ...(limit ? { limit } : {}),
  });
}

/** An operation without a management cluster ran on the default one, the first configured. */
function mayUseOperation(deps: ToolDeps, { operation }: WorkflowInput): boolean {
  return mayUseNamespace(deps.caller, operation.namespace) && mayUseManagementCluster(deps.caller, operation.managementCluster ?? deps.clusters.names[0] ?? '');
}
