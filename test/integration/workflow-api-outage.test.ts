/**
 * An API outage in the middle of an operation: a create is started through MCP, and once it is past
 * Apply and polling, the management cluster's API server becomes unreachable — connections reset, new
 * ones refused — until a Poll has met the outage and failed, then reachable again. The Poll fails as a
 * transient error, the state machine's Retry (backoff, scaled by the local engine) runs it again, and the
 * operation still ends SUCCEEDED — and the failed, retried step is on record in the server's log.
 *
 * Note: the outage is this file's alone. Its server reaches the test sandbox through a loopback proxy
 * (test/support/api-proxy.ts) that the test cuts, so the controllers and the files running beside this
 * one keep their API server; what is tested is capi-mcp meeting the fault, which is the same.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { testAuthPaths } from '../support/auth.ts';
import { startApiProxy } from '../support/api-proxy.ts';
import { connectV2, startTestServer, textOf, type TestClient } from '../support/mcp.ts';
import { useNamespace } from '../support/sandbox.ts';
import { eventually } from '../support/wait.ts';

const ns = await useNamespace('outage', { withClusterClass: true });
const proxy = await startApiProxy();
// Half-speed pauses: polls every 5 s, and Retry's backoff (2 s ×2, 6 attempts) gives ~31 s of retries.
const url = await startTestServer({
  timeScale: 0.5,
  env: { CAPI_MCP_MANAGEMENT_CLUSTERS: JSON.stringify([{ name: 'sandbox', kubeconfig: proxy.kubeconfig }]) },
});
let client: TestClient;
before(async () => {
  client = await connectV2(url);
});
after(() => client.close());

const operationView = async (id: string) => (await client.callTool({ name: 'get_operation', arguments: { operation_id: id } })).structuredContent;

/** The server's records of failed workflow steps of this file's create. */
const failedSteps = () =>
  readFileSync(testAuthPaths.captureLog, 'utf8')
    .split('\n')
    .filter((line) => line.includes('"workflow step failed"') && line.includes(`create ${ns.name}/outage-1`))
    .map((line) => JSON.parse(line));

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
    assert.ok(proxy.carried() > 0, 'the server reached the API server through the proxy');

    await proxy.cut();
    const cutAt = Date.now();
    try {
      // Down until a Poll has met the outage (one every 5 s): its failure is on record before its retry runs.
      await eventually('a Poll to fail on the outage', async () => {
        const failed = failedSteps();
        return { done: failed.length > 0, value: undefined, seen: `${failed.length} failed steps` };
      }, { timeoutMs: 60_000, intervalMs: 250 });
    } finally {
      await proxy.restore();
    }
    const outageSeconds = (Date.now() - cutAt) / 1000;

    const done = await eventually('the operation to end', async () => {
      const view = await operationView(id);
      return { done: view.status !== 'RUNNING', value: view, seen: JSON.stringify(view) };
    }, { timeoutMs: 240_000, intervalMs: 2000 });
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));

    const retried = failedSteps();
    assert.ok(retried.length >= 1, 'a step failed during the outage');
    assert.ok(retried.every((r) => r.step === 'poll' && r.retried === true), JSON.stringify(retried));
    console.log(`outage: API server unreachable ${outageSeconds.toFixed(1)} s; ${retried.length} Poll attempt(s) failed and were retried; operation SUCCEEDED`);
  });
});
