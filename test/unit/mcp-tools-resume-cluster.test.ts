/**
 * resume_cluster (shared/mcp/tools/resume-cluster.ts) against a fake management cluster: a cluster not
 * paused refused, and one clusterctl move paused by annotation (never resumed by capi-mcp, whatever its
 * spec says); one dry-run apply of spec.paused false as capi-mcp-resume; the operation; its plan.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../shared/errors.ts';
import type { KubeObject } from '../../shared/kube/client.ts';
import { pauseCluster } from '../../shared/mcp/tools/pause-cluster.ts';
import { resumeCluster } from '../../shared/mcp/tools/resume-cluster.ts';
import { annotated, assertRefusal, callTool, FakeKube, fakeToolDeps, fieldConflict, labelled, topologyCluster, refusal } from '../support/fake-kube.ts';

const ns = 'team-a';
const args = { namespace: ns, name: 'demo' };
const moving = 'cluster.x-k8s.io/paused';

/** demo with spec.paused as `paused` says (unset when undefined). */
function withPaused(paused: boolean | undefined, cluster = topologyCluster()): KubeObject {
  return { ...cluster, spec: { ...cluster.spec, ...(paused !== undefined ? { paused } : {}) } };
}

const annotationProblem = `it carries the annotation ${moving}, which clusterctl move sets while it moves a cluster; capi-mcp does not remove it`;

interface RefusalCase {
  readonly name: string;
  readonly cluster: KubeObject;
  readonly prepare?: (kube: FakeKube) => void;
  readonly expect: { readonly code: ErrorCode; readonly message: string | RegExp; readonly hint?: string | RegExp };
}

const refusals: RefusalCase[] = [
  {
    name: 'a cluster never paused (spec.paused unset)',
    cluster: withPaused(undefined),
    expect: { code: ErrorCode.InvalidInput, message: 'cannot resume cluster team-a/demo: it is not paused (spec.paused is not set): nothing to resume', hint: 'call get_cluster to see its current topology' },
  },
  {
    name: 'a cluster resumed already (spec.paused false)',
    cluster: withPaused(false),
    expect: { code: ErrorCode.InvalidInput, message: /^cannot resume cluster team-a\/demo: it is not paused/ },
  },
  {
    name: 'a cluster clusterctl move paused (the cluster.x-k8s.io/paused annotation) even with spec.paused true',
    cluster: annotated(withPaused(true), { [moving]: '' }),
    expect: { code: ErrorCode.InvalidInput, message: `cannot resume cluster team-a/demo: ${annotationProblem}` },
  },
  {
    name: 'a cluster paused by the annotation alone, naming both reasons',
    cluster: annotated(withPaused(undefined), { [moving]: 'true' }),
    expect: { code: ErrorCode.InvalidInput, message: `cannot resume cluster team-a/demo: it is not paused (spec.paused is not set): nothing to resume; ${annotationProblem}` },
  },
  { name: 'a cluster that does not exist', cluster: withPaused(true, topologyCluster({ name: 'other' })), expect: { code: ErrorCode.NotFound, message: 'cluster team-a/demo not found' } },
  {
    name: 'spec.paused owned by another field manager, naming it',
    cluster: withPaused(true),
    prepare: (kube) => kube.failOn({ verb: 'apply', dryRun: true }, fieldConflict('validate Cluster team-a/demo', 'kubectl', ['.spec.paused'])),
    expect: { code: ErrorCode.Conflict, message: /^the API server rejected the resume of cluster team-a\/demo: failed to validate Cluster team-a\/demo: field manager "kubectl" owns \.spec\.paused, / },
  },
];

describe('resume_cluster', () => {
  for (const c of refusals) {
    it(`refuses ${c.name}, writing and starting nothing`, async () => {
      // Prepare
      const { deps, kube, workflows } = fakeToolDeps({ kube: new FakeKube().add(c.cluster) });
      c.prepare?.(kube);

      // Act
      const error = await refusal(callTool(resumeCluster, args, deps));

      // Assess
      assertRefusal(error, c.expect);
      assert.deepEqual(kube.writes(), [], 'nothing written');
      assert.deepEqual(workflows.starts, [], 'nothing started');
    });
  }

  it('dry-runs spec.paused false alone, as capi-mcp-resume and unforced, then starts the resume expecting it reported, within 300 s, polled every 3 s', async () => {
    // Prepare
    const { deps, kube, workflows, operationsStarted } = fakeToolDeps({ kube: new FakeKube().add(withPaused(true)) });

    // Act
    const { structured, text } = await callTool(resumeCluster, args, deps);

    // Assess
    const applies = kube.calls.filter((c) => c.verb === 'apply');
    assert.deepEqual(applies.map((c) => [c.text, c.fieldManager, c.force]), [['apply Cluster team-a/demo (dry run)', 'capi-mcp-resume', false]]);
    assert.deepEqual(applies[0]!.object?.spec, { paused: false });
    assert.deepEqual(kube.writes(), []);
    const patch = { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name: 'demo', namespace: ns }, spec: { paused: false } };
    assert.deepEqual(workflows.starts.map((s) => s.input), [
      { operation: { action: 'resume', namespace: ns, name: 'demo', cluster: patch, expect: { paused: false } }, timeoutSeconds: 300, pollSeconds: 3 },
    ]);
    assert.equal(structured.action, 'resume');
    assert.match(text, /^operation resume_team-a_demo_[0-9a-f]{20}: resume team-a\/demo RUNNING at Apply 0s\n/);
    assert.deepEqual(operationsStarted, ['resume']);
  });

  it('resumes a paused cluster Argo CD manages: resuming is not a destructive change', async () => {
    const { deps, workflows } = fakeToolDeps({ kube: new FakeKube().add(labelled(withPaused(true), { 'argocd.argoproj.io/instance': 'fleet' })) });
    await callTool(resumeCluster, args, deps);
    assert.deepEqual(workflows.starts.map((s) => s.input.operation.action), ['resume']);
  });

  it('resumes a paused cluster whose other annotations only look alike (cluster.x-k8s.io/paused-by)', async () => {
    const { deps, workflows } = fakeToolDeps({ kube: new FakeKube().add(annotated(withPaused(true), { 'cluster.x-k8s.io/paused-by': 'ops' })) });
    await callTool(resumeCluster, args, deps);
    assert.equal(workflows.starts.length, 1);
  });

  it('joins the running resume instead of starting it twice', async () => {
    const { deps, workflows } = fakeToolDeps({ kube: new FakeKube().add(withPaused(true)) });
    const first = await callTool(resumeCluster, args, deps);
    const again = await callTool(resumeCluster, args, deps);
    assert.equal(again.structured.operation_id, first.structured.operation_id);
    assert.equal(workflows.starts.length, 1);
  });

  it('starts an operation of its own beside the pause that paused the cluster: another action, another id', async () => {
    // Prepare
    const { deps, kube, workflows } = fakeToolDeps({ kube: new FakeKube().add(withPaused(undefined)) });
    const paused = await callTool(pauseCluster, args, deps);
    kube.add(withPaused(true));

    // Act
    const resumed = await callTool(resumeCluster, args, deps);

    // Assess
    assert.notEqual(resumed.structured.operation_id, paused.structured.operation_id);
    assert.deepEqual(workflows.starts.map((s) => s.input.operation.action), ['pause', 'resume']);
  });
});

describe('resume_cluster with dry_run', () => {
  it('runs the same dry-run apply, then answers a plan: spec.paused true → false, no Machine changes, the annotation guard; nothing written, started or looked up', async () => {
    // Prepare
    const { deps, kube, workflows, operationsStarted } = fakeToolDeps({ kube: new FakeKube().add(withPaused(true)) });

    // Act
    const { structured, text } = await callTool(resumeCluster, { ...args, dry_run: true }, deps);

    // Assess
    assert.deepEqual(kube.calls.filter((c) => c.verb === 'apply').map((c) => [c.text, c.fieldManager]), [['apply Cluster team-a/demo (dry run)', 'capi-mcp-resume']]);
    assert.deepEqual([kube.writes(), workflows.starts, workflows.describes, operationsStarted], [[], [], [], []]);
    const plan = (structured as { plan?: { changes: string[]; machines: string[]; guards: string[] } }).plan;
    assert.deepEqual(plan?.changes, ['Cluster team-a/demo: spec.paused true → false']);
    assert.deepEqual(plan?.machines, ['no Machine changes; the controllers reconcile again and carry out whatever changed while paused']);
    assert.equal(plan?.guards[0], "paused by spec.paused, not by clusterctl move's cluster.x-k8s.io/paused");
    assert.match(text, /^dry run of resume_cluster: nothing applied, no operation started\n/);
    assert.ok(resumeCluster.outputSchema.safeParse(structured).success);
  });

  it('refuses what the real call refuses: a cluster clusterctl move paused; nothing written or started', async () => {
    const { deps, kube, workflows } = fakeToolDeps({ kube: new FakeKube().add(annotated(withPaused(true), { [moving]: '' })) });
    assert.equal((await refusal(callTool(resumeCluster, { ...args, dry_run: true }, deps))).message, `cannot resume cluster team-a/demo: ${annotationProblem}`);
    assert.deepEqual([kube.calls.filter((c) => c.verb === 'apply'), kube.writes(), workflows.starts], [[], [], []], 'not even a dry-run apply');
  });
});
