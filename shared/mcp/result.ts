/**
 * The one place where a tool call is checked, run, audited and turned into an MCP result:
 * 1. the caller's scope (derived from the tool's annotations), namespace and management-cluster limits
 *    are enforced before the handler runs, so no tool can forget them;
 * 2. a CapiMcpError becomes an `isError` result whose text says what failed and what to do next;
 *    anything else is a bug in capi-mcp and says so ("Internal: …", by message only, never a stack trace,
 *    redacted), so it is never mistaken for a failure of the API server the agent could wait out;
 * 3. every call writes one audit record (key id, tool, redacted arguments, cluster, outcome, duration)
 *    and counts in the metrics by tool and outcome.
 */
import type { CallToolResult } from '@modelcontextprotocol/server';
import { hasScope, mayUseManagementCluster, mayUseNamespace, requiredScope } from '../auth/scopes.ts';
import { CapiMcpError, ErrorCode, internalErrorCode, messageOf, type NextStep } from '../errors.ts';
import { redactText } from '../observability/redact.ts';
import { argumentBoundsProblem, maxArgumentBytes } from './argument-limits.ts';
import type { ToolDefinition, ToolDeps } from './tool.ts';

export interface CallContext {
  readonly requestId: string;
}

export async function runTool(tool: ToolDefinition, args: unknown, deps: ToolDeps, context: CallContext): Promise<CallToolResult> {
  const started = performance.now();
  const named = (args ?? {}) as { namespace?: unknown; name?: unknown; management_cluster?: unknown };
  const cluster = typeof named.namespace === 'string' && typeof named.name === 'string' ? `${named.namespace}/${named.name}` : undefined;
  let outcome: 'ok' | 'error' | 'denied' = 'ok';
  let reason: string | undefined;
  try {
    authorize(tool, named, deps);
    assertArgumentBounds(args);
    const output = await tool.handler(args as never, deps);
    return { content: [{ type: 'text', text: output.text }], structuredContent: output.structured as Record<string, unknown> };
  } catch (error) {
    const result = errorResult(tool.name, error);
    outcome = error instanceof CapiMcpError && error.code === ErrorCode.Forbidden ? 'denied' : 'error';
    reason = error instanceof CapiMcpError ? error.code : internalErrorCode;
    // The stack goes to the operator's log only (redacted there), for the bug report.
    if (!(error instanceof CapiMcpError)) deps.log.error(`${tool.name} failed unexpectedly`, { requestId: context.requestId, error: error instanceof Error ? error.stack : String(error) });
    return result;
  } finally {
    const durationMs = Math.round(performance.now() - started);
    deps.metrics.toolCall(tool.name, outcome, durationMs);
    deps.log.audit({
      requestId: context.requestId,
      keyId: deps.caller.keyId,
      tool: tool.name,
      arguments: args,
      ...(cluster ? { cluster } : {}),
      outcome,
      ...(reason ? { reason } : {}),
      durationMs,
    });
  }
}

function authorize(tool: ToolDefinition, args: { namespace?: unknown; management_cluster?: unknown }, deps: ToolDeps): void {
  const scope = requiredScope(tool);
  if (!hasScope(deps.caller, scope)) {
    throw new CapiMcpError(ErrorCode.Forbidden, `${tool.name} needs the "${scope}" scope, which API key ${deps.caller.keyId} does not have`, {
      hint: `ask an administrator for a key with the ${scope} scope`,
    });
  }
  if (typeof args.namespace === 'string') assertNamespace(deps, args.namespace);
  if ('management_cluster' in tool.inputSchema.shape) assertManagementCluster(deps, args.management_cluster);
}

/** Refuses a namespace outside the caller's limits; tools that take a namespace another way call it too. */
export function assertNamespace(deps: Pick<ToolDeps, 'caller'>, namespace: string): void {
  if (mayUseNamespace(deps.caller, namespace)) return;
  throw new CapiMcpError(ErrorCode.Forbidden, `API key ${deps.caller.keyId} may not use namespace ${namespace}`, {
    hint: `use one of the key's namespaces: ${deps.caller.namespaces!.join(', ')}`,
  });
}

/**
 * Refuses a management cluster outside the caller's limits exactly as one that is not configured, and
 * names only those the caller may use; left out, the default serves only if it is one of them (without
 * being named). Unlimited callers pass: the kube layer refuses unknown names, naming every configured one.
 */
export function assertManagementCluster(deps: Pick<ToolDeps, 'caller' | 'clusters'>, requested: unknown): void {
  if (deps.caller.managementClusters === undefined) return;
  const usable = deps.clusters.names.filter((n) => mayUseManagementCluster(deps.caller, n));
  const name = typeof requested === 'string' ? requested : deps.clusters.names[0];
  if (name !== undefined && usable.includes(name)) return;
  const none = 'ask an administrator: none of the management clusters this server reaches is one the key may use';
  if (typeof requested === 'string') {
    throw new CapiMcpError(ErrorCode.InvalidInput, `unknown management cluster "${requested}"`, { hint: usable.length > 0 ? `use one of: ${usable.join(', ')}` : none });
  }
  throw new CapiMcpError(ErrorCode.InvalidInput, `API key ${deps.caller.keyId} may not use the default management cluster`, {
    hint: usable.length > 0 ? `pass management_cluster: one of ${usable.join(', ')}` : none,
  });
}

function assertArgumentBounds(args: unknown): void {
  const problem = argumentBoundsProblem(args);
  if (problem === undefined) return;
  throw new CapiMcpError(ErrorCode.InvalidInput, problem, {
    hint: `send each value within ${maxArgumentBytes / 1024} KiB; larger content belongs in a Secret or ConfigMap the ClusterClass reads, not in an argument`,
  });
}

/** Each next step a lower layer reports, phrased with the tool that takes it. */
const nextSteps: Readonly<Record<NextStep, string>> = {
  'see-clusters': 'call list_clusters to see the clusters that exist',
  'follow-provisioning': 'call get_cluster to follow provisioning',
  'check-control-plane': 'call get_cluster to check the control plane',
  'check-cluster-then-delete': 'call get_cluster, then delete_cluster again if this cluster is to go too',
};

/** What the agent should do next after `error`: its hint, then its next step phrased with a tool's name. */
export function nextOf(error: CapiMcpError): string | undefined {
  const parts = [error.hint, error.next && nextSteps[error.next]].filter((p) => p !== undefined && p !== '');
  return parts.length > 0 ? parts.join('; ') : undefined;
}

export function errorResult(toolName: string, error: unknown): CallToolResult {
  const next = error instanceof CapiMcpError ? nextOf(error) : undefined;
  const text =
    error instanceof CapiMcpError
      ? `${error.code}: ${error.message}${next ? `\nNext: ${next}` : ''}`
      : `${internalErrorCode}: ${toolName} failed unexpectedly (a bug in capi-mcp): ${messageOf(error)}\nNext: retrying will not help; report it with the time of the call`;
  return { content: [{ type: 'text', text: redactText(text) }], isError: true };
}
