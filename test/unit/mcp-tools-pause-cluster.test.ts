/**
 * pause_cluster (shared/mcp/tools/pause-cluster.ts) against a fake management cluster: a paused cluster
 * refused, a GitOps-managed one not (a pause replaces no machine), one dry-run apply of spec.paused as
 * capi-mcp-pause and never over another field manager, the operation it starts or joins, and its plan.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../shared/errors.ts';
import type { KubeObject } from '../../shared/kube/client.ts';
import { pauseCluster } from '../../shared/mcp/tools/pause-cluster.ts';
import { annotated, assertRefusal, callTool, FakeKube, fakeToolDeps, fieldConflict, labelled, topologyCluster, refusal } from '../support/fake-kube.ts';
import { fakeMachine } from '../support/fake-machines.ts';

const ns = 'team-a';
const args = { namespace: ns, name: 'demo' };

/** demo with spec.paused as `paused` says. */
function withPaused(paused: boolean, cluster = topologyCluster()): KubeObject {
  return { ...cluster, spec: { ...cluster.spec, paused } };
}

/** The patch pause_cluster applies and the workflow re-applies: spec.paused alone. */
const pausePatch = { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name: 'demo', namespace: ns }, spec: { paused: true } };

interface RefusalCase {
  readonly name: string;
  readonly cluster?: KubeObject;
  readonly prepare?: (kube: FakeKube) => void;
  readonly expect: { readonly code: ErrorCode; readonly message: string | RegExp; readonly hint?: string | RegExp };
}

const refusals: RefusalCase[] = [
  {
    name: 'a cluster paused already (spec.paused true)',
    cluster: withPaused(true),
    expect: { code: ErrorCode.InvalidInput, message: 'cannot pause cluster team-a/demo: it is paused already (spec.paused is true)', hint: 'call get_cluster to see its current topology' },
  },
  { name: 'a cluster that does not exist', cluster: topologyCluster({ name: 'other' }), expect: { code: ErrorCode.NotFound, message: 'cluster team-a/demo not found' } },
  {
    name: 'spec.paused owned by another field manager, naming it',
    prepare: (kube) => kube.failOn({ verb: 'apply', dryRun: true }, fieldConflict('validate Cluster team-a/demo', 'kubectl', ['.spec.paused'])),
    expect: {
      code: ErrorCode.Conflict,
      message: 'the API server rejected the pause of cluster team-a/demo: failed to validate Cluster team-a/demo: field manager "kubectl" owns .spec.paused, with other values than this change sets; capi-mcp does not take fields from another manager',
      hint: /^those values are someone else’s: change them where that manager applies them from/,
    },
  },
];

describe('pause_cluster', () => {
  for (const c of refusals) {
    it(`refuses ${c.name}, writing and starting nothing`, async () => {
      // Prepare
      const { deps, kube, workflows } = fakeToolDeps({ kube: new FakeKube().add(c.cluster ?? topologyCluster()) });
      c.prepare?.(kube);

      // Act
      const error = await refusal(callTool(pauseCluster, args, deps));

      // Assess
      assertRefusal(error, c.expect);
      assert.deepEqual(kube.writes(), [], 'nothing written');
      assert.deepEqual(workflows.starts, [], 'nothing started');
    });
  }

  it('dry-runs spec.paused alone, as capi-mcp-pause and unforced, then starts the pause expecting it reported, within 300 s, polled every 3 s', async () => {
    // Prepare
    const { deps, kube, workflows, operationsStarted } = fakeToolDeps({ kube: new FakeKube().add(topologyCluster()) });

    // Act
    const { structured, text } = await callTool(pauseCluster, args, deps);

    // Assess
    const applies = kube.calls.filter((c) => c.verb === 'apply');
    assert.deepEqual(applies.map((c) => [c.text, c.fieldManager, c.force]), [['apply Cluster team-a/demo (dry run)', 'capi-mcp-pause', false]]);
    assert.deepEqual(applies[0]!.object?.spec, { paused: true });
    assert.deepEqual(kube.writes(), [], 'the workflow applies, not the tool');
    assert.deepEqual(workflows.starts.map((s) => s.input), [
      { operation: { action: 'pause', namespace: ns, name: 'demo', cluster: pausePatch, expect: { paused: true } }, timeoutSeconds: 300, pollSeconds: 3 },
    ]);
    assert.match(workflows.starts[0]!.name, /^pause_team-a_demo_[0-9a-f]{20}$/);
    assert.equal(structured.operation_id, workflows.starts[0]!.name);
    assert.equal(structured.action, 'pause');
    assert.match(text, /^operation pause_team-a_demo_[0-9a-f]{20}: pause team-a\/demo RUNNING at Apply 0s\n/);
    assert.deepEqual(operationsStarted, ['pause']);
  });

  // Note: a pause replaces no machine and GitOps never carries spec.paused of a running cluster by
  // hand; refusing it would leave an agent no way to stop the controllers during an incident.
  const notDestructive: { name: string; cluster: KubeObject }[] = [
    { name: 'Flux manages (kustomize label)', cluster: labelled(topologyCluster(), { 'kustomize.toolkit.fluxcd.io/name': 'clusters' }) },
    { name: 'Argo CD tracks (tracking-id annotation)', cluster: annotated(topologyCluster(), { 'argocd.argoproj.io/tracking-id': 'fleet:cluster.x-k8s.io/Cluster:team-a/demo' }) },
    { name: 'is labelled capi-mcp.io/prevent-deletion=true', cluster: labelled(topologyCluster(), { 'capi-mcp.io/prevent-deletion': 'true' }) },
  ];
  for (const c of notDestructive) {
    it(`pauses a cluster ${c.name}: pausing is not a destructive change`, async () => {
      const { deps, workflows } = fakeToolDeps({ kube: new FakeKube().add(c.cluster) });
      await callTool(pauseCluster, args, deps);
      assert.deepEqual(workflows.starts.map((s) => s.input.operation.action), ['pause']);
    });
  }

  it('pauses a cluster resumed before (spec.paused false), as a pause of one never paused', async () => {
    const { deps, workflows } = fakeToolDeps({ kube: new FakeKube().add(withPaused(false)) });
    await callTool(pauseCluster, args, deps);
    assert.deepEqual(workflows.starts.map((s) => s.input.operation.cluster?.spec), [{ paused: true }]);
  });

  it('joins the running pause instead of starting it twice, with no second dry run', async () => {
    // Prepare
    const { deps, kube, workflows } = fakeToolDeps({ kube: new FakeKube().add(topologyCluster()) });
    const first = await callTool(pauseCluster, args, deps);
    const appliesBefore = kube.calls.filter((c) => c.verb === 'apply').length;

    // Act
    const again = await callTool(pauseCluster, args, deps);

    // Assess
    assert.equal(again.structured.operation_id, first.structured.operation_id);
    assert.equal(workflows.starts.length, 1);
    assert.equal(kube.calls.filter((c) => c.verb === 'apply').length, appliesBefore, 'the checks run for a new operation only');
  });

  it('pauses on the management cluster named, keying its operation by it', async () => {
    // Prepare
    const other = new FakeKube().add(topologyCluster());
    const { deps, kube, workflows } = fakeToolDeps({ kube: new FakeKube().add(topologyCluster()), others: { eu: other } });
    const here = await callTool(pauseCluster, args, deps);

    // Act
    const there = await callTool(pauseCluster, { ...args, management_cluster: 'eu' }, deps);

    // Assess
    assert.notEqual(there.structured.operation_id, here.structured.operation_id);
    assert.deepEqual(workflows.starts.map((s) => s.input.operation.managementCluster), [undefined, 'eu']);
    assert.equal(other.calls.filter((c) => c.verb === 'apply').length, 1, 'the dry run went to eu');
    assert.equal(kube.calls.filter((c) => c.verb === 'apply').length, 1, 'and the first call’s to sandbox only');
  });

  it('takes no timeout_seconds: its own 300 s is the only one', () => {
    assert.equal('timeout_seconds' in pauseCluster.inputSchema.shape, false);
  });
});

describe('pause_cluster with dry_run', () => {
  it('runs the same dry-run apply, then answers a plan: spec.paused (none) → true, no Machine changes, the guards, the call; nothing written, started or looked up', async () => {
    // Prepare
    const machines = [fakeMachine('demo-cp-1', { pool: 'control plane' }), fakeMachine('demo-md-0-a')];
    const { deps, kube, workflows, operationsStarted } = fakeToolDeps({ kube: new FakeKube().add(topologyCluster(), ...machines) });

    // Act
    const { structured, text } = await callTool(pauseCluster, { ...args, dry_run: true }, deps);

    // Assess
    assert.deepEqual(kube.calls.filter((c) => c.verb === 'apply').map((c) => [c.text, c.fieldManager]), [['apply Cluster team-a/demo (dry run)', 'capi-mcp-pause']]);
    assert.deepEqual([kube.writes(), workflows.starts, workflows.describes, operationsStarted], [[], [], [], []]);
    assert.equal((structured as { operation_id?: string }).operation_id, undefined);
    const plan = (structured as { plan?: { changes: string[]; machines: string[]; replaced?: string[]; removed?: string[]; guards: string[]; call: string } }).plan;
    assert.deepEqual(plan?.changes, ['Cluster team-a/demo: spec.paused (none) → true']);
    assert.deepEqual(plan?.machines, [
      'no Machine changes; the topology, control plane, MachineDeployment, MachineSet, Machine, MachineHealthCheck and infrastructure controllers stop reconciling team-a/demo until resume_cluster',
    ]);
    assert.equal(plan?.replaced, undefined);
    assert.equal(plan?.removed, undefined);
    assert.deepEqual(plan?.guards, [
      'not paused already',
      'owners (GitOps markers, capi-mcp.io/prevent-deletion) on Cluster demo: allowed',
      'server-side dry run as capi-mcp-pause of Cluster demo: accepted, no field of another manager taken',
    ]);
    assert.match(text, /^dry run of pause_cluster: nothing applied, no operation started\nchange \(accepted by the API server\):\n  Cluster team-a\/demo: spec\.paused \(none\) → true\n/);
    assert.ok(pauseCluster.outputSchema.safeParse(structured).success, 'the plan fits the output schema');
  });

  it('names in its call only the arguments pause_cluster takes', async () => {
    // Prepare
    const { deps } = fakeToolDeps({ kube: new FakeKube().add(topologyCluster()) });

    // Act
    const { structured, text } = await callTool(pauseCluster, { ...args, dry_run: true }, deps);

    // Assess
    const plan = (structured as { plan?: { call: string } }).plan;
    assert.equal(plan?.call, 'pause_cluster {"namespace":"team-a","name":"demo"} without dry_run');
    assert.match(text, /\nNext: to make it, call pause_cluster \{"namespace":"team-a","name":"demo"\} without dry_run$/);
  });

  it('refuses what the real call refuses: a paused cluster, another field manager; nothing written or started', async () => {
    const paused = fakeToolDeps({ kube: new FakeKube().add(withPaused(true)) });
    assert.match((await refusal(callTool(pauseCluster, { ...args, dry_run: true }, paused.deps))).message, /it is paused already/);
    const conflict = fakeToolDeps({ kube: new FakeKube().add(topologyCluster()) });
    conflict.kube.failOn({ verb: 'apply', dryRun: true }, fieldConflict('validate Cluster team-a/demo', 'flux', ['.spec.paused']));
    assert.equal((await refusal(callTool(pauseCluster, { ...args, dry_run: true }, conflict.deps))).code, ErrorCode.Conflict);
    for (const w of [paused, conflict]) assert.deepEqual([w.kube.writes(), w.workflows.starts], [[], []]);
  });
});
