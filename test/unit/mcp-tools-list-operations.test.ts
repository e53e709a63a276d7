/**
 * list_operations (shared/mcp/tools/list-operations.ts) against a recording workflow engine: newest
 * first, filtered by cluster and status, and only what the caller may see — the engine is told the
 * caller's namespaces, and other tenants' operations neither show nor count against the limit.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Caller } from '../../shared/auth/scopes.ts';
import { listOperations } from '../../shared/mcp/tools/list-operations.ts';
import { callTool, execution, FakeKube, fakeToolDeps } from '../support/fake-kube.ts';

const at = (minute: number) => `2026-11-25T11:${String(minute).padStart(2, '0')}:00Z`;

/** Newest last: team-b's are the newest, so a listing that took the newest and filtered after would come up short. */
const executions = [
  execution('create', 'team-a', 'demo', { startedAt: at(1), status: 'SUCCEEDED', stoppedAt: at(9) }),
  execution('scale', 'team-a', 'demo', { startedAt: at(20) }),
  execution('upgrade', 'team-a', 'web', { startedAt: at(30), status: 'FAILED', stoppedAt: at(40), error: 'OperationFailed', cause: 'control plane not available' }),
  execution('create', 'team-a', 'far', { startedAt: at(35), managementCluster: 'prod' }),
  execution('create', 'team-ab', 'lookalike', { startedAt: at(45) }),
  ...Array.from({ length: 5 }, (_, i) => execution('delete', 'team-b', `b-${i}`, { startedAt: at(50 + i) })),
];

function world(caller: Partial<Caller> = {}) {
  const w = fakeToolDeps({ caller, others: { prod: new FakeKube() } });
  for (const e of executions) w.workflows.seed(e);
  return w;
}

const clustersOf = (operations: readonly { cluster: string; action: string }[]) => operations.map((o) => `${o.action} ${o.cluster}`);

interface Case {
  readonly name: string;
  readonly caller?: Partial<Caller>;
  readonly args: Record<string, unknown>;
  readonly expect: readonly string[];
}

const cases: Case[] = [
  {
    name: 'every operation, newest first, for an unlimited key',
    args: { limit: 4 },
    expect: ['delete team-b/b-4', 'delete team-b/b-3', 'delete team-b/b-2', 'delete team-b/b-1'],
  },
  {
    name: "only its namespaces' operations to a limited key, past newer ones of others (not team-ab, not another management cluster it may not use)",
    caller: { namespaces: ['team-a'], managementClusters: ['sandbox'] },
    args: { limit: 3 },
    expect: ['upgrade team-a/web', 'scale team-a/demo', 'create team-a/demo'],
  },
  {
    name: "one cluster's operations",
    args: { namespace: 'team-a', name: 'demo' },
    expect: ['scale team-a/demo', 'create team-a/demo'],
  },
  {
    name: 'the operations in one status',
    caller: { namespaces: ['team-a'] },
    args: { status: 'RUNNING' },
    expect: ['create team-a/far', 'scale team-a/demo'],
  },
  {
    name: 'nothing of a namespace the key may not use, even when asked for it',
    caller: { namespaces: ['team-a'] },
    args: { namespace: 'team-b' },
    expect: [],
  },
];

describe('list_operations', () => {
  for (const c of cases) {
    it(`lists ${c.name}`, async () => {
      const { deps } = world(c.caller);
      const { structured } = await callTool(listOperations, c.args, deps);
      assert.deepEqual(clustersOf(structured.operations), c.expect);
    });
  }

  it("tells the engine the caller's namespaces, so it skips others' executions unread", async () => {
    const { deps, workflows } = world({ namespaces: ['team-a'] });
    await callTool(listOperations, {}, deps);
    assert.deepEqual(workflows.lists.map((q) => [q.namespaces, q.limit]), [[['team-a'], 20]]);
  });

  it('writes one line per operation, with why a failed one failed', async () => {
    const { deps } = world({ namespaces: ['team-a'] });
    const { text } = await callTool(listOperations, { name: 'web' }, deps);
    assert.equal(text, `operation ${executions[2]!.name}: upgrade team-a/web FAILED 600s — failed: OperationFailed: control plane not available`);
  });

  it('says so when there is nothing to list', async () => {
    const { deps } = world({ namespaces: ['team-c'] });
    const { structured, text } = await callTool(listOperations, {}, deps);
    assert.deepEqual(structured, { operations: [] });
    assert.equal(text, 'no operations');
  });

  it('refuses a limit over 100 in its arguments', () => {
    assert.equal(listOperations.inputSchema.safeParse({ limit: 101 }).success, false);
  });
});
