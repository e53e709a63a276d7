/**
 * SfnWorkflowEngine.list for a caller limited to namespaces, against a Step Functions that answers
 * ListExecutions, DescribeExecution and GetExecutionHistory from an in-memory fleet of executions (the
 * paging logic needs thousands of executions, more than moto starts in a test's time). What a key sees
 * must not depend on what other tenants run: ids name their namespace, so other namespaces' executions
 * are skipped unread and the listing pages on until it has the key's own.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient, type ExecutionStatus } from '@aws-sdk/client-sfn';
import { executionBaseName, legacyExecutionBaseName, mayBeInNamespaces } from '../../shared/workflows/engine.ts';
import type { Operation, WorkflowInput } from '../../shared/workflows/operation.ts';
import { SfnWorkflowEngine } from '../../shared/workflows/sfn-engine.ts';

const machineArn = 'arn:aws:states:eu-west-1:111122223333:stateMachine:ClusterOperation';

interface FakeExecution {
  readonly name: string;
  readonly input: WorkflowInput | { hand: true };
  readonly status: ExecutionStatus;
  readonly start: Date;
}

/** A Step Functions holding `executions`, counting the calls it answers. */
class FakeStepFunctions extends SFNClient {
  readonly calls = { list: 0, describe: [] as string[], history: 0 };
  private readonly newestFirst: FakeExecution[];

  constructor(executions: FakeExecution[]) {
    super({ region: 'eu-west-1' });
    this.newestFirst = [...executions].sort((a, b) => b.start.getTime() - a.start.getTime());
  }

  override async send(command: unknown): Promise<any> {
    if (command instanceof ListExecutionsCommand) {
      this.calls.list++;
      const { nextToken, maxResults = 100, statusFilter } = command.input;
      assert.ok(maxResults <= 1000, `ListExecutions allows at most 1000 results a page, asked ${maxResults}`);
      const matching = this.newestFirst.filter((e) => !statusFilter || e.status === statusFilter);
      const from = Number(nextToken ?? 0);
      const page = matching.slice(from, from + maxResults);
      return { executions: page.map((e) => ({ name: e.name, status: e.status, startDate: e.start })), ...(from + maxResults < matching.length ? { nextToken: String(from + maxResults) } : {}) };
    }
    if (command instanceof DescribeExecutionCommand) {
      const name = command.input.executionArn!.split(':').pop()!;
      this.calls.describe.push(name);
      const e = this.newestFirst.find((x) => x.name === name)!;
      return { executionArn: command.input.executionArn, name, status: e.status, startDate: e.start, input: JSON.stringify(e.input) };
    }
    if (command instanceof GetExecutionHistoryCommand) {
      this.calls.history++;
      return { events: [] };
    }
    throw new Error(`unexpected command ${(command as object).constructor.name}`);
  }
}

const operation = (namespace: string, name: string, managementCluster?: string): Operation => ({ action: 'create', namespace, name, ...(managementCluster ? { managementCluster } : {}) });
const inputOf = (op: Operation): WorkflowInput => ({ operation: op, timeoutSeconds: 1800, pollSeconds: 30 });

/** One execution of `op` under its id, started at second `at`. */
function execution(op: Operation, at: number, status: ExecutionStatus = 'SUCCEEDED'): FakeExecution {
  return { name: executionBaseName(op, { at }), input: inputOf(op), status, start: new Date(at * 1000) };
}

/** `count` executions of another tenant, all newer than anything started before second 10 000. */
function otherTenant(count: number, namespace = 'team-b'): FakeExecution[] {
  return Array.from({ length: count }, (_, i) => execution(operation(namespace, `c${i}`), 10_000 + i));
}

const teamA = (input: WorkflowInput) => input.operation.namespace === 'team-a';

describe('SfnWorkflowEngine.list for a key limited to namespaces', () => {
  it("still lists the key's own operation after another tenant started 150 newer ones", async () => {
    const mine = execution(operation('team-a', 'web'), 1);
    const client = new FakeStepFunctions([mine, ...otherTenant(150)]);
    const engine = new SfnWorkflowEngine({ client, stateMachineArn: machineArn });
    const listed = await engine.list({ namespaces: ['team-a'], visible: teamA });
    assert.deepEqual(listed.map((r) => r.name), [mine.name]);
  });

  it("reads no execution of another namespace: only the key's own are described", async () => {
    const mine = [execution(operation('team-a', 'web'), 1), execution(operation('team-a', 'db'), 2)];
    const client = new FakeStepFunctions([...mine, ...otherTenant(2500)]);
    const engine = new SfnWorkflowEngine({ client, stateMachineArn: machineArn });
    await engine.list({ namespaces: ['team-a'], visible: teamA });
    assert.deepEqual(client.calls.describe.sort(), mine.map((e) => e.name).sort());
    assert.equal(client.calls.list, 3, 'three pages of 1000 hold 2502 executions');
  });

  it('stops paging once it has `limit` visible operations', async () => {
    const mine = Array.from({ length: 30 }, (_, i) => execution(operation('team-a', `own${i}`), 20_000 + i));
    const client = new FakeStepFunctions([...mine, ...otherTenant(5000)]);
    const engine = new SfnWorkflowEngine({ client, stateMachineArn: machineArn });
    const listed = await engine.list({ namespaces: ['team-a'], visible: teamA, limit: 20 });
    assert.deepEqual(listed.map((r) => r.name), mine.slice(10).reverse().map((e) => e.name));
    assert.equal(client.calls.list, 1, 'the newest page holds them all');
    assert.ok(client.calls.describe.length <= 20 + 7, `described ${client.calls.describe.length}, at most one batch past the limit`);
  });

  it('reads at most ten pages of 1000 executions, however many there are', async () => {
    const mine = execution(operation('team-a', 'web'), 1);
    const client = new FakeStepFunctions([mine, ...otherTenant(12_000)]);
    const engine = new SfnWorkflowEngine({ client, stateMachineArn: machineArn });
    const listed = await engine.list({ namespaces: ['team-a'], visible: teamA });
    assert.deepEqual(listed, [], 'the own operation is older than the newest 10 000 executions');
    assert.equal(client.calls.list, 10);
  });

  it('applies the management-cluster check after describing, on the input', async () => {
    const here = execution(operation('team-a', 'web', 'east'), 1);
    const elsewhere = execution(operation('team-a', 'web', 'west'), 2);
    const client = new FakeStepFunctions([here, elsewhere]);
    const engine = new SfnWorkflowEngine({ client, stateMachineArn: machineArn });
    const listed = await engine.list({ namespaces: ['team-a'], visible: (input) => teamA(input) && input.operation.managementCluster === 'east' });
    assert.deepEqual(listed.map((r) => r.name), [here.name]);
    assert.equal(client.calls.history, 1, 'the refused execution costs only its DescribeExecution');
  });

  it('asks Step Functions for one status when the query names it', async () => {
    const running = execution(operation('team-a', 'web'), 1, 'RUNNING');
    const client = new FakeStepFunctions([running, ...Array.from({ length: 200 }, (_, i) => execution(operation('team-a', `old${i}`), 100 + i))]);
    const engine = new SfnWorkflowEngine({ client, stateMachineArn: machineArn });
    const listed = await engine.list({ namespaces: ['team-a'], visible: teamA, status: 'RUNNING' });
    assert.deepEqual(listed.map((r) => r.name), [running.name]);
  });

  it('lists the newest 100 operations of every namespace for an unlimited key, skipping executions that are no operations', async () => {
    const byHand: FakeExecution = { name: 'started-by-hand', input: { hand: true }, status: 'SUCCEEDED', start: new Date(50_000_000) };
    const client = new FakeStepFunctions([byHand, execution(operation('team-a', 'web'), 1), ...otherTenant(150)]);
    const engine = new SfnWorkflowEngine({ client, stateMachineArn: machineArn });
    const listed = await engine.list();
    assert.equal(listed.length, 100);
    assert.deepEqual(new Set(listed.map((r) => r.input.operation.namespace)), new Set(['team-b']));
  });
});

describe('mayBeInNamespaces', () => {
  const long = `ns-${'x'.repeat(59)}`; // 62 characters: the id's readable part cuts it short
  const cases: { name: string; id: string; namespaces: readonly string[] | undefined; expected: boolean }[] = [
    { name: 'an id of an allowed namespace may be', id: executionBaseName(operation('team-a', 'web'), 1), namespaces: ['team-a'], expected: true },
    { name: 'a later generation of it may be', id: `${executionBaseName(operation('team-a', 'web'), 1)}-g7`, namespaces: ['team-a'], expected: true },
    { name: 'an id of another namespace is not', id: executionBaseName(operation('team-b', 'web'), 1), namespaces: ['team-a'], expected: false },
    { name: 'a namespace that only starts like an allowed one is not', id: executionBaseName(operation('team-a2', 'web'), 1), namespaces: ['team-a'], expected: false },
    { name: 'an id whose namespace was cut short may be, when an allowed namespace starts with it', id: executionBaseName(operation(long, 'web'), 1), namespaces: [long], expected: true },
    { name: 'an id whose namespace was cut short is not, when no allowed namespace starts with it', id: executionBaseName(operation(long, 'web'), 1), namespaces: ['team-a'], expected: false },
    { name: 'a legacy id of an allowed namespace may be', id: legacyExecutionBaseName(operation('team-a', 'web'), 1), namespaces: ['team-a'], expected: true },
    { name: 'a legacy id of another namespace is not', id: legacyExecutionBaseName(operation('team-b', 'web'), 1), namespaces: ['team-a'], expected: false },
    { name: 'a name of no known form is not, for a limited key', id: 'started-by-hand', namespaces: ['team-a'], expected: false },
    { name: 'any name may be, for an unlimited key', id: 'started-by-hand', namespaces: undefined, expected: true },
  ];
  for (const { name, id, namespaces, expected } of cases) {
    it(name, () => assert.equal(mayBeInNamespaces(id, namespaces), expected));
  }
});
