/**
 * The workflow step's gate: Apply writes only the kinds its action plans (shared/workflows/operation.ts),
 * in the operation's own namespace and for its own cluster. The step is invoked directly, as Step
 * Functions would invoke the Lambda, with hostile inputs; a recording KubeClient shows that no API call
 * was made, and the error's name shows the state machine will not retry it (only TransientError is).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeClient, KubeObject } from '../../shared/kube/client.ts';
import { runStep, transientErrorName, type StepDeps, type StepEvent } from '../../shared/workflows/steps.ts';

/** A KubeClient that records every call and answers as an API server that accepts everything. */
function recordingDeps() {
  const calls: string[] = [];
  const record = (method: string) => async (...args: unknown[]) => {
    const first = args[0] as { kind?: string } | undefined;
    calls.push(`${method} ${first?.kind ?? ''}`.trim());
    return method === 'list' ? { items: [] } : {};
  };
  const kube = new Proxy({}, { get: (_target, method: string) => record(method) }) as unknown as KubeClient;
  const deps = {
    clusters: { names: ['sandbox'], client: () => kube },
    now: () => new Date(),
    log: { info() {}, warn() {}, error() {}, audit() {} },
    metrics: {},
  } as unknown as StepDeps;
  return { calls, deps };
}

const ns = 'team-a';
const cluster = (fields: Partial<KubeObject> = {}, metadata: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  apiVersion: 'cluster.x-k8s.io/v1beta2',
  kind: 'Cluster',
  metadata: { name: 'web', namespace: ns, ...metadata },
  spec: { topology: { version: 'v1.35.0' } },
  ...fields,
});
const replicas = (apiVersion: string, kind: string, name: string, namespace = ns): KubeObject => ({ apiVersion, kind, metadata: { name, namespace }, spec: { replicas: 3 } });
const apply = (action: string, fields: Record<string, unknown>): StepEvent => ({ step: 'apply', operation: { action, namespace: ns, name: 'web', ...fields } as never });

describe('the workflow step refuses what its operation did not plan', () => {
  const hostile: [string, StepEvent, RegExp][] = [
    ['a Secret as the Cluster of a create', apply('create', { cluster: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'web', namespace: ns }, data: { x: 'eA==' } } }), /Secret v1 .* not a Cluster \(cluster\.x-k8s\.io\)/],
    [
      'a ClusterRoleBinding among the objects of a scale',
      apply('scale', { objects: [{ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'me-admin' }, roleRef: { kind: 'ClusterRole', name: 'cluster-admin' } }] }),
      /ClusterRoleBinding rbac\.authorization\.k8s\.io\/v1 me-admin: a scale applies only MachineDeployment \(cluster\.x-k8s\.io\), KubeadmControlPlane \(controlplane\.cluster\.x-k8s\.io\)/,
    ],
    ['a Cluster of another API group', apply('create', { cluster: cluster({ apiVersion: 'evil.example.com/v1' }) }), /Cluster evil\.example\.com\/v1 team-a\/web: not a Cluster \(cluster\.x-k8s\.io\)/],
    ['a Cluster with a malformed apiVersion', apply('upgrade', { cluster: cluster({ apiVersion: 'cluster.x-k8s.io/v1/extra' }) }), /not a Cluster \(cluster\.x-k8s\.io\)/],
    ['the Cluster of another namespace', apply('create', { cluster: cluster({}, { namespace: 'kube-system' }) }), /Cluster cluster\.x-k8s\.io\/v1beta2 kube-system\/web: not the operation's cluster team-a\/web/],
    ['another Cluster than the operation names', apply('upgrade', { cluster: cluster({}, { name: 'other' }) }), /not the operation's cluster team-a\/web/],
    ['a MachineDeployment in another namespace', apply('scale', { objects: [replicas('cluster.x-k8s.io/v1beta2', 'MachineDeployment', 'md-0', 'team-b')] }), /MachineDeployment .* team-b\/md-0: outside the operation's namespace team-a/],
    ['a MachineDeployment patched by a create', apply('create', { cluster: cluster(), objects: [replicas('cluster.x-k8s.io/v1beta2', 'MachineDeployment', 'md-0')] }), /a create applies only the Cluster/],
    ['a KubeadmControlPlane patched by an upgrade', apply('upgrade', { objects: [replicas('controlplane.cluster.x-k8s.io/v1beta2', 'KubeadmControlPlane', 'cp')] }), /an upgrade applies only the Cluster/],
    ['a delete that carries objects to apply', apply('delete', { cluster: cluster() }), /a delete applies nothing/],
    ['an action no tool starts', apply('patch', { cluster: cluster() }), /action "patch" is not an operation/],
    ['an operation without a namespace', { step: 'apply', operation: { action: 'delete', name: 'web' } as never }, /namespace and name must be names/],
    ['a poll of an action no tool starts', { step: 'poll', operation: { action: 'exec', namespace: ns, name: 'web' } as never, startedAt: new Date().toISOString(), timeoutSeconds: 60 }, /action "exec" is not an operation/],
  ];
  for (const [what, event, reason] of hostile) {
    it(`refuses ${what}, before any API call, as a permanent failure`, async () => {
      const { calls, deps } = recordingDeps();
      await assert.rejects(runStep(event, deps), (error: Error) => {
        assert.equal(error.name, 'InvalidInput', `${error.name}: ${error.message}`);
        assert.notEqual(error.name, transientErrorName);
        assert.match(error.message, /^refusing the (apply|poll) step of operation .+: /);
        assert.match(error.message, reason);
        return true;
      });
      assert.deepEqual(calls, []);
    });
  }
});

describe('the workflow step writes what its operation planned', () => {
  const planned: [string, StepEvent, string[]][] = [
    ['the Cluster of a create', apply('create', { cluster: cluster() }), ['apply Cluster']],
    ['the topology of a scale', apply('scale', { cluster: cluster() }), ['apply Cluster']],
    [
      'the replicas of a cluster without a ClusterClass',
      apply('scale', { objects: [replicas('cluster.x-k8s.io/v1beta2', 'MachineDeployment', 'md-0'), replicas('controlplane.cluster.x-k8s.io/v1beta2', 'KubeadmControlPlane', 'cp')] }),
      ['apply MachineDeployment', 'apply KubeadmControlPlane'],
    ],
    ['the version of an upgrade', apply('upgrade', { cluster: cluster() }), ['apply Cluster']],
    ['the deletion of the Cluster', apply('delete', {}), ['delete Cluster']],
  ];
  for (const [what, event, expected] of planned) {
    it(`applies ${what}`, async () => {
      const { calls, deps } = recordingDeps();
      await runStep(event, deps);
      // Only the writes: reading an object before applying it (field ownership) is not the plan's business.
      assert.deepEqual(calls.filter((c) => /^(apply|create|delete|patch)\b/.test(c)), expected);
    });
  }
});
