/**
 * shared/http/node-server.ts: a serving process (npm start, the container) builds its dependencies once
 * (processDeps) and runs its local engine's steps on them, so its server and its steps share one set of
 * clients — one kube client and connection pool per management cluster — instead of two.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../shared/config/config.ts';
import { CapiMcpError, ErrorCode } from '../../shared/errors.ts';
import { openLocalWorkflows, processDeps } from '../../shared/http/node-server.ts';
import type { StepDeps } from '../../shared/workflows/steps.ts';

const arn = 'arn:aws:lambda:local:000000000000:function:Step';
const definition = {
  StartAt: 'Apply',
  States: { Apply: { Type: 'Task', Resource: arn, Parameters: { step: 'apply', 'operation.$': '$.operation' }, Next: 'Done' }, Done: { Type: 'Succeed' } },
};

const config = () =>
  loadConfig({
    CAPI_MCP_MANAGEMENT_CLUSTERS: JSON.stringify([{ name: 'configured', kubeconfig: join(tmpdir(), 'no-such-kubeconfig') }]),
    CAPI_MCP_API_KEYS_FILE: join(tmpdir(), 'no-such-keys.json'),
  });

describe('node-server', () => {
  it("runs the local engine's steps on the deps it is given, not on clients of its own", async () => {
    const asked: (string | undefined)[] = [];
    const steps: StepDeps = {
      clusters: {
        client: (name?: string) => {
          asked.push(name);
          throw new CapiMcpError(ErrorCode.Upstream, 'the given clients answered');
        },
      },
      now: () => new Date(),
      log: { warn: () => undefined },
    };
    const { engine } = await openLocalWorkflows(config(), mkdtempSync(join(tmpdir(), 'wf-')), { definition, stepFunctionArn: arn }, 1, steps);
    await engine.start('delete-a', { operation: { action: 'delete', managementCluster: 'configured', namespace: 'default', name: 'a' }, timeoutSeconds: 60, pollSeconds: 1 });
    for (let i = 0; i < 300 && (await engine.describe('delete-a'))?.status === 'RUNNING'; i++) await sleep(10);
    await engine.idle();
    assert.deepEqual(asked, ['configured'], 'the step asked the given clients for the operation’s management cluster');
    assert.equal((await engine.describe('delete-a'))?.status, 'FAILED');
  });

  it('builds one set of dependencies, counted by the Prometheus registry /metrics serves', async () => {
    const shared = processDeps(config());
    shared.deps.metrics.toolCall('list_clusters', 'ok', 5);
    assert.match(await shared.metrics.registry.metrics(), /list_clusters/);
    assert.equal(shared.deps.clusters.client('configured'), shared.deps.clusters.client('configured'), 'one client per management cluster');
  });
});
