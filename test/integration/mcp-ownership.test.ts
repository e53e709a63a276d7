/**
 * Changes respect the cluster's owners, through a real MCP client against the test sandbox:
 * - a cluster labelled capi-mcp.io/prevent-deletion keeps its pools (no scale to zero), one GitOps
 *   manages takes no destructive change at all (scale-down, upgrade), and nothing is changed;
 * - server-side apply takes no field from another field manager: a replica count someone else applied
 *   (kubectl --server-side --field-manager=someone-else) is reported as a Conflict naming them and the
 *   field, the Cluster unchanged; what capi-mcp's own create applied, its scale and upgrade still change;
 * - create_cluster refuses label keys that steer controllers.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { inMemoryCreateArgs, isAvailable, topologyCluster } from '../support/clusters.ts';
import { connectV2, startTestServer, textOf, type TestClient } from '../support/mcp.ts';
import { testSandbox, useNamespace } from '../support/sandbox.ts';
import { eventually, settled } from '../support/wait.ts';

const ns = await useNamespace('owners', { withClusterClass: true });
const url = await startTestServer();
let client: TestClient;
before(async () => {
  client = await connectV2(url);
});
after(() => client.close());

const readCluster = async (name: string): Promise<any> =>
  ns.objects.read({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name, namespace: ns.name } });

/**
 * What a refused change must leave as it was: the topology, and each capi-mcp manager's entry as an apply
 * of its own would change it — its time and the spec fields it holds. Note: not the entry's metadata part:
 * a controller's write rewrites that without capi-mcp doing anything (the topology controller labelling the
 * Cluster drops an empty labels map from capi-mcp-create's fields), and on a loaded machine it comes late,
 * inside the refused call's window (seen in CI).
 */
const snapshot = async (name: string) => {
  const c = await readCluster(name);
  const capiMcp = c.metadata.managedFields
    .filter((f: any) => f.manager.startsWith('capi-mcp-'))
    .map((f: any) => ({ manager: f.manager, operation: f.operation, time: f.time, spec: f.fieldsV1?.['f:spec'] }));
  return { topology: c.spec.topology, capiMcp };
};

/** The snapshot once the controllers have stopped writing the Cluster, so one write of theirs is not inside a refused call's window. */
const settledSnapshot = (name: string) => settled(`Cluster ${name}`, () => snapshot(name));

/** `kubectl apply --server-side` of `manifest` as field manager `manager`. */
async function kubectlApply(manifest: object, manager: string, ...flags: string[]) {
  const child = promisify(execFile)('kubectl', ['--kubeconfig', testSandbox().paths.kubeconfig, 'apply', '--server-side', `--field-manager=${manager}`, ...flags, '-f', '-']);
  child.child.stdin!.end(JSON.stringify(manifest));
  await child;
}

const scale = (name: string, replicas: number) => client.callTool({ name: 'scale_cluster', arguments: { namespace: ns.name, name, worker_pools: [{ name: 'md-0', replicas }] } });
const upgrade = (name: string, kubernetes_version: string) => client.callTool({ name: 'upgrade_cluster', arguments: { namespace: ns.name, name, kubernetes_version } });

describe('clusters their owners protect', () => {
  /** A topology Cluster with 2 workers; the guard reads its spec, so the test does not wait for machines. */
  async function protectedCluster(name: string, labels: Record<string, string>) {
    const manifest: any = topologyCluster(ns.name, name, 2);
    manifest.metadata.labels = labels;
    await ns.objects.create(manifest);
  }

  const cases: [string, Record<string, string>, string, () => Promise<any>, RegExp][] = [
    ['prevent-deletion refuses scaling a pool to zero', { 'capi-mcp.io/prevent-deletion': 'true' }, 'keep-zero', () => scale('keep-zero', 0), /Forbidden: refusing to scale cluster .*keep-zero: it carries the label capi-mcp\.io\/prevent-deletion=true, and worker pool "md-0" from 2 to 0 would delete every machine/],
    ['a Flux label refuses scaling to zero', { 'kustomize.toolkit.fluxcd.io/name': 'fleet' }, 'flux-zero', () => scale('flux-zero', 0), /Forbidden: refusing to scale cluster .*flux-zero: it is managed by Flux \(Kustomization\) .*scaling down worker pool "md-0" from 2 to 0 is a destructive change: make it in its Git source/],
    ['a Flux label refuses a scale-down that leaves machines', { 'kustomize.toolkit.fluxcd.io/name': 'fleet' }, 'flux-down', () => scale('flux-down', 1), /Forbidden: .*managed by Flux \(Kustomization\).*worker pool "md-0" from 2 to 1/],
    ['an Argo CD instance label refuses an upgrade', { 'argocd.argoproj.io/instance': 'fleet' }, 'argo-up', () => upgrade('argo-up', 'v1.35.1'), /Forbidden: refusing to upgrade cluster .*argo-up: it is managed by Argo CD .*the upgrade from v1\.35\.0 to v1\.35\.1/],
  ];
  for (const [what, labels, name, act, reason] of cases) {
    it(`${what}, changing nothing`, async () => {
      await protectedCluster(name, labels);
      const before = await settledSnapshot(name);
      const result = await act();
      assert.equal(result.isError, true, textOf(result));
      assert.match(textOf(result), reason);
      assert.match(textOf(result), /Git source|remove the label/, 'says what to do instead');
      assert.deepEqual(await snapshot(name), before);
    });
  }
});

describe('server-side apply and other field managers', () => {
  const name = 'shared';
  before(async () => {
    const created = await client.callTool({ name: 'create_cluster', arguments: inMemoryCreateArgs(ns.name, name) });
    assert.equal(created.isError, undefined, textOf(created));
    await eventually(`cluster ${name} applied`, async () => {
      const c = await readCluster(name).catch(() => undefined);
      return { done: Boolean(c), value: undefined, seen: 'not yet' };
    }, { timeoutMs: 60_000 });
  });

  it("a scale after capi-mcp's own create takes the replica count the create set", async () => {
    const result = await scale(name, 2);
    assert.equal(result.isError, undefined, textOf(result));
    const c = await eventually('the scale applied', async () => {
      const cluster = await readCluster(name);
      return { done: cluster.spec.topology.workers.machineDeployments[0].replicas === 2, value: cluster, seen: JSON.stringify(cluster.spec.topology.workers) };
    }, { timeoutMs: 60_000 });
    assert.ok(c.metadata.managedFields.some((f: any) => f.manager === 'capi-mcp-scale'), 'applied as capi-mcp-scale');
    await client.callTool({ name: 'cancel_operation', arguments: { operation_id: result.structuredContent.operation_id } });
  });

  it('a replica count another manager applied is reported as a Conflict naming it and the field, the Cluster unchanged', async () => {
    // Someone takes the count over, as a person with kubectl or a GitOps controller would.
    await kubectlApply(
      { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name, namespace: ns.name }, spec: { topology: { workers: { machineDeployments: [{ class: 'default-worker', name: 'md-0', replicas: 2 }] } } } },
      'someone-else',
      '--force-conflicts',
    );
    const before = await settledSnapshot(name);
    assert.ok((await readCluster(name)).metadata.managedFields.some((f: any) => f.manager === 'someone-else'));
    const result = await scale(name, 3);
    assert.equal(result.isError, true, textOf(result));
    assert.match(textOf(result), /Conflict: the API server rejected the scale of cluster .*shared: failed to validate Cluster .*shared: field manager "someone-else" owns \.spec\.topology\.workers\.machineDeployments\[name="md-0"\]\.replicas/);
    assert.match(textOf(result), /nothing was changed/);
    assert.deepEqual(await snapshot(name), before);
  });

  it("an upgrade still takes the version capi-mcp's own create set", async () => {
    // CAPI refuses a version change while the control plane is still provisioning.
    await eventually(`cluster ${name} Available`, async () => {
      const c = await readCluster(name);
      return { done: isAvailable(c), value: undefined, seen: `phase=${c.status?.phase}` };
    }, { timeoutMs: 300_000, intervalMs: 2000 });
    const result = await upgrade(name, 'v1.35.1');
    assert.equal(result.isError, undefined, textOf(result));
    await eventually('the upgrade applied', async () => {
      const cluster = await readCluster(name);
      return { done: cluster.spec.topology.version === 'v1.35.1', value: undefined, seen: cluster.spec.topology.version };
    }, { timeoutMs: 60_000 });
    await client.callTool({ name: 'cancel_operation', arguments: { operation_id: result.structuredContent.operation_id } });
  });
});

describe('create_cluster and reserved label keys', () => {
  const reserved: [string, Record<string, string>, RegExp][] = [
    ['capi-mcp’s own prevent-deletion', { 'capi-mcp.io/prevent-deletion': 'false' }, /label "capi-mcp\.io\/prevent-deletion": capi-mcp\.io keys are capi-mcp’s own/],
    ['a Cluster API key', { 'cluster.x-k8s.io/cluster-name': 'other' }, /label "cluster\.x-k8s\.io\/cluster-name": x-k8s\.io keys belong to Cluster API/],
    ['a topology controller key', { 'topology.cluster.x-k8s.io/owned': '' }, /label "topology\.cluster\.x-k8s\.io\/owned"/],
    ['Argo CD’s default tracking label', { 'app.kubernetes.io/instance': 'fleet' }, /label "app\.kubernetes\.io\/instance": kubernetes\.io keys/],
    ['a k8s.io key', { 'sigs.k8s.io/x': 'y' }, /label "sigs\.k8s\.io\/x"/],
    ['a Flux marker', { 'kustomize.toolkit.fluxcd.io/name': 'x' }, /Flux/],
    ['the quick start’s CNI add-on selector', { cni: 'calico' }, /label "cni": .*ClusterResourceSet/],
  ];
  for (const [what, labels, reason] of reserved) {
    it(`refuses ${what}, creating nothing`, async () => {
      const name = `lbl-${what.replace(/[^a-z]+/gi, '-').toLowerCase()}`.slice(0, 40).replace(/-$/, '');
      const result = await client.callTool({ name: 'create_cluster', arguments: inMemoryCreateArgs(ns.name, name, { labels: { team: 'a', ...labels } }) });
      assert.equal(result.isError, true, textOf(result));
      assert.match(textOf(result), /InvalidInput: invalid cluster/);
      assert.match(textOf(result), reason);
      assert.equal(await readCluster(name).then(() => true, () => false), false);
    });
  }
});
