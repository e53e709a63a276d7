/**
 * runTool and errorResult (shared/mcp/result.ts): how a failure reaches the agent, the metrics and the
 * audit record. A CapiMcpError keeps its code; anything else is a bug in capi-mcp and is reported as one
 * ("Internal"), never as an Upstream failure an agent would wait out, and never with a stack trace.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { CapiMcpError, ErrorCode, wrapError } from '../../shared/errors.ts';
import type { AuditRecord, Log } from '../../shared/observability/log.ts';
import { errorResult, runTool } from '../../shared/mcp/result.ts';
import { defineTool, type ToolDeps } from '../../shared/mcp/tool.ts';

function throwingTool(error: unknown) {
  return defineTool({
    name: 'get_thing',
    title: 'Get thing',
    description: 'test tool',
    inputSchema: z.object({ namespace: z.string(), name: z.string() }),
    outputSchema: z.object({}),
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async handler() {
      throw error;
    },
  });
}

async function call(error: unknown) {
  const audits: AuditRecord[] = [];
  const errors: Record<string, unknown>[] = [];
  const outcomes: string[] = [];
  const log: Log = { info() {}, warn() {}, error: (_m, fields) => errors.push(fields ?? {}), audit: (r) => audits.push(r) };
  const deps = {
    caller: { keyId: 'keyaaaaaaaaa', scopes: ['admin'] },
    log,
    metrics: { toolCall: (_t: string, outcome: string) => outcomes.push(outcome), authFailure() {}, operationStarted() {} },
  } as unknown as ToolDeps;
  const result = await runTool(throwingTool(error), { namespace: 'team-a', name: 'x' }, deps, { requestId: 'req-1' });
  return { text: (result.content[0] as { text: string }).text, isError: result.isError, audits, errors, outcomes };
}

describe('runTool', () => {
  it('reports a foreign exception as a bug: Internal, by message only, audited with reason Internal', async () => {
    const { text, isError, audits, errors, outcomes } = await call(new TypeError("Cannot read properties of undefined (reading 'spec')"));
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
    const { text, audits } = await call(new CapiMcpError(ErrorCode.Upstream, 'failed to list Machines: connection refused', { hint: 'retry' }));
    assert.equal(text, 'Upstream: failed to list Machines: connection refused\nNext: retry');
    assert.equal(audits[0]!.reason, 'Upstream');
  });

  it('reports a refusal as denied, not as an error', async () => {
    const { audits, outcomes } = await call(new CapiMcpError(ErrorCode.Forbidden, 'no'));
    assert.deepEqual(outcomes, ['denied']);
    assert.equal(audits[0]!.reason, 'Forbidden');
  });
});

describe('errorResult', () => {
  it('reports a thrown non-Error value as a bug too', () => {
    const result = errorResult('list_clusters', 'boom');
    assert.equal((result.content[0] as { text: string }).text.split('\n')[0], 'Internal: list_clusters failed unexpectedly (a bug in capi-mcp): boom');
  });

  // The layers below mcp/ report a next step without a tool's name (shared/errors.ts, NextStep); the text
  // an agent reads is the one those layers used to write themselves.
  const nextSteps: [string, CapiMcpError, string][] = [
    [
      'phrases a missing cluster with the tool that lists clusters',
      new CapiMcpError(ErrorCode.NotFound, 'cluster team-a/x not found', { next: 'see-clusters' }),
      'NotFound: cluster team-a/x not found\nNext: call list_clusters to see the clusters that exist',
    ],
    [
      'puts the fact first and the tool to follow provisioning after it',
      new CapiMcpError(ErrorCode.NotFound, 'no kubeconfig yet', { hint: 'its control plane is not initialized yet', next: 'follow-provisioning' }),
      'NotFound: no kubeconfig yet\nNext: its control plane is not initialized yet; call get_cluster to follow provisioning',
    ],
    [
      'phrases a next step given alone',
      new CapiMcpError(ErrorCode.NotFound, 'no "value" key', { next: 'check-control-plane' }),
      'NotFound: no "value" key\nNext: call get_cluster to check the control plane',
    ],
    [
      'keeps the next step through wrapError',
      wrapError('failed to read', new CapiMcpError(ErrorCode.NotFound, 'no user kubeconfig yet', { hint: 'its provider writes it once the control plane is ready', next: 'follow-provisioning' })),
      'NotFound: failed to read: no user kubeconfig yet\nNext: its provider writes it once the control plane is ready; call get_cluster to follow provisioning',
    ],
    [
      'phrases a replaced cluster with the tools to look again and delete again',
      new CapiMcpError(ErrorCode.Conflict, 'cluster team-a/x was replaced', { next: 'check-cluster-then-delete' }),
      'Conflict: cluster team-a/x was replaced\nNext: call get_cluster, then delete_cluster again if this cluster is to go too',
    ],
    ['writes a hint alone as it is', new CapiMcpError(ErrorCode.Forbidden, 'no', { hint: 'ask an administrator' }), 'Forbidden: no\nNext: ask an administrator'],
    ['writes no Next line without a hint or a next step', new CapiMcpError(ErrorCode.Conflict, 'taken'), 'Conflict: taken'],
  ];
  for (const [name, error, text] of nextSteps) {
    it(name, () => assert.equal((errorResult('get_thing', error).content[0] as { text: string }).text, text));
  }

  it('redacts secrets in the message of a foreign exception', () => {
    const result = errorResult('list_clusters', new Error('request failed: Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789'));
    assert.doesNotMatch((result.content[0] as { text: string }).text, /abcdefghijklmnopqrstuvwxyz0123456789/);
  });
});
