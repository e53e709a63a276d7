/**
 * invoke (shared/mcp/invoke.ts): the one way a tool runs. Its outcome keeps a CapiMcpError as it is and
 * anything else as a bug; every call, refused or not, writes one audit record and counts in the metrics;
 * a handler's answer outside its own output schema is a bug, not an answer.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { CapiMcpError, ErrorCode } from '../../shared/errors.ts';
import type { AuditRecord, Log } from '../../shared/observability/log.ts';
import { invoke } from '../../shared/mcp/invoke.ts';
import { toolResult } from '../../shared/mcp/result.ts';
import { defineTool, type ToolDeps } from '../../shared/mcp/tool.ts';

function toolAnswering(answer: () => Promise<unknown>) {
  return defineTool({
    name: 'get_thing',
    title: 'Get thing',
    description: 'test tool',
    inputSchema: z.object({ namespace: z.string(), name: z.string() }),
    outputSchema: z.object({ phase: z.string() }),
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async handler() {
      return { structured: (await answer()) as { phase: string }, text: 'thing' };
    },
  });
}

async function call(answer: () => Promise<unknown>) {
  const audits: AuditRecord[] = [];
  const errors: Record<string, unknown>[] = [];
  const outcomes: string[] = [];
  const log: Log = { info() {}, warn() {}, error: (_m, fields) => errors.push(fields ?? {}), audit: (r) => audits.push(r) };
  const deps = {
    caller: { keyId: 'keyaaaaaaaaa', scopes: ['admin'] },
    log,
    metrics: { toolCall: (_t: string, outcome: string) => outcomes.push(outcome), authFailure() {}, operationStarted() {} },
  } as unknown as ToolDeps;
  const outcome = await invoke(toolAnswering(answer), { namespace: 'team-a', name: 'x' }, deps, { requestId: 'req-1' });
  const result = toolResult('get_thing', outcome);
  return { outcome, text: (result.content[0] as { text: string }).text, isError: result.isError, audits, errors, outcomes };
}

const throwing = (error: unknown) => () => Promise.reject(error);

describe('invoke', () => {
  it('reports a foreign exception as a bug: Internal, by message only, audited with reason Internal', async () => {
    const { text, isError, audits, errors, outcomes } = await call(throwing(new TypeError("Cannot read properties of undefined (reading 'spec')")));
    assert.equal(isError, true);
    assert.match(text, /^Internal: get_thing failed unexpectedly \(a bug in capi-mcp\): Cannot read properties of undefined \(reading 'spec'\)\nNext: /);
    assert.doesNotMatch(text, /\n\s+at .+:\d+:\d+/, 'no stack trace in the result');
    assert.deepEqual(outcomes, ['error']);
    assert.equal(audits.length, 1);
    assert.equal(audits[0]!.outcome, 'error');
    assert.equal(audits[0]!.reason, 'Internal');
    assert.match(String(errors[0]?.error), /TypeError: Cannot read properties/, 'the stack goes to the operator log');
  });

  it('keeps the code of a CapiMcpError, audited with that code', async () => {
    const { text, audits, outcome } = await call(throwing(new CapiMcpError(ErrorCode.Upstream, 'failed to list Machines: connection refused', { hint: 'retry' })));
    assert.equal(text, 'Upstream: failed to list Machines: connection refused\nNext: retry');
    assert.equal(audits[0]!.reason, 'Upstream');
    assert.ok(!outcome.ok && outcome.error instanceof CapiMcpError && outcome.error.code === ErrorCode.Upstream, 'the outcome carries the error itself');
  });

  it('reports a refusal as denied, not as an error', async () => {
    const { audits, outcomes } = await call(throwing(new CapiMcpError(ErrorCode.Forbidden, 'no')));
    assert.deepEqual(outcomes, ['denied']);
    assert.equal(audits[0]!.reason, 'Forbidden');
  });

  it('reports an answer outside the tool\'s output schema as a bug, not as the answer', async () => {
    const { text, audits } = await call(async () => ({ phase: 42 }));
    assert.match(text, /^Internal: get_thing failed unexpectedly \(a bug in capi-mcp\): get_thing answered outside its output schema: phase: /);
    assert.equal(audits[0]!.reason, 'Internal');
  });

  it('answers a handler\'s output as structured content and its text', async () => {
    const { outcome, audits, outcomes } = await call(async () => ({ phase: 'Provisioned' }));
    assert.deepEqual(outcome, { ok: true, output: { structured: { phase: 'Provisioned' }, text: 'thing' } });
    assert.deepEqual({ outcome: audits[0]!.outcome, cluster: audits[0]!.cluster }, { outcome: 'ok', cluster: 'team-a/x' });
    assert.deepEqual(outcomes, ['ok']);
  });
});
