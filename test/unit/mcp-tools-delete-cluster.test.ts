/**
 * delete_cluster (shared/mcp/tools/delete-cluster.ts) against a fake management cluster: the name given
 * twice, the owners' guard (prevent-deletion, GitOps), a dry-run DELETE and nothing else, the operation
 * pinned to the UID of the Cluster judged, and a running delete joined.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../shared/errors.ts';
import { deleteCluster } from '../../shared/mcp/tools/delete-cluster.ts';
import { annotated, apiFailure, assertRefusal, callTool, FakeKube, fakeToolDeps, labelled, topologyCluster, refusal } from '../support/fake-kube.ts';
import { fakeMachine } from '../support/fake-machines.ts';

const args = { namespace: 'team-a', name: 'demo', confirm: 'demo' };

function world(cluster = topologyCluster()) {
  return fakeToolDeps({ kube: new FakeKube().add(cluster) });
}

interface RefusalCase {
  readonly name: string;
  readonly args?: Record<string, unknown>;
  readonly cluster?: ReturnType<typeof topologyCluster>;
  readonly prepare?: (kube: FakeKube) => void;
  readonly expect: { readonly code: ErrorCode; readonly message: string | RegExp; readonly hint?: string | RegExp };
  /** Whether the API server was asked anything at all. */
  readonly calls?: readonly string[];
}

const refusals: RefusalCase[] = [
  {
    name: 'a confirm that is not the name, before asking the API server anything',
    args: { ...args, confirm: 'dem' },
    expect: { code: ErrorCode.InvalidInput, message: 'confirm must equal the cluster name "demo"', hint: 'ask the user to confirm the deletion, then pass confirm with the exact name' },
    calls: [],
  },
  {
    name: 'a cluster that does not exist',
    args: { ...args, name: 'gone', confirm: 'gone' },
    expect: { code: ErrorCode.NotFound, message: 'cluster team-a/gone not found' },
    calls: ['get Cluster/gone'],
  },
  {
    name: 'a cluster labelled capi-mcp.io/prevent-deletion=true, without a dry run',
    cluster: labelled(topologyCluster(), { 'capi-mcp.io/prevent-deletion': 'true' }),
    expect: {
      code: ErrorCode.Forbidden,
      message: 'refusing to delete cluster team-a/demo: it carries the label capi-mcp.io/prevent-deletion=true; remove the label first if the deletion is intended',
      hint: 'remove the label capi-mcp.io/prevent-deletion from Cluster demo first, if the user intends it',
    },
    calls: ['get Cluster/demo'],
  },
  {
    name: 'a cluster annotated capi-mcp.io/prevent-deletion=TRUE (any case)',
    cluster: annotated(topologyCluster(), { 'capi-mcp.io/prevent-deletion': 'TRUE' }),
    expect: { code: ErrorCode.Forbidden, message: /carries the label capi-mcp\.io\/prevent-deletion=true/ },
  },
  {
    name: 'a cluster Flux manages, pointing to its Git source',
    cluster: labelled(topologyCluster(), { 'kustomize.toolkit.fluxcd.io/name': 'clusters' }),
    expect: {
      code: ErrorCode.Forbidden,
      message: 'refusing to delete cluster team-a/demo: it is managed by Flux (Kustomization) (label kustomize.toolkit.fluxcd.io/name=clusters); delete it from its Git source instead',
      hint: 'remove the cluster from the Git source Flux (Kustomization) applies',
    },
  },
  {
    name: 'a cluster Argo CD tracks, with a long marker value cut',
    cluster: annotated(topologyCluster(), { 'argocd.argoproj.io/tracking-id': `app:cluster.x-k8s.io/Cluster:team-a/${'x'.repeat(200)}` }),
    expect: { code: ErrorCode.Forbidden, message: /^refusing to delete cluster team-a\/demo: it is managed by Argo CD \(annotation argocd\.argoproj\.io\/tracking-id=app:cluster\.x-k8s\.io\/Cluster:team-a\/x{44}…\)/ },
  },
  {
    name: 'a deletion the identity may not make, found by the dry-run DELETE',
    prepare: (kube) => kube.failOn({ verb: 'delete', dryRun: true }, apiFailure('validate the deletion of Cluster team-a/demo', 403, { message: 'clusters.cluster.x-k8s.io "demo" is forbidden' })),
    expect: { code: ErrorCode.Forbidden, message: 'the API server refused the deletion of cluster team-a/demo: failed to validate the deletion of Cluster team-a/demo: clusters.cluster.x-k8s.io "demo" is forbidden' },
  },
];

describe('delete_cluster', () => {
  for (const c of refusals) {
    it(`refuses ${c.name}, deleting and starting nothing`, async () => {
      // Prepare
      const { deps, kube, workflows } = world(c.cluster);
      c.prepare?.(kube);

      // Act
      const error = await refusal(callTool(deleteCluster, c.args ?? args, deps));

      // Assess
      assertRefusal(error, c.expect);
      if (c.calls) assert.deepEqual(kube.transcript(), c.calls);
      assert.deepEqual(kube.writes(), [], 'nothing deleted');
      assert.deepEqual(workflows.starts, [], 'nothing started');
    });
  }

  it('allows a cluster whose prevent-deletion label is "false"', async () => {
    const { deps, workflows } = world(labelled(topologyCluster(), { 'capi-mcp.io/prevent-deletion': 'false' }));
    await callTool(deleteCluster, args, deps);
    assert.equal(workflows.starts.length, 1);
  });

  it('dry-runs the DELETE only, then starts an operation pinned to the UID of the Cluster it judged', async () => {
    // Prepare
    const { deps, kube, workflows, operationsStarted } = world(topologyCluster({ uid: '0b7e5a52-4c1e-4b8e-9d0e-3f1a2b3c4d5e' }));

    // Act
    const { structured, text } = await callTool(deleteCluster, args, deps);

    // Assess
    assert.deepEqual(kube.transcript(), ['get Cluster/demo', 'delete Cluster team-a/demo (dry run)']);
    assert.deepEqual(kube.writes(), [], 'the workflow deletes, not the tool');
    assert.ok(kube.object('Cluster', 'team-a', 'demo'), 'the Cluster is still there');
    assert.equal(workflows.starts.length, 1);
    const { name, input } = workflows.starts[0]!;
    assert.match(name, /^delete_team-a_demo_[0-9a-f]{20}$/);
    assert.deepEqual(input, {
      operation: { action: 'delete', namespace: 'team-a', name: 'demo', uid: '0b7e5a52-4c1e-4b8e-9d0e-3f1a2b3c4d5e' },
      timeoutSeconds: 1800,
      pollSeconds: 5,
    });
    assert.equal(structured.operation_id, name);
    assert.equal(structured.action, 'delete');
    assert.match(text, /^operation delete_team-a_demo_\w+: delete team-a\/demo RUNNING at Apply 0s\nNext: call get_operation/);
    assert.deepEqual(operationsStarted, ['delete']);
  });

  it('joins the running delete of the same Cluster instead of starting a second one', async () => {
    // Prepare
    const { deps, kube, workflows } = world();
    const first = await callTool(deleteCluster, args, deps);
    const callsBefore = kube.calls.length;

    // Act
    const again = await callTool(deleteCluster, args, deps);

    // Assess
    assert.equal(again.structured.operation_id, first.structured.operation_id);
    assert.equal(workflows.starts.length, 1);
    assert.deepEqual(kube.transcript().slice(callsBefore), ['get Cluster/demo'], 'no second dry run');
  });

  it('starts a new operation for a Cluster re-created under the same name (another UID)', async () => {
    // Prepare
    const { deps, kube, workflows } = world(topologyCluster({ uid: 'aaaa-0001' }));
    const first = await callTool(deleteCluster, args, deps);
    kube.add(topologyCluster({ uid: 'bbbb-0002' }));

    // Act
    const second = await callTool(deleteCluster, args, deps);

    // Assess
    assert.notEqual(second.structured.operation_id, first.structured.operation_id);
    assert.deepEqual(workflows.starts.map((s) => s.input.operation.uid), ['aaaa-0001', 'bbbb-0002']);
  });
});

describe('delete_cluster with dry_run', () => {
  it('judges and dry-runs the DELETE as the real call does, then names every Machine that goes; nothing deleted or started', async () => {
    // Prepare
    const machines = [fakeMachine('demo-md-0-a'), fakeMachine('demo-cp-1', { pool: 'control plane' }), fakeMachine('other-md-0-a', { cluster: 'other' })];
    const { deps, kube, workflows } = fakeToolDeps({ kube: new FakeKube().add(topologyCluster(), ...machines) });

    // Act
    const { structured, text } = await callTool(deleteCluster, { ...args, dry_run: true }, deps);

    // Assess
    assert.deepEqual(kube.transcript(), ['get Cluster/demo', 'delete Cluster team-a/demo (dry run)', 'list Machine']);
    assert.deepEqual([kube.writes(), workflows.starts, workflows.describes], [[], [], []]);
    const plan = (structured as { plan?: { changes: string[]; machines: string[]; removed?: string[]; guards: string[]; call: string } }).plan;
    assert.deepEqual(plan?.removed, ['demo-cp-1', 'demo-md-0-a']);
    assert.deepEqual(plan?.changes, ['Cluster team-a/demo: deleted, with everything Cluster API created for it']);
    assert.ok(plan?.guards.some((g) => /confirm equals the name/.test(g)));
    assert.equal(plan?.call, 'delete_cluster {"namespace":"team-a","name":"demo","confirm":"demo","timeout_seconds":1800} without dry_run');
    assert.match(text, /machines:\n  delete demo-cp-1 \(control plane\)\n  delete demo-md-0-a \(md-0\)\n/);
    assert.ok(deleteCluster.outputSchema.safeParse(structured).success);
  });

  it('refuses what the real call refuses: a cluster labelled prevent-deletion', async () => {
    const { deps, kube, workflows } = world(labelled(topologyCluster(), { 'capi-mcp.io/prevent-deletion': 'true' }));
    assert.equal((await refusal(callTool(deleteCluster, { ...args, dry_run: true }, deps))).code, ErrorCode.Forbidden);
    assert.deepEqual([kube.writes(), workflows.starts], [[], []]);
  });
});
