/**
 * An API outage in the middle of an operation: a create is started through MCP, and once it is past
 * Apply and polling, the test sandbox's kube-apiserver is stopped for longer than a poll interval, then
 * started again. The Poll that meets the outage fails as a transient error, the state machine's Retry
 * (backoff, scaled by the local engine) runs it again, and the operation still ends SUCCEEDED — and the
 * failed, retried step is on record in the server's log.
 *
 * Note: this stops the shared test sandbox's API server for a few seconds. Test files run one at a time
 * and every controller here runs without leader election, so they reconnect instead of exiting.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { testAuthPaths } from '../support/auth.ts';
import { connectV2, startTestServer, textOf, type TestClient } from '../support/mcp.ts';
import { testSandbox, useNamespace } from '../support/sandbox.ts';
import { eventually } from '../support/wait.ts';

const ns = await useNamespace('outage', { withClusterClass: true });
// Half-speed pauses: polls every 5 s, and Retry's backoff (2 s ×2, 6 attempts) gives ~31 s of retries.
const url = await startTestServer({ timeScale: 0.5 });
let client: TestClient;
before(async () => {
  client = await connectV2(url);
});
after(() => client.close());

const operationView = async (id: string) => (await client.callTool({ name: 'get_operation', arguments: { operation_id: id } })).structuredContent;

describe('an API server outage mid-poll', () => {
  it('is retried by the workflow, which still succeeds', async () => {
    const started = await client.callTool({
      name: 'create_cluster',
      arguments: { namespace: ns.name, name: 'outage-1', cluster_class: 'in-memory', kubernetes_version: 'v1.35.0', control_plane_replicas: 1 },
    });
    assert.equal(started.isError, undefined, textOf(started));
    const id = started.structuredContent.operation_id;
    await eventually('the operation to be polling', async () => {
      const view = await operationView(id);
      return { done: view.status === 'RUNNING' && ['Wait', 'Poll', 'Converged?'].includes(view.current_step), value: view, seen: JSON.stringify(view) };
    }, { timeoutMs: 60_000, intervalMs: 250 });

    const sandbox = testSandbox();
    await sandbox.stopApiServer();
    const stoppedAt = Date.now();
    try {
      await sleep(8_000); // longer than a poll interval (5 s): at least one Poll meets the outage
    } finally {
      await sandbox.startApiServer();
    }
    const outageSeconds = (Date.now() - stoppedAt) / 1000;

    const done = await eventually('the operation to end', async () => {
      const view = await operationView(id);
      return { done: view.status !== 'RUNNING', value: view, seen: JSON.stringify(view) };
    }, { timeoutMs: 240_000, intervalMs: 2000 });
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));

    const retried = readFileSync(testAuthPaths.captureLog, 'utf8')
      .split('\n')
      .filter((line) => line.includes('"workflow step failed"') && line.includes(`create ${ns.name}/outage-1`))
      .map((line) => JSON.parse(line));
    assert.ok(retried.length >= 1, 'a step failed during the outage');
    assert.ok(retried.every((r) => r.step === 'poll' && r.retried === true), JSON.stringify(retried));
    console.log(`outage: API server down ${outageSeconds.toFixed(1)} s; ${retried.length} Poll attempt(s) failed and were retried; operation SUCCEEDED`);
  });
});
