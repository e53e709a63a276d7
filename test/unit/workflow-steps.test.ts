/**
 * The workflow step's gate: Apply writes only the kinds its action plans (shared/workflows/operation.ts),
 * in the operation's own namespace and for its own cluster. The step is invoked directly, as Step
 * Functions would invoke the Lambda, with hostile inputs; a recording KubeClient shows that no API call
 * was made, and the error's name shows the state machine will not retry it (only TransientError is).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeClient, KubeObject } from '../../shared/kube/client.ts';
import { CapiMcpError, ErrorCode } from '../../shared/errors.ts';
import { planProblems } from '../../shared/workflows/operation.ts';
import { runStep, transientErrorName, type StepDeps, type StepEvent } from '../../shared/workflows/steps.ts';

/**
 * A KubeClient that records every call and answers as an API server that accepts everything; `objects`
 * says what every GET finds: the object (default), the object being deleted, or nothing.
 */
function recordingDeps(objects: 'present' | 'deleting' | 'gone' = 'present') {
  const calls: string[] = [];
  const record = (method: string) => async (...args: unknown[]) => {
    const first = args[0] as { kind?: string } | undefined;
    calls.push(`${method} ${first?.kind ?? ''}`.trim());
    if (method === 'get' && objects === 'gone') throw new CapiMcpError(ErrorCode.NotFound, 'not found');
    const deletion = objects === 'deleting' ? { deletionTimestamp: '2026-12-04T12:00:00Z' } : {};
    if (method === 'get') return pooledCluster({ uid: 'c0ffee', resourceVersion: '1', ...deletion });
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
/** The Cluster as the API server holds it: its worker pool md-0 of 2, as a scale patch expects to find. */
const pooledCluster = (metadata: Partial<KubeObject['metadata']> = {}): KubeObject =>
  cluster({ spec: { topology: { version: 'v1.35.0', workers: { machineDeployments: [{ name: 'md-0', class: 'default-worker', replicas: 2 }] } } } }, metadata);
const clusterNameLabel = 'cluster.x-k8s.io/cluster-name';
const replicas = (apiVersion: string, kind: string, name: string, namespace = ns, clusterName = 'web'): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name, namespace, labels: { [clusterNameLabel]: clusterName } },
  spec: { replicas: 3 },
});
/** A scale's Cluster patch as shared/capi/topology.ts builds it. */
const scalePatch = (spec: Record<string, unknown> = {}, metadata: Partial<KubeObject['metadata']> = {}): KubeObject =>
  cluster({ spec: { topology: { controlPlane: { replicas: 3 }, workers: { machineDeployments: [{ name: 'md-0', class: 'default-worker', replicas: 2 }] } }, ...spec } }, metadata);
const md = (metadata: Partial<KubeObject['metadata']>, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'cluster.x-k8s.io/v1beta2',
  kind: 'MachineDeployment',
  metadata: { name: 'md-0', namespace: ns, ...metadata },
  spec,
});
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
    [
      "another cluster's MachineDeployment with a bootstrap data secret",
      apply('scale', { objects: [md({ name: 'other-cluster-md-0' }, { template: { spec: { bootstrap: { dataSecretName: 'stolen' } } } })] }),
      /MachineDeployment .* team-a\/other-cluster-md-0: not labelled as part of cluster web.*a scale may not set spec\.template/,
    ],
    ["another cluster's MachineDeployment, by its cluster-name label", apply('scale', { objects: [replicas('cluster.x-k8s.io/v1beta2', 'MachineDeployment', 'md-0', ns, 'other')] }), /not labelled as part of cluster web/],
    ['a MachineDeployment without a cluster-name label', apply('scale', { objects: [md({}, { replicas: 3 })] }), /not labelled as part of cluster web/],
    ['replicas that are not a count', apply('scale', { objects: [replicas('cluster.x-k8s.io/v1beta2', 'MachineDeployment', 'md-0'), md({ labels: { [clusterNameLabel]: 'web' } }, { replicas: '3' })] }), /spec\.replicas must be a non-negative integer/],
    ['a scale that pauses the Cluster', apply('scale', { cluster: scalePatch({ paused: true }) }), /a scale may not set spec\.paused/],
    ['a scale that changes the ClusterClass', apply('scale', { cluster: scalePatch({ topology: { classRef: { name: 'evil' } } }) }), /a scale may not set spec\.topology\.classRef/],
    ['a scale that labels the Cluster', apply('scale', { cluster: scalePatch({}, { labels: { cni: 'calico' } }) }), /a scale may not set metadata\.labels/],
    ['an upgrade that also scales', apply('upgrade', { cluster: cluster({ spec: { topology: { version: 'v1.35.0', controlPlane: { replicas: 5 } } } }) }), /an upgrade may not set spec\.topology\.controlPlane/],
    ['a create with an owner reference', apply('create', { cluster: cluster({}, { ownerReferences: [{ kind: 'Namespace', name: 'x' }] } as never) }), /a create may not set metadata\.ownerReferences/],
    ['a create with a reserved label', apply('create', { cluster: cluster({}, { labels: { 'cluster.x-k8s.io/provider': 'x' } }) }), /label "cluster\.x-k8s\.io\/provider": x-k8s\.io keys belong to Cluster API/],
    ['a namespace that is not an RFC 1123 label', { step: 'apply', operation: { action: 'delete', namespace: '..', name: 'web' } as never }, /namespace must be an RFC 1123 label/],
    ['a name that is not an RFC 1123 name', { step: 'apply', operation: { action: 'delete', namespace: ns, name: 'Web' } as never }, /name must be an RFC 1123 name/],
    ['an operation without a namespace', { step: 'apply', operation: { action: 'delete', name: 'web' } as never }, /namespace must be an RFC 1123 label/],
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
    ['the topology of a scale', apply('scale', { cluster: scalePatch() }), ['apply Cluster']],
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

describe('the apply step changes only an object that is there', () => {
  const changes: [string, StepEvent][] = [
    ['the topology of a scale', apply('scale', { cluster: scalePatch() })],
    ['the version of an upgrade', apply('upgrade', { cluster: cluster() })],
    ['the replicas of a cluster without a ClusterClass', apply('scale', { objects: [replicas('cluster.x-k8s.io/v1beta2', 'MachineDeployment', 'md-0')] })],
  ];
  for (const [what, event] of changes) {
    it(`refuses ${what} once the object is being deleted, writing nothing, as a permanent failure`, async () => {
      const { calls, deps } = recordingDeps('deleting');
      await assert.rejects(runStep(event, deps), (error: Error) => {
        assert.equal(error.name, 'Conflict', `${error.name}: ${error.message}`);
        assert.match(error.message, /^(Cluster team-a\/web|MachineDeployment team-a\/md-0) is being deleted; nothing was applied$/);
        return true;
      });
      assert.deepEqual(calls.filter((c) => /^(apply|create|delete|patch)\b/.test(c)), []);
    });

    it(`refuses ${what} once the object is gone, creating nothing, as a permanent failure`, async () => {
      const { calls, deps } = recordingDeps('gone');
      await assert.rejects(runStep(event, deps), (error: Error) => {
        assert.equal(error.name, 'NotFound', `${error.name}: ${error.message}`);
        assert.match(error.message, /^(Cluster team-a\/web|MachineDeployment team-a\/md-0) no longer exists; nothing was applied$/);
        return true;
      });
      assert.deepEqual(calls.filter((c) => /^(apply|create|delete|patch)\b/.test(c)), []);
    });
  }

  it('still creates the Cluster of a create', async () => {
    const { calls, deps } = recordingDeps('gone');
    await runStep(apply('create', { cluster: cluster() }), deps);
    assert.deepEqual(calls.filter((c) => /^(apply|create|delete|patch)\b/.test(c)), ['apply Cluster']);
  });

  // A provisioning Cluster's status is written several times a second; each write fails an apply made
  // at the resourceVersion read before it (seen in CI: a scale during the create failed for good).
  it('fails an apply that loses every race to another writer as a failure the state machine retries', async () => {
    const applies: string[] = [];
    const stale = new CapiMcpError(ErrorCode.Conflict, 'failed to apply Cluster team-a/web: Operation cannot be fulfilled on clusters.cluster.x-k8s.io "web": the object has been modified', {
      cause: { code: 409, body: { kind: 'Status', reason: 'Conflict', code: 409 } },
    });
    let version = 0;
    const kube = {
      resolve: async () => ({ group: 'cluster.x-k8s.io', version: 'v1beta2', plural: 'clusters', kind: 'Cluster' }),
      get: async () => pooledCluster({ resourceVersion: String(++version) }),
      apply: async (obj: KubeObject) => {
        applies.push(String((obj.metadata as { resourceVersion?: string }).resourceVersion));
        throw stale;
      },
    } as unknown as KubeClient;
    const deps = { clusters: { client: () => kube }, now: () => new Date(), log: { warn() {} } } as unknown as StepDeps;
    await assert.rejects(runStep(apply('scale', { cluster: scalePatch() }), deps), (error: Error) => {
      assert.equal(error.name, transientErrorName, `${error.name}: ${error.message}`);
      assert.match(error.message, /Cluster team-a\/web changed under each of 3 applies; retrying later/);
      return true;
    });
    assert.equal(applies.length, 3);
    assert.ok(applies.every((rv, i) => i === 0 || Number(rv) > Number(applies[i - 1])), `each apply at the resourceVersion read just before it: ${applies}`);
  });
});

describe('the delete step judges again the very Cluster it deletes', () => {
  const uid = '0b7c1a52-2c4e-4c1e-9f57-3d2f4a7e9a10';
  /** A KubeClient whose GETs answer `versions` in turn and whose DELETEs answer `deletes` in turn. */
  function scripted(versions: (KubeObject | undefined)[], deletes: ('ok' | 'conflict')[] = ['ok']) {
    const calls: string[] = [];
    const kube = {
      async get() {
        const next = versions.shift();
        calls.push('get');
        if (!next) throw Object.assign(new CapiMcpError(ErrorCode.NotFound, 'clusters "web" not found'), {});
        return next;
      },
      async delete(_ref: unknown, _namespace: string, _name: string, options: { preconditions?: { uid: string; resourceVersion?: string } } = {}) {
        calls.push(`delete uid=${options.preconditions?.uid} rv=${options.preconditions?.resourceVersion}`);
        if (deletes.shift() === 'conflict') throw new CapiMcpError(ErrorCode.Conflict, 'the object has been modified');
      },
    } as unknown as KubeClient;
    const deps = { clusters: { client: () => kube }, now: () => new Date(), log: { warn() {} } } as unknown as StepDeps;
    return { calls, deps };
  }
  const live = (resourceVersion: string, labels: Record<string, string> = {}, theUid = uid) => cluster({}, { uid: theUid, resourceVersion, labels });
  const deleteOf = (fields: Record<string, unknown> = { uid }) => apply('delete', fields);

  it('deletes exactly the Cluster it read: its UID and resourceVersion as preconditions', async () => {
    const { calls, deps } = scripted([live('41')]);
    assert.deepEqual(await runStep(deleteOf(), deps), { applied: `deletion of ${ns}/web requested` });
    assert.deepEqual(calls, ['get', `delete uid=${uid} rv=41`]);
  });

  it('reads and judges again when the Cluster changed between its read and the DELETE', async () => {
    const { calls, deps } = scripted([live('41'), live('42')], ['conflict', 'ok']);
    await runStep(deleteOf(), deps);
    assert.deepEqual(calls, ['get', `delete uid=${uid} rv=41`, 'get', `delete uid=${uid} rv=42`]);
  });

  it('refuses, deleting nothing, when the change in between was a prevent-deletion label', async () => {
    const { calls, deps } = scripted([live('41'), live('42', { 'capi-mcp.io/prevent-deletion': 'true' })], ['conflict']);
    await assert.rejects(runStep(deleteOf(), deps), (error: Error) => {
      assert.equal(error.name, 'Forbidden', 'not retried by the state machine');
      assert.match(error.message, /refusing to delete cluster team-a\/web: .*prevent-deletion/);
      return true;
    });
    assert.deepEqual(calls, ['get', `delete uid=${uid} rv=41`, 'get']);
  });

  it('refuses a Cluster that GitOps came to own after the tool judged it', async () => {
    const { calls, deps } = scripted([live('41', { 'kustomize.toolkit.fluxcd.io/name': 'fleet' })]);
    await assert.rejects(runStep(deleteOf(), deps), { name: 'Forbidden' });
    assert.deepEqual(calls, ['get']);
  });

  it('refuses a Cluster that replaced the judged one under the same name', async () => {
    const { calls, deps } = scripted([live('7', {}, '9d1e4f00-0000-4000-8000-000000000000')]);
    await assert.rejects(runStep(deleteOf(), deps), (error: Error) => {
      assert.equal(error.name, 'Conflict', 'not retried by the state machine');
      assert.match(error.message, new RegExp(`was replaced since its deletion was asked \\(UID ${uid} is now 9d1e4f00-`));
      return true;
    });
    assert.deepEqual(calls, ['get']);
  });

  it('is done when the Cluster is already gone', async () => {
    const { calls, deps } = scripted([undefined]);
    assert.deepEqual(await runStep(deleteOf(), deps), { applied: `${ns}/web is already gone` });
    assert.deepEqual(calls, ['get']);
  });

  it('gives up after 5 conflicts in a row, as a failure the state machine retries', async () => {
    const { calls, deps } = scripted(Array.from({ length: 5 }, (_, i) => live(String(i))), Array(5).fill('conflict'));
    await assert.rejects(runStep(deleteOf(), deps), { name: transientErrorName });
    assert.equal(calls.filter((c) => c.startsWith('delete')).length, 5);
  });

  it('refuses a uid on any other action, and one that is not a UID', () => {
    assert.deepEqual(planProblems({ action: 'upgrade', namespace: ns, name: 'web', uid }), ['an upgrade carries no uid']);
    assert.deepEqual(planProblems({ action: 'delete', namespace: ns, name: 'web', uid: 'x/../y' }), ['uid must be a Kubernetes UID']);
  });
});

describe('planProblems of the day-2 actions', () => {
  const ns = 'team-a';
  const cluster = (spec: Record<string, unknown>) => ({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name: 'web', namespace: ns }, spec });
  const machine = { name: 'web-md-0-abc', uid: '5f0c0e1a-0000-4000-8000-000000000000' };

  it('accepts what the tools plan', () => {
    assert.deepEqual(planProblems({ action: 'pause', namespace: ns, name: 'web', cluster: cluster({ paused: true }) }), []);
    assert.deepEqual(planProblems({ action: 'resume', namespace: ns, name: 'web', cluster: cluster({ paused: false }) }), []);
    assert.deepEqual(planProblems({ action: 'rollout', namespace: ns, name: 'web', cluster: cluster({ topology: { controlPlane: { rollout: { after: '2026-12-04T08:00:00Z' } } } }) }), []);
    assert.deepEqual(planProblems({ action: 'remediate', namespace: ns, name: 'web', machine }), []);
  });

  it('refuses a pause that resumes, a pause that also changes the topology, and a rollout that sets replicas', () => {
    assert.deepEqual(planProblems({ action: 'pause', namespace: ns, name: 'web', cluster: cluster({ paused: false }) }), [
      'Cluster cluster.x-k8s.io/v1beta2 team-a/web: a pause sets spec.paused to true',
    ]);
    assert.deepEqual(planProblems({ action: 'pause', namespace: ns, name: 'web', cluster: cluster({ paused: true, topology: { version: 'v1.36.0' } }) }), [
      'Cluster cluster.x-k8s.io/v1beta2 team-a/web: a pause may not set spec.topology',
    ]);
    assert.deepEqual(planProblems({ action: 'rollout', namespace: ns, name: 'web', cluster: cluster({ topology: { controlPlane: { replicas: 5 } } }) }), [
      'Cluster cluster.x-k8s.io/v1beta2 team-a/web: a rollout may not set spec.topology.controlPlane.replicas',
    ]);
  });

  it('refuses a remediation without exactly its machine, and a machine on any other action', () => {
    const wrong = 'a remediation carries exactly its machine: an RFC 1123 name and a Kubernetes UID';
    assert.deepEqual(planProblems({ action: 'remediate', namespace: ns, name: 'web' }), [wrong]);
    assert.deepEqual(planProblems({ action: 'remediate', namespace: ns, name: 'web', machine: { ...machine, uid: 'x/../y' } }), [wrong]);
    assert.deepEqual(planProblems({ action: 'remediate', namespace: ns, name: 'web', machine: { ...machine, labels: {} } }), [wrong]);
    assert.deepEqual(planProblems({ action: 'remediate', namespace: ns, name: 'web', machine, cluster: cluster({ paused: true }) }), ['a remediate applies nothing']);
    assert.deepEqual(planProblems({ action: 'scale', namespace: ns, name: 'web', machine }), ['a scale carries no machine']);
  });
});
