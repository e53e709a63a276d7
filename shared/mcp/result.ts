/**
 * The one place where a tool call is checked, run, audited and turned into an MCP result:
 * 1. the caller's scope (derived from the tool's annotations) and namespace limits are enforced before
 *    the handler runs, so no tool can forget them;
 * 2. a CapiMcpError becomes an `isError` result whose text says what failed and what to do next;
 *    anything else is reported as an upstream error by message only (never a stack trace), redacted;
 * 3. every call writes one audit record (key id, tool, redacted arguments, cluster, outcome, duration)
 *    and counts in the metrics by tool and outcome.
 */
import type { CallToolResult } from '@modelcontextprotocol/server';
import { hasScope, mayUseNamespace, requiredScope } from '../auth/scopes.ts';
import { CapiMcpError, ErrorCode, messageOf } from '../errors.ts';
import { redactText } from '../observability/redact.ts';
import { argumentBoundsProblem, maxArgumentBytes } from './argument-limits.ts';
import type { ToolDefinition, ToolDeps } from './tool.ts';

export interface CallContext {
  readonly requestId: string;
}

export async function runTool(tool: ToolDefinition, args: unknown, deps: ToolDeps, context: CallContext): Promise<CallToolResult> {
  const started = performance.now();
  const named = (args ?? {}) as { namespace?: unknown; name?: unknown };
  const cluster = typeof named.namespace === 'string' && typeof named.name === 'string' ? `${named.namespace}/${named.name}` : undefined;
  let outcome: 'ok' | 'error' | 'denied' = 'ok';
  let reason: string | undefined;
  try {
    authorize(tool, named.namespace, deps);
    assertArgumentBounds(args);
    const output = await tool.handler(args as never, deps);
    return { content: [{ type: 'text', text: output.text }], structuredContent: output.structured as Record<string, unknown> };
  } catch (error) {
    const result = errorResult(tool.name, error);
    outcome = error instanceof CapiMcpError && error.code === ErrorCode.Forbidden ? 'denied' : 'error';
    reason = error instanceof CapiMcpError ? error.code : 'Internal';
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

function authorize(tool: ToolDefinition, namespace: unknown, deps: ToolDeps): void {
  const scope = requiredScope(tool);
  if (!hasScope(deps.caller, scope)) {
    throw new CapiMcpError(ErrorCode.Forbidden, `${tool.name} needs the "${scope}" scope, which API key ${deps.caller.keyId} does not have`, {
      hint: `ask an administrator for a key with the ${scope} scope`,
    });
  }
  if (typeof namespace === 'string') assertNamespace(deps, namespace);
}

/** Refuses a namespace outside the caller's limits; tools that take a namespace another way call it too. */
export function assertNamespace(deps: Pick<ToolDeps, 'caller'>, namespace: string): void {
  if (mayUseNamespace(deps.caller, namespace)) return;
  throw new CapiMcpError(ErrorCode.Forbidden, `API key ${deps.caller.keyId} may not use namespace ${namespace}`, {
    hint: `use one of the key's namespaces: ${deps.caller.namespaces!.join(', ')}`,
  });
}

function assertArgumentBounds(args: unknown): void {
  const problem = argumentBoundsProblem(args);
  if (problem === undefined) return;
  throw new CapiMcpError(ErrorCode.InvalidInput, problem, {
    hint: `send each value within ${maxArgumentBytes / 1024} KiB; larger content belongs in a Secret or ConfigMap the ClusterClass reads, not in an argument`,
  });
}

export function errorResult(toolName: string, error: unknown): CallToolResult {
  const e = error instanceof CapiMcpError ? error : new CapiMcpError(ErrorCode.Upstream, `${toolName} failed: ${messageOf(error)}`);
  const text = redactText(`${e.code}: ${e.message}${e.hint ? `\nNext: ${e.hint}` : ''}`);
  return { content: [{ type: 'text', text }], isError: true };
}
