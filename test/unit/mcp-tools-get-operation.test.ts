/**
 * get_operation (shared/mcp/tools/get-operation.ts) against a recording workflow engine: the view of an
 * operation, and an operation outside the caller's namespaces or management clusters answered exactly
 * as one that does not exist — the same engine calls, the same text.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Caller } from '../../shared/auth/scopes.ts';
import { ErrorCode } from '../../shared/errors.ts';
import { getOperation } from '../../shared/mcp/tools/get-operation.ts';
import { callTool, execution, FakeKube, fakeToolDeps, refusal } from '../support/fake-kube.ts';

const mine = execution('scale', 'team-a', 'demo', { currentStep: 'Wait', lastVerdict: { state: 'progressing', reason: 'workers 2/4 ready' } as never });
const theirs = execution('delete', 'team-b', 'secret-project');
const elsewhere = execution('create', 'team-a', 'far', { managementCluster: 'prod' });

function world(caller: Partial<Caller> = {}) {
  const w = fakeToolDeps({ caller, others: { prod: new FakeKube() } });
  for (const e of [mine, theirs, elsewhere]) w.workflows.seed(e);
  return w;
}

describe('get_operation', () => {
  it('shows a running operation: step, elapsed time, last observation', async () => {
    const { deps } = world();
    const { structured, text } = await callTool(getOperation, { operation_id: mine.name }, deps);
    assert.deepEqual(structured, { operation_id: mine.name, action: 'scale', cluster: 'team-a/demo', status: 'RUNNING', current_step: 'Wait', elapsed_seconds: 120, last_observed: 'workers 2/4 ready' });
    assert.equal(text, `operation ${mine.name}: scale team-a/demo RUNNING at Wait 120s — workers 2/4 ready`);
  });

  it('shows why a failed operation failed, timed from start to stop', async () => {
    const { deps, workflows } = world();
    workflows.update(mine.name, { status: 'FAILED', stoppedAt: '2026-11-25T11:59:30Z', error: 'OperationTimedOut', cause: 'workers 3/4 ready after 1800s' });
    const { structured } = await callTool(getOperation, { operation_id: mine.name }, deps);
    assert.equal(structured.elapsed_seconds, 90);
    assert.equal(structured.failure, 'OperationTimedOut: workers 3/4 ready after 1800s');
  });

  const hidden: { name: string; caller: Partial<Caller>; id: string }[] = [
    { name: 'an operation that does not exist', caller: { namespaces: ['team-a'] }, id: 'scale_team-a_nope_0123456789abcdef0123' },
    { name: "another namespace's operation", caller: { namespaces: ['team-a'] }, id: theirs.name },
    { name: "another management cluster's operation", caller: { managementClusters: ['sandbox'] }, id: elsewhere.name },
    { name: 'an operation on the default management cluster, for a key limited to another', caller: { managementClusters: ['prod'] }, id: mine.name },
  ];
  for (const c of hidden) {
    it(`answers ${c.name} as not found, with the same engine calls`, async () => {
      // Prepare
      const { deps, workflows } = world(c.caller);

      // Act
      const error = await refusal(callTool(getOperation, { operation_id: c.id }, deps));

      // Assess
      assert.equal(error.code, ErrorCode.NotFound);
      assert.equal(error.message, `operation ${c.id} not found`);
      assert.equal(error.hint, 'pass the operation_id exactly as the tool that started the operation returned it');
      assert.deepEqual(workflows.describes, [c.id], 'one describe, as for any id');
    });
  }

  it('shows a key limited to namespaces the operations in them', async () => {
    const { deps } = world({ namespaces: ['team-b', 'team-a'] });
    const { structured } = await callTool(getOperation, { operation_id: mine.name }, deps);
    assert.equal(structured.cluster, 'team-a/demo');
  });
});
