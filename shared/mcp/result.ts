/**
 * The two renderings of a call's outcome (shared/mcp/invoke.ts):
 * - `toolResult`: the MCP tool result. Success is the structured output plus its compact text; a
 *   CapiMcpError is an `isError` result whose text says what failed and what to do next; anything else
 *   is a bug in capi-mcp and says so ("Internal: …", by message only, never a stack trace, redacted), so
 *   it is never mistaken for a failure of the API server the agent could wait out;
 * - `protocolError`: the same failure as a JSON-RPC error, for the tasks/* methods and for a task-augmented
 *   call that started no task. The JSON-RPC code comes from the error's code, never from its text.
 */
import { ProtocolError, ProtocolErrorCode, type CallToolResult } from '@modelcontextprotocol/server';
import { CapiMcpError, ErrorCode, internalErrorCode, messageOf, type NextStep } from '../errors.ts';
import { redactText } from '../observability/redact.ts';
import type { Outcome } from './invoke.ts';

export function toolResult(name: string, outcome: Outcome): CallToolResult {
  if (!outcome.ok) return errorResult(name, outcome.error);
  return { content: [{ type: 'text', text: outcome.output.text }], structuredContent: outcome.output.structured as Record<string, unknown> };
}

/** Each next step a lower layer reports, phrased with the tool that takes it. */
const nextSteps: Readonly<Record<NextStep, string>> = {
  'see-clusters': 'call list_clusters to see the clusters that exist',
  'see-machines': "call get_cluster to see the cluster's Machines",
  'follow-provisioning': 'call get_cluster to follow provisioning',
  'check-control-plane': 'call get_cluster to check the control plane',
  'check-cluster-then-delete': 'call get_cluster, then delete_cluster again if this cluster is to go too',
};

/** What the agent should do next after `error`: its hint, then its next step phrased with a tool's name. */
export function nextOf(error: CapiMcpError): string | undefined {
  const parts = [error.hint, error.next && nextSteps[error.next]].filter((p) => p !== undefined && p !== '');
  return parts.length > 0 ? parts.join('; ') : undefined;
}

/** `Code: what failed` and, on the next line, `Next: what to do`; redacted. `name` is what was called. */
export function errorText(name: string, error: unknown): string {
  const next = error instanceof CapiMcpError ? nextOf(error) : undefined;
  const text =
    error instanceof CapiMcpError
      ? `${error.code}: ${error.message}${next ? `\nNext: ${next}` : ''}`
      : `${internalErrorCode}: ${name} failed unexpectedly (a bug in capi-mcp): ${messageOf(error)}\nNext: retrying will not help; report it with the time of the call`;
  return redactText(text);
}

export function errorResult(name: string, error: unknown): CallToolResult {
  return { content: [{ type: 'text', text: errorText(name, error) }], isError: true };
}

/**
 * `error` as a JSON-RPC error, its message prefixed with `context` when given. JSON-RPC has no
 * "forbidden": a refused key is an invalid request; a failure of the cluster or of capi-mcp an internal
 * error; anything else the caller sent (arguments, an unknown task, a conflict) invalid params (-32602).
 * A ProtocolError passes as it is.
 */
export function protocolError(name: string, error: unknown, context = ''): ProtocolError {
  if (error instanceof ProtocolError) return error;
  const code =
    !(error instanceof CapiMcpError) ? ProtocolErrorCode.InternalError
    : error.code === ErrorCode.Forbidden ? ProtocolErrorCode.InvalidRequest
    : error.code === ErrorCode.Upstream || error.code === ErrorCode.Timeout ? ProtocolErrorCode.InternalError
    : ProtocolErrorCode.InvalidParams;
  return new ProtocolError(code, `${context}${errorText(name, error)}`);
}
