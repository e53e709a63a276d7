/**
 * remediate_machine (shared/mcp/tools/remediate-machine.ts) against a fake management cluster: which
 * Machine may be deleted for its owner to replace (not the last control-plane one, not one without a
 * controlling owner, of another cluster, already going, or of a pool already replacing another), a
 * dry-run DELETE and nothing else, the operation pinned to the Machine's UID and expecting its pool back
 * at its desired count, a retry joined, and the plan naming the Machine replaced.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../shared/errors.ts';
import { Kinds } from '../../shared/kube/kinds.ts';
import type { KubeObject } from '../../shared/kube/client.ts';
import { maxGenerations } from '../../shared/workflows/engine.ts';
import { errorText } from '../../shared/mcp/result.ts';
import { remediateMachine } from '../../shared/mcp/tools/remediate-machine.ts';
import { apiFailure, assertRefusal, callTool, FakeKube, fakeToolDeps, labelled, topologyCluster, refusal, uidOf } from '../support/fake-kube.ts';
import { fakeMachine, fakeMachineDeployment } from '../support/fake-machines.ts';

const ns = 'team-a';
const args = (machine: string, fields: Record<string, unknown> = {}) => ({ namespace: ns, name: 'demo', machine, ...fields });

interface MachineOptions {
  readonly pool?: string;
  readonly cluster?: string;
  /** The controlling owner CAPI sets: the pool's MachineSet, or the KubeadmControlPlane. `none`: no owner; `not controller`: an owner that does not control it. */
  readonly owner?: 'controller' | 'none' | 'not controller';
  readonly deleting?: boolean;
  /** Marked by a MachineHealthCheck: OwnerRemediated False until its owner acts. */
  readonly remediating?: boolean;
}

/** A Machine of `cluster` as CAPI makes it: labelled by fakeMachine, controlled by its owner unless told. */
function machine(name: string, { pool = 'md-0', cluster = 'demo', owner = 'controller', deleting = false, remediating = false }: MachineOptions = {}): KubeObject {
  const m = fakeMachine(name, { pool, cluster });
  const [apiVersion, kind, ownerName] =
    pool === 'control plane' ? ['controlplane.cluster.x-k8s.io/v1beta2', 'KubeadmControlPlane', cluster] : ['cluster.x-k8s.io/v1beta2', 'MachineSet', `${cluster}-${pool}-set`];
  if (owner !== 'none') m.metadata.ownerReferences = [{ apiVersion, kind, name: ownerName, uid: uidOf(ownerName), ...(owner === 'controller' ? { controller: true } : {}) }];
  if (deleting) m.metadata.deletionTimestamp = '2026-11-25T11:59:00Z';
  // A healthy Machine is Ready; one a MachineHealthCheck marked waits for its owner (OwnerRemediated False).
  m.status = { ...m.status, conditions: [{ type: 'Ready', status: 'True' }, ...(remediating ? [{ type: 'OwnerRemediated', status: 'False', reason: 'WaitingForRemediation' }] : [])] };
  return m;
}

/** demo with `controlPlane` Machines desired (the Cluster's status says so, as CAPI reports it). */
function cluster(controlPlane: number): KubeObject {
  const c = topologyCluster({ controlPlaneReplicas: controlPlane });
  c.status = { controlPlane: { desiredReplicas: controlPlane, replicas: controlPlane } };
  return c;
}

/** md-0's MachineDeployment as the topology controller names it (demo-md-0-abcde), at `replicas`. */
function machineDeployment(pool: string, replicas: number, clusterName = 'demo'): KubeObject {
  const md = fakeMachineDeployment(pool, { cluster: clusterName });
  md.spec = { ...md.spec, replicas };
  return md;
}

/** demo: one control-plane Machine (desired 1), md-0 at 2 with demo-md-0-a and demo-md-0-b, and `extra`. */
function world(extra: readonly KubeObject[] = [], { controlPlane = [machine('demo-cp-1', { pool: 'control plane' })] }: { controlPlane?: readonly KubeObject[] } = {}) {
  const others = new Set(extra.map((o) => o.metadata.name));
  const base = [machine('demo-md-0-a'), machine('demo-md-0-b'), ...controlPlane].filter((o) => !others.has(o.metadata.name));
  const kube = new FakeKube().add(cluster(Math.max(controlPlane.length, 1)), machineDeployment('md-0', 2), ...base, ...extra);
  return fakeToolDeps({ kube });
}

const diagnoseHint = 'call diagnose_cluster with namespace=team-a name=demo';

interface RefusalCase {
  readonly name: string;
  readonly machine: string;
  readonly extra?: readonly KubeObject[];
  readonly controlPlane?: readonly KubeObject[];
  readonly prepare?: (kube: FakeKube) => void;
  readonly expect: { readonly code: ErrorCode; readonly message: string | RegExp; readonly hint?: string | RegExp; readonly next?: string };
}

const refusals: RefusalCase[] = [
  {
    name: 'the last control-plane Machine',
    machine: 'demo-cp-1',
    expect: { code: ErrorCode.InvalidInput, message: 'cannot remediate cluster team-a/demo: Machine demo-cp-1 is the last control-plane Machine: the cluster would lose its API server and etcd', hint: diagnoseHint },
  },
  {
    name: 'the last live control-plane Machine while its peer is being deleted, naming both reasons',
    machine: 'demo-cp-1',
    controlPlane: [machine('demo-cp-1', { pool: 'control plane' }), machine('demo-cp-2', { pool: 'control plane', deleting: true })],
    expect: {
      code: ErrorCode.InvalidInput,
      message: 'cannot remediate cluster team-a/demo: Machine demo-cp-1 is the last control-plane Machine: the cluster would lose its API server and etcd; the control plane is already replacing demo-cp-2: one remediation at a time keeps it at 2 less one at worst',
    },
  },
  {
    name: 'a Machine without an owner (nothing would replace it)',
    machine: 'demo-md-0-a',
    extra: [machine('demo-md-0-a', { owner: 'none' })],
    expect: { code: ErrorCode.InvalidInput, message: 'cannot remediate cluster team-a/demo: Machine demo-md-0-a has no controlling MachineSet or control plane: nothing would replace it', hint: diagnoseHint },
  },
  {
    name: 'a Machine whose owner does not control it',
    machine: 'demo-md-0-a',
    extra: [machine('demo-md-0-a', { owner: 'not controller' })],
    expect: { code: ErrorCode.InvalidInput, message: /: Machine demo-md-0-a has no controlling MachineSet or control plane: nothing would replace it$/ },
  },
  {
    name: 'a Machine of another cluster in the namespace',
    machine: 'other-md-0-a',
    extra: [machine('other-md-0-a', { cluster: 'other' })],
    expect: { code: ErrorCode.InvalidInput, message: 'cannot remediate cluster team-a/demo: Machine other-md-0-a is not part of cluster demo' },
  },
  {
    name: 'a Machine being deleted already',
    machine: 'demo-md-0-a',
    extra: [machine('demo-md-0-a', { deleting: true })],
    expect: { code: ErrorCode.InvalidInput, message: 'cannot remediate cluster team-a/demo: Machine demo-md-0-a is being deleted already' },
  },
  {
    name: 'a Machine whose pool has another Machine being deleted',
    machine: 'demo-md-0-a',
    extra: [machine('demo-md-0-b', { deleting: true })],
    expect: { code: ErrorCode.InvalidInput, message: 'cannot remediate cluster team-a/demo: worker pool "md-0" is already replacing demo-md-0-b: one remediation at a time keeps it at 2 less one at worst' },
  },
  {
    name: 'a Machine whose pool has another Machine a health check marked (OwnerRemediated False)',
    machine: 'demo-md-0-a',
    extra: [machine('demo-md-0-b', { remediating: true })],
    expect: { code: ErrorCode.InvalidInput, message: 'cannot remediate cluster team-a/demo: worker pool "md-0" is already replacing demo-md-0-b: one remediation at a time keeps it at 2 less one at worst' },
  },
  {
    name: 'a Machine that does not exist, pointing to get_cluster',
    machine: 'gone',
    expect: { code: ErrorCode.NotFound, message: 'Machine team-a/gone not found', next: 'see-machines' },
  },
  {
    name: 'a Machine of a cluster that does not exist',
    machine: 'demo-md-0-a',
    prepare: (kube) => kube.failOn({ verb: 'get', kind: 'Cluster' }, apiFailure('get Cluster team-a/demo', 404, { reason: 'NotFound', message: 'clusters.cluster.x-k8s.io "demo" not found' })),
    expect: { code: ErrorCode.NotFound, message: 'cluster team-a/demo not found' },
  },
  {
    name: 'a deletion the identity may not make, found by the dry-run DELETE',
    machine: 'demo-md-0-a',
    prepare: (kube) => kube.failOn({ verb: 'delete', dryRun: true }, apiFailure('validate the deletion of Machine team-a/demo-md-0-a', 403, { message: 'machines.cluster.x-k8s.io "demo-md-0-a" is forbidden' })),
    expect: { code: ErrorCode.Forbidden, message: 'the API server refused the deletion of Machine team-a/demo-md-0-a: failed to validate the deletion of Machine team-a/demo-md-0-a: machines.cluster.x-k8s.io "demo-md-0-a" is forbidden' },
  },
];

describe('remediate_machine', () => {
  for (const c of refusals) {
    it(`refuses ${c.name}, deleting and starting nothing`, async () => {
      // Prepare
      const { deps, kube, workflows } = world(c.extra, c.controlPlane ? { controlPlane: c.controlPlane } : {});
      c.prepare?.(kube);

      // Act
      const error = await refusal(callTool(remediateMachine, args(c.machine), deps));

      // Assess
      assertRefusal(error, c.expect);
      assert.deepEqual(kube.writes(), [], 'nothing deleted');
      assert.deepEqual(workflows.starts, [], 'nothing started');
      if (c.expect.code === ErrorCode.InvalidInput) assert.deepEqual(kube.calls.filter((call) => call.verb === 'delete'), [], 'refused before even a dry-run DELETE');
    });
  }

  it("tells the agent of a Machine not found to read the cluster's Machines", async () => {
    const { deps } = world();
    const error = await refusal(callTool(remediateMachine, args('gone'), deps));
    assert.equal(errorText('remediate_machine', error), "NotFound: Machine team-a/gone not found\nNext: call get_cluster to see the cluster's Machines");
  });

  it("dry-runs the DELETE of the worker alone, then starts an operation pinned to its UID, expecting md-0 back at its MachineDeployment's 2 (found by the topology label)", async () => {
    // Prepare: the pool's MachineDeployment is not named after the pool, and another cluster's has the same pool name.
    const { deps, kube, workflows, operationsStarted } = world([machineDeployment('md-0', 9, 'other')]);

    // Act
    const { structured, text } = await callTool(remediateMachine, args('demo-md-0-a'), deps);

    // Assess
    assert.deepEqual(kube.calls.filter((c) => c.verb === 'delete').map((c) => c.text), ['delete Machine team-a/demo-md-0-a (dry run)']);
    assert.deepEqual(kube.writes(), [], 'the workflow deletes, not the tool');
    assert.ok(kube.object('Machine', ns, 'demo-md-0-a'), 'the Machine is still there');
    assert.deepEqual(workflows.starts.map((s) => s.input), [
      {
        operation: { action: 'remediate', namespace: ns, name: 'demo', machine: { name: 'demo-md-0-a', uid: uidOf('demo-md-0-a') }, expect: { replaced: { pool: 'md-0', replicas: 2 } } },
        timeoutSeconds: 1800,
        pollSeconds: 10,
      },
    ]);
    assert.match(workflows.starts[0]!.name, /^remediate_team-a_demo_[0-9a-f]{20}$/);
    assert.equal(structured.operation_id, workflows.starts[0]!.name);
    assert.equal(structured.action, 'remediate');
    assert.match(text, /^operation remediate_team-a_demo_\w+: remediate team-a\/demo RUNNING at Apply 0s\nNext: call get_operation/);
    assert.deepEqual(operationsStarted, ['remediate']);
  });

  it("remediates one control-plane Machine of 3, expecting the control plane back at the Cluster's desired 3", async () => {
    // Prepare
    const controlPlane = ['demo-cp-1', 'demo-cp-2', 'demo-cp-3'].map((n) => machine(n, { pool: 'control plane' }));
    const { deps, kube, workflows } = world([], { controlPlane });

    // Act
    await callTool(remediateMachine, args('demo-cp-2'), deps);

    // Assess
    assert.deepEqual(workflows.starts.map((s) => s.input.operation), [
      { action: 'remediate', namespace: ns, name: 'demo', machine: { name: 'demo-cp-2', uid: uidOf('demo-cp-2') }, expect: { replaced: { pool: 'control plane', replicas: 3 } } },
    ]);
    assert.ok(!kube.transcript().includes('list MachineDeployment'), 'a control plane is counted by its Cluster, no MachineDeployment read');
  });

  it('remediates a worker while a Machine of another pool is being deleted: one remediation at a time is per pool', async () => {
    const { deps, workflows } = world([machine('demo-md-1-a', { pool: 'md-1', deleting: true })]);
    await callTool(remediateMachine, args('demo-md-0-a'), deps);
    assert.equal(workflows.starts.length, 1);
  });

  it('remediates a Machine of a cluster GitOps manages: Machines are never in a Git source', async () => {
    const { deps, kube, workflows } = world();
    kube.add(labelled(cluster(1), { 'kustomize.toolkit.fluxcd.io/name': 'clusters', 'capi-mcp.io/prevent-deletion': 'true' }));
    await callTool(remediateMachine, args('demo-md-0-b'), deps);
    assert.equal(workflows.starts.length, 1);
  });

  it('expects no count of a pool whose MachineDeployment it cannot find, only the Machine replaced', async () => {
    const { deps, workflows } = world([machine('demo-md-7-a', { pool: 'md-7' }), machine('demo-md-7-b', { pool: 'md-7' })]);
    await callTool(remediateMachine, args('demo-md-7-a'), deps);
    assert.deepEqual(workflows.starts[0]!.input.operation.expect, { replaced: { pool: 'md-7' } });
  });

  it('joins the running remediation of the same Machine instead of deleting a second one, with no second dry run', async () => {
    // Prepare
    const { deps, kube, workflows } = world();
    const first = await callTool(remediateMachine, args('demo-md-0-a'), deps);

    // Act
    const again = await callTool(remediateMachine, args('demo-md-0-a'), deps);

    // Assess
    assert.equal(again.structured.operation_id, first.structured.operation_id);
    assert.equal(workflows.starts.length, 1);
    assert.equal(kube.calls.filter((c) => c.verb === 'delete').length, 1, 'the dry-run DELETE ran for the new operation only');
  });

  it('joins the running remediation of a Machine its step has deleted already, instead of answering NotFound', async () => {
    // Prepare: the operation started and its step deleted the Machine; the agent's retry comes after.
    const { deps, kube, workflows } = world();
    const first = await callTool(remediateMachine, args('demo-md-0-a'), deps);
    await kube.delete(Kinds.Machine, ns, 'demo-md-0-a');

    // Act
    const again = await callTool(remediateMachine, args('demo-md-0-a'), deps);

    // Assess
    assert.equal(again.structured.operation_id, first.structured.operation_id);
    assert.equal(workflows.starts.length, 1);
  });

  it('answers NotFound for a Machine gone whose remediation is not running (ended, or never started)', async () => {
    const { deps, kube, workflows } = world();
    const first = await callTool(remediateMachine, args('demo-md-0-a'), deps);
    await kube.delete(Kinds.Machine, ns, 'demo-md-0-a');
    workflows.update(first.structured.operation_id!, { status: 'SUCCEEDED' });
    const error = await refusal(callTool(remediateMachine, args('demo-md-0-a'), deps));
    assert.match(errorText('remediate_machine', error), /^NotFound: Machine team-a\/demo-md-0-a not found/);
    assert.equal(workflows.starts.length, 1);
  });

  it('starts a remediation per Machine: two pools side by side', async () => {
    const { deps, workflows } = world([machine('demo-md-1-a', { pool: 'md-1' }), machine('demo-md-1-b', { pool: 'md-1' })]);
    const md0 = await callTool(remediateMachine, args('demo-md-0-a'), deps);
    const md1 = await callTool(remediateMachine, args('demo-md-1-a'), deps);
    assert.notEqual(md0.structured.operation_id, md1.structured.operation_id);
    assert.deepEqual(workflows.starts.map((s) => s.input.operation.machine?.name), ['demo-md-0-a', 'demo-md-1-a']);
  });

  it("remediates a Machine however often another Machine of the cluster was: each Machine's remediation is an operation of its own", async () => {
    // Prepare: demo-md-0-a remediated as many times as one operation may run.
    const { deps, workflows } = world();
    for (let run = 0; run < maxGenerations; run++) {
      const { structured } = await callTool(remediateMachine, args('demo-md-0-a'), deps);
      workflows.update(structured.operation_id!, { status: 'SUCCEEDED' });
    }

    // Act
    const other = await callTool(remediateMachine, args('demo-md-0-b'), deps);

    // Assess
    assert.equal(other.structured.status, 'RUNNING');
    assert.equal(workflows.starts.length, maxGenerations + 1);
  });

  it('refuses a Machine the API server returns without a UID (Upstream), deleting nothing', async () => {
    const { deps, kube, workflows } = world();
    const noUid = machine('demo-md-0-a');
    delete noUid.metadata.uid;
    kube.add(noUid);
    assertRefusal(await refusal(callTool(remediateMachine, args('demo-md-0-a'), deps)), { code: ErrorCode.Upstream, message: 'the API server returned Machine team-a/demo-md-0-a without a UID' });
    assert.deepEqual([kube.writes(), workflows.starts], [[], []]);
  });
});

describe('remediate_machine with dry_run', () => {
  it('judges and dry-runs the DELETE as the real call does, then answers a plan naming the Machine replaced; nothing deleted, started or looked up', async () => {
    // Prepare
    const { deps, kube, workflows, operationsStarted } = world();

    // Act
    const { structured, text } = await callTool(remediateMachine, args('demo-md-0-a', { dry_run: true }), deps);

    // Assess
    assert.deepEqual(kube.calls.filter((c) => c.verb === 'delete').map((c) => c.text), ['delete Machine team-a/demo-md-0-a (dry run)']);
    assert.deepEqual([kube.writes(), workflows.starts, workflows.describes, operationsStarted], [[], [], [], []]);
    assert.equal((structured as { operation_id?: string }).operation_id, undefined);
    const plan = (structured as { plan?: { changes: string[]; machines: string[]; replaced?: string[]; removed?: string[]; guards: string[]; call: string } }).plan;
    assert.deepEqual(plan?.replaced, ['demo-md-0-a']);
    assert.equal(plan?.removed, undefined);
    assert.deepEqual(plan?.changes, ['Machine team-a/demo-md-0-a: deleted']);
    assert.deepEqual(plan?.machines, ['delete demo-md-0-a (md-0); MachineSet demo-md-0-set creates its replacement, back to 2 ready']);
    assert.deepEqual(plan?.guards, [
      'Machine demo-md-0-a: owned by MachineSet demo-md-0-set, not the last control-plane Machine, its pool replacing no other',
      'server-side dry-run DELETE: accepted',
    ]);
    assert.equal(plan?.call, 'remediate_machine {"namespace":"team-a","name":"demo","machine":"demo-md-0-a"} without dry_run');
    assert.match(text, /^dry run of remediate_machine: nothing applied, no operation started\nchange \(accepted by the API server\):\n  Machine team-a\/demo-md-0-a: deleted\nmachines:\n/);
    assert.ok(remediateMachine.outputSchema.safeParse(structured).success, 'the plan fits the output schema');
  });

  it('refuses what the real call refuses: the last control-plane Machine, a pool already replacing one; nothing deleted or started', async () => {
    const last = world();
    assert.match((await refusal(callTool(remediateMachine, args('demo-cp-1', { dry_run: true }), last.deps))).message, /is the last control-plane Machine/);
    const busy = world([machine('demo-md-0-b', { remediating: true })]);
    assert.match((await refusal(callTool(remediateMachine, args('demo-md-0-a', { dry_run: true }), busy.deps))).message, /is already replacing demo-md-0-b/);
    for (const w of [last, busy]) assert.deepEqual([w.kube.calls.filter((c) => c.verb === 'delete'), w.workflows.starts], [[], []]);
  });

  it('answers a plan while the same remediation runs, and neither joins nor starts it', async () => {
    const { deps, workflows } = world();
    const running = await callTool(remediateMachine, args('demo-md-0-a'), deps);
    const planned = await callTool(remediateMachine, args('demo-md-0-a', { dry_run: true }), deps);
    assert.ok((planned.structured as { plan?: unknown }).plan);
    assert.deepEqual(workflows.starts.map((s) => s.name), [running.structured.operation_id]);
  });
});
