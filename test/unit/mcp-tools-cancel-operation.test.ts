/**
 * cancel_operation (shared/mcp/tools/cancel-operation.ts) against a recording workflow engine: only a
 * running operation the caller may see is stopped, and the answer says whether its change had already
 * been applied (cancelling does not undo it).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../shared/errors.ts';
import { cancelOperation } from '../../shared/mcp/tools/cancel-operation.ts';
import type { ExecutionRecord } from '../../shared/workflows/engine.ts';
import { callTool, execution, fakeToolDeps, refusal } from '../support/fake-kube.ts';

function world(record: ExecutionRecord, namespaces?: string[]) {
  const w = fakeToolDeps(namespaces ? { caller: { namespaces } } : {});
  w.workflows.seed(record);
  return w;
}

describe('cancel_operation', () => {
  const refusals: { name: string; record: ExecutionRecord; namespaces?: string[]; expect: { code: ErrorCode; message: RegExp; hint: string } }[] = [
    {
      name: 'an operation that already ended',
      record: execution('scale', 'team-a', 'demo', { status: 'SUCCEEDED', stoppedAt: '2026-11-25T11:59:00Z' }),
      expect: { code: ErrorCode.Conflict, message: /^operation scale_team-a_demo_\w+ already ended SUCCEEDED$/, hint: 'call get_operation for its outcome' },
    },
    {
      name: "another namespace's running operation, as one that does not exist",
      record: execution('delete', 'team-b', 'demo'),
      namespaces: ['team-a'],
      expect: { code: ErrorCode.NotFound, message: /^operation delete_team-b_demo_\w+ not found$/, hint: 'call list_operations to see operations' },
    },
  ];
  for (const c of refusals) {
    it(`refuses ${c.name}, stopping nothing`, async () => {
      // Prepare
      const { deps, workflows } = world(c.record, c.namespaces);

      // Act
      const error = await refusal(callTool(cancelOperation, { operation_id: c.record.name }, deps));

      // Assess
      assert.equal(error.code, c.expect.code);
      assert.match(error.message, c.expect.message);
      assert.equal(error.hint, c.expect.hint);
      assert.deepEqual(workflows.stops, []);
      assert.equal(workflows.record(c.record.name)?.status, c.record.status);
    });
  }

  const stopped: { name: string; record: ExecutionRecord; applied: boolean; next: string }[] = [
    {
      name: 'before its Apply step completed: the change may or may not have reached the cluster',
      record: execution('scale', 'team-a', 'demo', { currentStep: 'Apply' }),
      applied: false,
      next: 'the Apply step had not completed, so the change may or may not have reached team-a/demo; call get_cluster to see',
    },
    {
      name: 'past Apply: the change stays, and the controllers carry on with it',
      record: execution('upgrade', 'team-a', 'demo', { currentStep: 'Wait' }),
      applied: true,
      next: 'the upgrade of team-a/demo was already applied; the controllers carry on with it',
    },
    {
      name: 'a create past Apply: the way to undo it is delete_cluster',
      record: execution('create', 'team-a', 'demo', { currentStep: 'Poll' }),
      applied: true,
      next: 'the create of team-a/demo was already applied; the controllers carry on with it — call delete_cluster to remove the cluster',
    },
  ];
  for (const c of stopped) {
    it(`stops a running operation ${c.name}`, async () => {
      // Prepare
      const { deps, workflows } = world(c.record, ['team-a']);

      // Act
      const { structured, text } = await callTool(cancelOperation, { operation_id: c.record.name }, deps);

      // Assess
      assert.deepEqual(workflows.stops, [{ name: c.record.name, cause: 'cancelled through cancel_operation' }]);
      assert.equal(structured.status, 'ABORTED');
      assert.equal(structured.applied, c.applied);
      assert.equal(text.split('\n')[1], c.next);
    });
  }
});
