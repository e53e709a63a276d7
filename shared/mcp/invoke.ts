/**
 * The one way a tool runs, whether it was called plainly or as a task: `invoke` checks, runs and audits
 * it and returns a typed outcome; shared/mcp/result.ts renders that outcome as a tool result or as a
 * JSON-RPC error. In order:
 * 1. the caller's scope (derived from the tool's annotations), before anything of the arguments is read;
 * 2. the arguments' size bounds, then the tool's input schema;
 * 3. the caller's namespace and management-cluster limits on the parsed arguments;
 * 4. the handler, and its answer checked against the tool's output schema (a mismatch is a bug in capi-mcp).
 * Every call writes one audit record and counts in the metrics (`audited`), refusals included; the
 * tasks/* methods go through the same `audited` and `requireScope`.
 */
import { ProtocolError } from '@modelcontextprotocol/server';
import type { z } from 'zod';
import { hasScope, mayUseManagementCluster, mayUseNamespace, requiredScope, type Scope } from '../auth/scopes.ts';
import { CapiMcpError, ErrorCode, internalErrorCode } from '../errors.ts';
import { argumentBoundsProblem, maxArgumentBytes } from './argument-limits.ts';
import type { ToolDefinition, ToolDeps, ToolOutput } from './tool.ts';

export interface CallContext {
  readonly requestId: string;
}

/**
 * What a call came to. `error` is a CapiMcpError when capi-mcp refused or the cluster failed the call;
 * anything else is a bug in capi-mcp.
 */
export type Outcome<O = unknown> = { readonly ok: true; readonly output: ToolOutput<O> } | { readonly ok: false; readonly error: unknown };

export async function invoke(tool: ToolDefinition, args: unknown, deps: ToolDeps, context: CallContext): Promise<Outcome> {
  try {
    const output = await audited(deps, context, { name: tool.name, arguments: args, cluster: clusterOf(args), metered: true }, async () => {
      requireScope(deps, requiredScope(tool), tool.name);
      assertArgumentBounds(args);
      const parsed = parseArguments(tool, args);
      assertLimits(tool, parsed, deps);
      const output = await tool.handler(parsed as never, deps);
      assertOutput(tool, output.structured);
      return output;
    });
    return { ok: true, output };
  } catch (error) {
    return { ok: false, error };
  }
}

/** What an audit record names: the tool or method, its arguments as sent, the cluster they name. */
export interface AuditedCall {
  readonly name: string;
  readonly arguments: unknown;
  readonly cluster?: string | undefined;
  /** Counted in the tool-call metrics too (tools are; tasks/* methods are audited only). */
  readonly metered?: boolean;
}

/**
 * Runs `run` and writes its one audit record, whatever it came to: `denied` for a refused key, `error`
 * with the error's code otherwise. A failure that is not a CapiMcpError is a bug: its stack goes to the
 * operator's log (redacted there), never to the caller.
 */
export async function audited<T>(deps: ToolDeps, context: CallContext, call: AuditedCall, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  let outcome: 'ok' | 'error' | 'denied' = 'ok';
  let reason: string | undefined;
  try {
    return await run();
  } catch (error) {
    outcome = error instanceof CapiMcpError && error.code === ErrorCode.Forbidden ? 'denied' : 'error';
    reason = error instanceof CapiMcpError ? error.code : reasonOf(error);
    // A bug, but not a client that gave up waiting (tasks/result aborted with its request): that says nothing about capi-mcp.
    if (reason === internalErrorCode) deps.log.error(`${call.name} failed unexpectedly`, { requestId: context.requestId, error: error instanceof Error ? error.stack : String(error) });
    throw error;
  } finally {
    const durationMs = Math.round(performance.now() - started);
    if (call.metered) deps.metrics.toolCall(call.name, outcome, durationMs);
    deps.log.audit({
      requestId: context.requestId,
      keyId: deps.caller.keyId,
      tool: call.name,
      arguments: call.arguments,
      ...(call.cluster ? { cluster: call.cluster } : {}),
      outcome,
      ...(reason ? { reason } : {}),
      durationMs,
    });
  }
}

/**
 * The audit reason of a failure that is not a CapiMcpError: a protocol-level refusal (the SDK's
 * ProtocolError) keeps its JSON-RPC code; a request its client aborted is `Cancelled`; anything else is a bug.
 */
function reasonOf(error: unknown): string {
  if (error instanceof ProtocolError) return String(error.code);
  if (error instanceof Error && error.name === 'AbortError') return 'Cancelled';
  return internalErrorCode;
}

/** Refuses a caller without `scope` for `what` (a tool name, or what a tasks/* method does). */
export function requireScope(deps: Pick<ToolDeps, 'caller'>, scope: Scope, what: string): void {
  if (hasScope(deps.caller, scope)) return;
  throw new CapiMcpError(ErrorCode.Forbidden, `${what} needs the "${scope}" scope, which API key ${deps.caller.keyId} does not have`, {
    hint: `ask an administrator for a key with the ${scope} scope`,
  });
}

/**
 * `namespace/name` for the audit record, when the arguments name a cluster. Note: read from the arguments
 * as sent (a refused call is audited too), so only values that could be a namespace and a name count.
 */
function clusterOf(args: unknown): string | undefined {
  const named = (args ?? {}) as { namespace?: unknown; name?: unknown };
  const plausible = (value: unknown, max: number): value is string => typeof value === 'string' && value.length <= max && /^[a-z0-9.-]+$/.test(value);
  return plausible(named.namespace, 63) && plausible(named.name, 253) ? `${named.namespace}/${named.name}` : undefined;
}

function assertArgumentBounds(args: unknown): void {
  const problem = argumentBoundsProblem(args);
  if (problem === undefined) return;
  throw new CapiMcpError(ErrorCode.InvalidInput, problem, {
    hint: `send each value within ${maxArgumentBytes / 1024} KiB; larger content belongs in a Secret or ConfigMap the ClusterClass reads, not in an argument`,
  });
}

/** The arguments as the tool's input schema reads them; an absent `arguments` is an empty object. */
function parseArguments(tool: ToolDefinition, args: unknown): unknown {
  const parsed = tool.inputSchema.safeParse(args ?? {});
  if (parsed.success) return parsed.data;
  throw new CapiMcpError(ErrorCode.InvalidInput, `invalid arguments for ${tool.name}: ${issuesOf(parsed.error)}`, {
    hint: `send the arguments tools/list gives in ${tool.name}'s inputSchema`,
  });
}

/**
 * Each issue as `path: message`, at most five, each path segment cut to 40 characters (a key is the
 * caller's own text) and the whole to 1,000: enough to correct the call, bounded whatever was sent.
 */
function issuesOf(error: z.ZodError): string {
  const segment = (part: PropertyKey) => {
    const text = String(part);
    return text.length > 40 ? `${text.slice(0, 40)}…` : text;
  };
  const issues = error.issues.slice(0, 5).map((issue) => `${issue.path.length > 0 ? issue.path.map(segment).join('.') : '(arguments)'}: ${issue.message}`);
  const more = error.issues.length - issues.length;
  const text = issues.join('; ') + (more > 0 ? `; and ${more} more` : '');
  return text.length > 1000 ? `${text.slice(0, 1000)}…` : text;
}

function assertLimits(tool: ToolDefinition, args: unknown, deps: ToolDeps): void {
  const { namespace, management_cluster } = args as { namespace?: unknown; management_cluster?: unknown };
  if (typeof namespace === 'string') assertNamespace(deps, namespace);
  if ('management_cluster' in tool.inputSchema.shape) assertManagementCluster(deps, management_cluster);
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
  if (requested === everyManagementCluster) {
    if (usableManagementClusters(deps).length > 0) return;
    throw new CapiMcpError(ErrorCode.Forbidden, `API key ${deps.caller.keyId} may use none of the management clusters this server reaches`, { hint: 'ask an administrator' });
  }
  if (deps.caller.managementClusters === undefined) return;
  const usable = usableManagementClusters(deps);
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

/** `management_cluster: "*"`, for the tools that read the whole fleet: every management cluster the caller may use. */
export const everyManagementCluster = '*';

/** The configured management clusters the caller may use, the default first. */
export function usableManagementClusters(deps: Pick<ToolDeps, 'caller' | 'clusters'>): string[] {
  return deps.clusters.names.filter((n) => mayUseManagementCluster(deps.caller, n));
}

/** A handler's answer that its own output schema refuses is a bug here, not something the caller did. */
function assertOutput(tool: ToolDefinition, structured: unknown): void {
  const checked = tool.outputSchema.safeParse(structured);
  if (!checked.success) throw new Error(`${tool.name} answered outside its output schema: ${issuesOf(checked.error)}`);
}
