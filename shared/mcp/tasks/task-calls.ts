/**
 * Task-augmented `tools/call` (the TaskCalls of shared/mcp/tool-calls.ts). The tool runs exactly as a
 * plain call does (`invoke`: scopes, arguments, checks, audit, the workflow start), and its result — the
 * operation it started or joined — is answered as a task whose id is the operation id:
 * - 2025-11-25: the client asks with `params.task`; the answer is `{ task }`. A refused call (invalid
 *   arguments, a cluster that already exists) started nothing, so no task exists: it is a JSON-RPC error;
 * - 2026-07-28: the client declares the extension on the request and the server decides; it answers
 *   `resultType: "task"` for an operation, and a refused call's own tool result otherwise.
 * Clients that ask for neither get the plain result with its `operation_id` and follow get_operation.
 * A dry run (`dry_run: true`) starts nothing: 2026-07-28 answers its plan directly, 2025-11-25 refuses the
 * task request (-32602), naming the plain call that answers it.
 */
import { ProtocolError, ProtocolErrorCode, type ServerContext } from '@modelcontextprotocol/server';
import { CapiMcpError } from '../../errors.ts';
import { asksDryRun } from '../arguments.ts';
import type { CallContext, Outcome } from '../invoke.ts';
import { protocolError, toolResult } from '../result.ts';
import type { ToolDeps } from '../tool.ts';
import type { CallParams, TaskCalls } from '../tool-calls.ts';
import { declaresTasksExtension } from './task-methods.ts';
import { taskV1, taskV2 } from './task-state.ts';

/** The 2025-11-25 hint a host may hand the model while the task runs. */
const immediateResponseKey = 'io.modelcontextprotocol/model-immediate-response';

const isModern = (ctx: ServerContext) => ctx.mcpReq.envelope !== undefined;

export function taskCalls(deps: ToolDeps, context: CallContext): TaskCalls {
  return {
    asTask(tool, params: CallParams, ctx) {
      const modern = isModern(ctx);
      const asked = modern ? declaresTasksExtension(ctx) : params.task !== undefined;
      if (!asked) return false;
      if (!tool.startsOperation) {
        // 2026-07-28: the server decides, and answers this one directly; 2025-11-25: a tool without
        // taskSupport called as a task SHOULD get -32601.
        if (modern) return false;
        throw new ProtocolError(ProtocolErrorCode.MethodNotFound, `${tool.name} does not run as a task; call it without params.task`);
      }
      if (!modern && !isTaskMetadata(params.task)) {
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'params.task must be an object, with an optional integer ttl');
      }
      if (asksDryRun(params.arguments)) {
        // A dry run starts no operation, so there is no task to answer with. 2026-07-28: the server decides,
        // and answers the plan directly; 2025-11-25 answers a task request with a task only (CreateTaskResult).
        if (modern) return false;
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, `dry_run starts no task: call ${tool.name} without params.task for its plan`);
      }
      return true;
    },

    async answer(tool, outcome: Outcome, ctx) {
      const modern = isModern(ctx);
      if (!outcome.ok) {
        if (modern) return toolResult(tool.name, outcome);
        throw protocolError(tool.name, outcome.error, `${tool.name} started no task: `);
      }
      const operationId = String((outcome.output.structured as { operation_id?: unknown }).operation_id);
      let record;
      try {
        record = await deps.workflows!.describe(operationId);
      } catch (error) {
        if (!(error instanceof CapiMcpError)) deps.log.error(`${tool.name} could not read back operation ${operationId}`, { requestId: context.requestId, error: error instanceof Error ? error.stack : String(error) });
        // The operation runs; only its task cannot be shown. 2026: the plain result names it, so the call still answers.
        if (modern) return toolResult(tool.name, outcome);
        throw protocolError(tool.name, error, `${tool.name} started operation ${operationId}, but it cannot be read back: `);
      }
      if (!record) throw new ProtocolError(ProtocolErrorCode.InternalError, `${tool.name} started operation ${operationId}, but it cannot be read back`);
      const now = deps.now();
      if (modern) return { resultType: 'task', ...taskV2(record, now) };
      return { task: taskV1(record, now), _meta: { [immediateResponseKey]: outcome.output.text } };
    },
  };
}

function isTaskMetadata(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { ttl } = value as { ttl?: unknown };
  return ttl === undefined || (typeof ttl === 'number' && Number.isInteger(ttl) && ttl >= 0);
}
