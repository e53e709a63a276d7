/**
 * The one error type of capi-mcp. Every failure an agent can see is a CapiMcpError with a code and, where
 * one exists, the next step (`hint`); the MCP layer maps it to an `isError` tool result in one place
 * (shared/mcp/result.ts). Messages chain context outward: "failed to get cluster x: failed to list Machines: …".
 */

export const ErrorCode = {
  NotFound: 'NotFound',
  InvalidInput: 'InvalidInput',
  Forbidden: 'Forbidden',
  Conflict: 'Conflict',
  Upstream: 'Upstream',
  Timeout: 'Timeout',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * What a failure that is not a CapiMcpError is reported as (result text, audit reason): a bug in
 * capi-mcp, never something a caller or a cluster caused. Note: not an ErrorCode on purpose: no code path
 * raises it deliberately, so an agent (and the fuzz test) can treat every one as a defect.
 */
export const internalErrorCode = 'Internal';

/**
 * A next step that takes an MCP tool, said as what the agent needs to find out. Note: the layers below
 * mcp/ do not know the tools' names; shared/mcp/result.ts phrases each one with the tool that does it.
 */
export type NextStep = 'see-clusters' | 'see-machines' | 'follow-provisioning' | 'check-control-plane' | 'check-cluster-then-delete';

export class CapiMcpError extends Error {
  readonly code: ErrorCode;
  /** What the agent should do next, e.g. "ask an administrator for a key with the write scope". */
  readonly hint: string | undefined;
  /** A next step that takes a tool, phrased by the MCP layer after `hint`. */
  readonly next: NextStep | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; next?: NextStep; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'CapiMcpError';
    this.code = code;
    this.hint = options.hint;
    this.next = options.next;
  }
}

/** Prefixes `error`'s message with `context`, keeping its code and next steps; wraps foreign errors as Upstream. */
export function wrapError(context: string, error: unknown): CapiMcpError {
  if (error instanceof CapiMcpError) {
    return new CapiMcpError(error.code, `${context}: ${error.message}`, { hint: error.hint, next: error.next, cause: error });
  }
  return new CapiMcpError(ErrorCode.Upstream, `${context}: ${messageOf(error)}`, { cause: error });
}

/** True for a CapiMcpError saying the object does not exist. */
export function isNotFound(error: unknown): boolean {
  return error instanceof CapiMcpError && error.code === ErrorCode.NotFound;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
