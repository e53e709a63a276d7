/**
 * The production WorkflowEngine: executions of the deployed cluster-operation state machine
 * (infra/lib/workflows.ts), read back through the Step Functions API. An execution name is an operation
 * id, so every call addresses an execution by the ARN Step Functions derives from the machine and the
 * name, and nothing is stored beside Step Functions itself.
 *
 * The record gives what the local engine gives (shared/workflows/local-engine.ts):
 * - status, start and stop dates, input, and a failure's error and cause come from DescribeExecution
 *   (an abort's cause, which DescribeExecution leaves out, from the ExecutionAborted event);
 * - currentStep and lastVerdict come from the newest events of GetExecutionHistory: the last state
 *   entered (for a failed execution, the step it failed in rather than the Fail state it ended on), and
 *   the verdict in the output of the last Poll state that exited.
 *
 * Step Functions keeps a closed execution for 90 days; after that its name is free again and describe
 * answers undefined, as for a name never used.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists as SfnExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  paginateListExecutions,
  StartExecutionCommand,
  StopExecutionCommand,
  type DescribeExecutionOutput,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { CapiMcpError, ErrorCode, messageOf } from '../errors.ts';
import { canonicalJson } from './canonical-json.ts';
import { ExecutionAlreadyExists, listLimit, mayBeInNamespaces, type ExecutionRecord, type ListQuery, type WorkflowEngine } from './engine.ts';
import type { Verdict, WorkflowInput } from './operation.ts';
import { assertStateMachineArn } from './state-machine-arn.ts';
import { failurePath, StateNames, type ExecutionStatus } from './states.ts';

/**
 * How many of the newest history events describe reads. One Wait → Poll → Choice cycle is 9 events and
 * a Poll retried to its limit (6 retries) adds 21, so 40 always reach back to the last Poll that exited.
 */
export const historyWindow = 40;

/**
 * list reads at most this many ListExecutions pages of `listPageSize` (the API's largest): the newest
 * 10 000 executions of every tenant, the bound on one listing's calls and time.
 */
export const listPages = 10;
export const listPageSize = 1000;

/** Parallel DescribeExecution/GetExecutionHistory calls while listing, well under the API's throttling buckets. */
const listConcurrency = 8;

export interface SfnWorkflowEngineOptions {
  readonly client: SFNClient;
  /** `arn:<partition>:states:<region>:<account>:stateMachine:<name>`. */
  readonly stateMachineArn: string;
}

export class SfnWorkflowEngine implements WorkflowEngine {
  private readonly client: SFNClient;
  private readonly stateMachineArn: string;

  constructor({ client, stateMachineArn }: SfnWorkflowEngineOptions) {
    assertStateMachineArn(stateMachineArn);
    this.client = client;
    this.stateMachineArn = stateMachineArn;
  }

  /** The ARN Step Functions gives the execution `name` of this state machine. */
  executionArn(name: string): string {
    return `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }

  /**
   * StartExecution's name semantics are the engine contract (engine.ts): for a name whose execution is
   * RUNNING with the identical input string, Step Functions returns that execution instead of starting
   * another; for a closed execution's name, or other input, it refuses with ExecutionAlreadyExists.
   * Note: identical means the same JSON text, so the input is sent as canonical JSON: equal inputs built
   * in another key order still join.
   */
  async start(name: string, input: WorkflowInput): Promise<ExecutionRecord> {
    try {
      await this.client.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: canonicalJson(input) }));
    } catch (error) {
      if (error instanceof SfnExecutionAlreadyExists) throw new ExecutionAlreadyExists(name);
      throw stepFunctionsFailure(`failed to start execution ${name}`, error);
    }
    const record = await this.describe(name);
    if (!record) throw new CapiMcpError(ErrorCode.Upstream, `execution ${name} was started but DescribeExecution does not find it`, { hint: retryHint });
    return record;
  }

  /**
   * DescribeExecution, then (for an execution `visible` accepts) its newest history events. An execution
   * `visible` refuses, or whose input is not an operation, ends after the one call a missing one costs.
   */
  async describe(name: string, visible?: (input: WorkflowInput) => boolean): Promise<ExecutionRecord | undefined> {
    const executionArn = this.executionArn(name);
    try {
      const description = await this.client.send(new DescribeExecutionCommand({ executionArn }));
      if (visible) {
        const input = operationInputOf(description);
        if (!input || !visible(input)) return undefined;
      }
      const history = await this.client.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: historyWindow }));
      return recordOf(description, history.events ?? []);
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return undefined;
      if (error instanceof NotAnOperation) throw error;
      throw stepFunctionsFailure(`failed to describe execution ${name}`, error);
    }
  }

  /**
   * The newest executions `query` accepts (at most `listLimit`), newest first. Ids name their namespace,
   * so a namespace-limited caller's listing skips other namespaces' executions before any describe, and
   * pages on (up to `listPages` pages) until it has `limit` of its own: what a key sees never depends on
   * how much other tenants run. `visible` (the management-cluster check too) decides on each input.
   * Note: ListExecutions carries neither input nor history, so each candidate costs a describe, in order,
   * a batch at a time; the SDK's retry absorbs throttling.
   */
  async list(query: ListQuery = {}): Promise<ExecutionRecord[]> {
    const limit = Math.min(query.limit ?? listLimit, listLimit);
    const found: ExecutionRecord[] = [];
    let pages = 0;
    const paginator = paginateListExecutions(
      { client: this.client, pageSize: listPageSize },
      { stateMachineArn: this.stateMachineArn, ...(query.status ? { statusFilter: query.status } : {}) },
    );
    for await (const page of listingFailures(paginator)) {
      const names = (page.executions ?? []).flatMap((e) => (e.name && mayBeInNamespaces(e.name, query.namespaces) ? [e.name] : []));
      for (let i = 0; i < names.length && found.length < limit; i += listConcurrency) {
        const batch = await Promise.all(names.slice(i, i + listConcurrency).map((name) => this.describeListed(name, query.visible)));
        for (const record of batch) if (record) found.push(record);
      }
      if (found.length >= limit || ++pages >= listPages) break;
    }
    return found.sort((a, b) => b.startedAt.localeCompare(a.startedAt)).slice(0, limit);
  }

  /** A listed execution, unless `visible` refuses it or it is not an operation (started by hand, say). */
  private async describeListed(name: string, visible: ListQuery['visible']): Promise<ExecutionRecord | undefined> {
    try {
      return await this.describe(name, visible);
    } catch (error) {
      if (error instanceof NotAnOperation) return undefined;
      throw error;
    }
  }

  /** Stops a running execution (ABORTED, with `cause`) and returns it as it ended. */
  async stop(name: string, cause: string): Promise<ExecutionRecord> {
    try {
      await this.client.send(new StopExecutionCommand({ executionArn: this.executionArn(name), cause }));
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) throw new CapiMcpError(ErrorCode.NotFound, `no execution named ${name}`, { cause: error });
      throw stepFunctionsFailure(`failed to stop execution ${name}`, error);
    }
    // Note: an execution reads as stopped at once on Step Functions; moto's stops it on its worker thread,
    // which under load lags the answer. A stop returns the execution as it ended, so read until it has.
    for (let reads = 1; ; reads++) {
      const record = await this.describe(name);
      if (!record) throw new CapiMcpError(ErrorCode.NotFound, `no execution named ${name}`);
      if (record.status !== 'RUNNING' || reads >= maxStopReads) return record;
      await sleep(250);
    }
  }
}

/** DescribeExecution calls a stop makes at most (250 ms apart) before returning what it read. */
const maxStopReads = 20;

const retryHint = 'retry in a few seconds; if it persists, check the Step Functions service health and quotas';

/**
 * A Step Functions failure as the agent reads it: Step Functions' trouble (Upstream, retry), never "a bug
 * in capi-mcp", which is what a foreign exception would become. The SDK has already retried throttling
 * (ThrottlingException, a DescribeExecution bucket refilling at 15/s; SCALING.md) by the time it gets here.
 */
function stepFunctionsFailure(context: string, error: unknown): CapiMcpError {
  const name = (error as { name?: unknown } | undefined)?.name;
  const throttled = name === 'ThrottlingException' || name === 'TooManyRequestsException' || (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode === 429;
  const detail = throttled ? `Step Functions is throttling requests (${messageOf(error)})` : messageOf(error);
  return new CapiMcpError(ErrorCode.Upstream, `${context}: ${detail}`, { hint: retryHint, cause: error });
}

/** ListExecutions pages, with a failure reported as stepFunctionsFailure. */
async function* listingFailures<T>(pages: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = pages[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<T>;
    try {
      next = await iterator.next();
    } catch (error) {
      throw stepFunctionsFailure('failed to list executions', error);
    }
    if (next.done) return;
    yield next.value;
  }
}

/**
 * The record of an execution from its description and its newest history events (in any order: they
 * are sorted by id here). Throws when the input is not a workflow input.
 */
export function recordOf(description: DescribeExecutionOutput, events: readonly HistoryEvent[]): ExecutionRecord {
  const name = description.name ?? description.executionArn?.split(':').pop() ?? '';
  const input = operationInputOf(description);
  if (!input) throw new NotAnOperation(name);
  const newestFirst = [...events].sort((a, b) => (b.id ?? 0) - (a.id ?? 0));
  const ended = terminalDetails(newestFirst);
  const error = nonEmpty(description.error) ?? ended?.error;
  const cause = nonEmpty(description.cause) ?? ended?.cause;
  const currentStep = lastStep(newestFirst);
  const lastVerdict = lastPollVerdict(newestFirst);
  return {
    name,
    input,
    status: description.status as ExecutionStatus,
    startedAt: (description.startDate ?? new Date(0)).toISOString(),
    ...(description.stopDate ? { stoppedAt: description.stopDate.toISOString() } : {}),
    ...(currentStep ? { currentStep } : {}),
    ...(lastVerdict ? { lastVerdict } : {}),
    ...(error ? { error } : {}),
    ...(cause ? { cause } : {}),
  };
}

/** The execution's input, when it is a workflow input. */
function operationInputOf(description: DescribeExecutionOutput): WorkflowInput | undefined {
  const input = parseJson(description.input) as WorkflowInput | undefined;
  return input && typeof input.operation?.action === 'string' ? input : undefined;
}

/** The last state entered, leaving out the states a failure passes through on its way to the end. */
function lastStep(newestFirst: readonly HistoryEvent[]): string | undefined {
  for (const event of newestFirst) {
    const state = event.type?.endsWith('StateEntered') ? event.stateEnteredEventDetails?.name : undefined;
    if (state && !failurePath.includes(state)) return state;
  }
  return undefined;
}

/** The verdict the last Poll to exit wrote at its ResultPath ($.status). */
function lastPollVerdict(newestFirst: readonly HistoryEvent[]): Verdict | undefined {
  const exited = newestFirst.find((e) => e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === StateNames.poll);
  // A truncated output (over 256 KiB) does not parse, and is no verdict.
  const verdict = (parseJson(exited?.stateExitedEventDetails?.output) as { status?: Verdict } | undefined)?.status;
  const states: readonly string[] = ['converged', 'progressing', 'failed', 'timedOut'];
  return verdict && states.includes(verdict.state) && typeof verdict.reason === 'string' ? { state: verdict.state, reason: verdict.reason } as Verdict : undefined;
}

/** The error and cause of the event that closed the execution, if it is among `newestFirst`. */
function terminalDetails(newestFirst: readonly HistoryEvent[]): { error?: string; cause?: string } | undefined {
  for (const event of newestFirst) {
    const details = event.executionFailedEventDetails ?? event.executionAbortedEventDetails ?? event.executionTimedOutEventDetails;
    if (details) return { ...(nonEmpty(details.error) ? { error: details.error } : {}), ...(nonEmpty(details.cause) ? { cause: details.cause } : {}) };
  }
  return undefined;
}

/** An execution of the state machine whose input is not a workflow input (started by hand, say). */
export class NotAnOperation extends Error {
  constructor(name: string) {
    super(`execution ${name} has no operation in its input`);
    this.name = 'NotAnOperation';
  }
}

function nonEmpty(text: string | undefined): string | undefined {
  return text ? text : undefined;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
