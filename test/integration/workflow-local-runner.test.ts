/**
 * The cluster-operation state machine exactly as CDK synthesizes it, run by the local runner
 * (shared/workflows/local-runner.ts) against the test sandbox's real controllers: a create converges, a
 * delete removes, an operation that cannot converge ends Failed with the last observed reason, a rejected
 * apply ends Failed with the API server's message, and an input that plans another kind ends Failed at
 * once, not retried, writing nothing. Wait and retry pauses run at a fifth of their deployed length.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { synthesizeWorkflow } from '../../infra/lib/definition.ts';
import { loadConfig } from '../../shared/config/config.ts';
import { createDeps } from '../../shared/deps.ts';
import { runLocally, type LocalWorkflow } from '../../shared/workflows/local-runner.ts';
import type { Operation } from '../../shared/workflows/operation.ts';
import { runStep } from '../../shared/workflows/steps.ts';
import { availableCluster, topologyCluster } from '../support/clusters.ts';
import { testServerEnv } from '../support/mcp.ts';
import { useNamespace } from '../support/sandbox.ts';

const ns = await useNamespace('workflow', { withClusterClass: true });
const deps = createDeps(loadConfig(testServerEnv()));
const { definition, stepFunctionArn } = synthesizeWorkflow();
const workflow: LocalWorkflow = { definition, stepFunctionArn, step: (event) => runStep(event, deps), timeScale: 0.2 };

const operation = (action: Operation['action'], name: string, cluster?: any): Operation => ({
  action,
  namespace: ns.name,
  name,
  ...(cluster ? { cluster } : {}),
});

async function clusterExists(name: string): Promise<boolean> {
  try {
    await ns.objects.read({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name, namespace: ns.name } });
    return true;
  } catch (error) {
    if ((error as { code?: number }).code === 404) return false;
    throw error;
  }
}

describe('the synthesized cluster-operation workflow, run locally', () => {
  it('creates a cluster and succeeds once it is Available with every replica ready', async () => {
    const outcome = await runLocally(workflow, { operation: operation('create', 'wf-1', topologyCluster(ns.name, 'wf-1', 1)), timeoutSeconds: 300, pollSeconds: 10 });
    assert.equal(outcome.status, 'SUCCEEDED', JSON.stringify(outcome));
    assert.equal(outcome.status === 'SUCCEEDED' && outcome.output.status.state, 'converged');
    const cluster: any = await availableCluster(ns, 'wf-1');
    assert.equal(cluster.status.workers.readyReplicas, 1);
  });

  it('deletes the cluster and succeeds once it is gone', async () => {
    const outcome = await runLocally(workflow, { operation: operation('delete', 'wf-1'), timeoutSeconds: 300, pollSeconds: 5 });
    assert.equal(outcome.status, 'SUCCEEDED', JSON.stringify(outcome));
    assert.equal(await clusterExists('wf-1'), false);
  });

  it('ends Failed with the last observed reason when the cluster cannot converge in time', async () => {
    // A Cluster the create tool could build (the step refuses any other), with three control-plane
    // machines made one after another: never Available within the first poll, 5 s in.
    const outcome = await runLocally(workflow, { operation: operation('create', 'wf-stuck', topologyCluster(ns.name, 'wf-stuck', 1, 3)), timeoutSeconds: 4, pollSeconds: 5 });
    assert.equal(outcome.status, 'FAILED');
    assert.equal(outcome.status === 'FAILED' && outcome.error, 'timedOut');
    assert.match(outcome.status === 'FAILED' ? outcome.cause : '', /not converged after \d+s \(timeout 4s\); last seen: .+/);
  });

  it("ends Failed with the API server's reason when the apply is rejected, creating nothing", async () => {
    const bad = topologyCluster(ns.name, 'wf-bad', 1);
    bad.spec.topology.version = 'not-a-version';
    const outcome = await runLocally(workflow, { operation: operation('create', 'wf-bad', bad), timeoutSeconds: 60, pollSeconds: 5 });
    assert.equal(outcome.status, 'FAILED');
    assert.equal(outcome.status === 'FAILED' && outcome.error, 'InvalidInput');
    assert.match(outcome.status === 'FAILED' ? outcome.cause : '', /version must be a valid semantic version/);
    assert.equal(await clusterExists('wf-bad'), false);
  });
});

describe('the workflow step, given what no tool plans', () => {
  it('ends Failed at its first Apply for a Secret, not retried, and the Secret is not written', async () => {
    const steps: string[] = [];
    const counting: LocalWorkflow = { ...workflow, step: (event) => (steps.push(event.step), runStep(event, deps)) };
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'planted', namespace: ns.name }, stringData: { token: 'x' } };
    const outcome = await runLocally(counting, { operation: operation('create', 'planted', secret), timeoutSeconds: 60, pollSeconds: 5 });
    assert.equal(outcome.status, 'FAILED', JSON.stringify(outcome));
    assert.equal(outcome.status === 'FAILED' && outcome.error, 'InvalidInput');
    assert.match(outcome.status === 'FAILED' ? outcome.cause : '', /refusing the apply step of operation create .*\/planted: Secret v1 .*planted: not a Cluster \(cluster\.x-k8s\.io\)/);
    assert.deepEqual(steps, ['apply'], 'one Apply, no retry');
    await assert.rejects(ns.core.readNamespacedSecret({ namespace: ns.name, name: 'planted' }), (error: { code?: number }) => error.code === 404);
  });
});
