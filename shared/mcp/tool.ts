/**
 * What a tool is: one exported definition with its name, schemas, explicit annotations and a handler
 * that takes validated arguments and dependencies and returns structured output plus compact text.
 * Handlers throw CapiMcpError; shared/mcp/invoke.ts runs them and shared/mcp/result.ts renders what they
 * came to.
 */
import type { z } from 'zod';
import type { Caller } from '../auth/scopes.ts';
import type { Deps } from '../deps.ts';
import type { Cursors } from './cursor.ts';

/** Everything a handler may use: the per-process dependencies plus who is calling and their cursors, in this request. */
export type ToolDeps = Deps & { readonly caller: Caller; readonly cursors: Cursors };

/** All four hints, always set: gating and clients read them, so none is left to a default. */
export interface ToolAnnotations {
  readonly readOnlyHint: boolean;
  readonly destructiveHint: boolean;
  readonly idempotentHint: boolean;
  readonly openWorldHint: boolean;
}

export interface ToolOutput<O> {
  readonly structured: O;
  /** Compact text for the model: rows and trees, not JSON. */
  readonly text: string;
}

export interface ToolDefinition<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  readonly name: string;
  readonly title: string;
  /** One line an agent can act on: what it returns and when to call it. */
  readonly description: string;
  readonly inputSchema: I;
  readonly outputSchema: O;
  readonly annotations: ToolAnnotations;
  /** The result carries credentials: never logged, never in an error message or metric label. */
  readonly sensitive?: boolean;
  /**
   * The handler starts (or joins) an operation and answers with it, or with `dry_run` its plan
   * (operationOrPlanSchema): the tool runs as an MCP task when the client asks, and its task is the operation.
   */
  readonly startsOperation?: true;
  /** Dependencies the tool cannot work without; a server lacking one does not list the tool. */
  readonly requires?: readonly 'workflows'[];
  readonly handler: (args: z.output<I>, deps: ToolDeps) => Promise<ToolOutput<z.output<O>>>;
}

/** Keeps each tool file's types precise while the registry holds them as one list. */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(tool: ToolDefinition<I, O>): ToolDefinition<I, O> {
  return tool;
}
