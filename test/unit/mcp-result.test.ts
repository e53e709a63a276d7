/**
 * The renderings of a call's outcome (shared/mcp/result.ts): how a failure reads to the agent. A
 * CapiMcpError keeps its code and its next step, phrased with the tool that takes it; anything else is a
 * bug in capi-mcp and reads as one ("Internal"), never with a stack trace, always redacted.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolErrorCode } from '@modelcontextprotocol/server';
import { CapiMcpError, ErrorCode, wrapError } from '../../shared/errors.ts';
import { errorResult, protocolError } from '../../shared/mcp/result.ts';

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

describe('protocolError', () => {
  const cases = [
    { error: new CapiMcpError(ErrorCode.Forbidden, 'no'), code: ProtocolErrorCode.InvalidRequest },
    { error: new CapiMcpError(ErrorCode.NotFound, 'operation x not found'), code: ProtocolErrorCode.InvalidParams },
    { error: new CapiMcpError(ErrorCode.Conflict, 'taken'), code: ProtocolErrorCode.InvalidParams },
    { error: new CapiMcpError(ErrorCode.InvalidInput, 'Upstream: a message that reads like another code'), code: ProtocolErrorCode.InvalidParams },
    { error: new CapiMcpError(ErrorCode.Upstream, 'connection refused'), code: ProtocolErrorCode.InternalError },
    { error: new CapiMcpError(ErrorCode.Timeout, 'deadline'), code: ProtocolErrorCode.InternalError },
    { error: new TypeError('x is undefined'), code: ProtocolErrorCode.InternalError },
  ];
  for (const { error, code } of cases) {
    it(`maps ${error instanceof CapiMcpError ? error.code : 'a bug'} ("${error.message}") to ${code} by its code, not its text`, () => {
      const rendered = protocolError('tasks/get', error, 'context: ');
      assert.equal(rendered.code, code);
      assert.ok(rendered.message.startsWith('context: '), rendered.message);
    });
  }
});
