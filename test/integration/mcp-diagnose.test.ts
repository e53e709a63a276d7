/**
 * diagnose_cluster through a real MCP client on the test sandbox: faults injected for real into clusters of
 * the in-memory ClusterClass that the real controllers run, each diagnosed until its exact top finding and
 * next step, then fixed. Each case reports (t.diagnostic) the o200k tokens of the answer's text and the time
 * from the injection to the first correct diagnosis: the numbers issue 14 asks for.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { getEncoding } from 'js-tiktoken';
import { KubeConfig, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { inMemoryClusterClass } from '../../sandbox/recipe.ts';
import { clusterObjects, inMemoryCreateArgs, isAvailable, provisionedCluster, topologyCluster } from '../support/clusters.ts';
import { connectV2, startTestServer, textOf, type TestClient } from '../support/mcp.ts';
import { useNamespace } from '../support/sandbox.ts';
import { eventually } from '../support/wait.ts';
import { followOperation } from '../support/operations.ts';

const ns = await useNamespace('mcp-diag', { withClusterClass: true });
const url = await startTestServer();
let client: TestClient;
after(() => client?.close());

const encoder = getEncoding('o200k_base');
const clusterRef = (name: string) => ({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name, namespace: ns.name } });
const mergePatch = (o: object) => ns.objects.patch(o as never, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch);

interface Answer {
  readonly structured: any;
  readonly text: string;
}

async function diagnose(name: string): Promise<Answer> {
  const result = await client.callTool({ name: 'diagnose_cluster', arguments: { namespace: ns.name, name } });
  assert.equal(result.isError, undefined, textOf(result));
  return { structured: result.structuredContent, text: textOf(result) };
}

/**
 * Diagnoses `name` until its top finding satisfies `holds`; reports the answer's tokens and the seconds since
 * `injectedAt` as the test's diagnostics.
 */
async function diagnosedAs(t: TestContext, name: string, injectedAt: number, holds: (top: any) => boolean, timeoutMs = 240_000): Promise<Answer> {
  const answer = await eventually(`a diagnosis of ${name}`, async () => {
    const a = await diagnose(name);
    const top = a.structured.findings[0];
    return { done: top !== undefined && holds(top), value: a, seen: a.text };
  }, { timeoutMs, intervalMs: 1000 });
  const seconds = (Date.now() - injectedAt) / 1000;
  t.diagnostic(`top finding: ${answer.structured.findings[0].cause}: ${answer.structured.findings[0].summary}`);
  t.diagnostic(`answer: ${encoder.encode(answer.text).length} o200k tokens of text; ${seconds.toFixed(1)} s from injection to this diagnosis`);
  return answer;
}

/** Until the cluster has no findings again. */
function recovered(name: string, timeoutMs = 300_000): Promise<Answer> {
  return eventually(`${name} without findings`, async () => {
    const a = await diagnose(name);
    return { done: a.structured.available === true && a.structured.findings.length === 0, value: a, seen: a.text };
  }, { timeoutMs, intervalMs: 2000 });
}

/** A client of the workload cluster's own API server (the in-memory provider's), from CAPI's kubeconfig Secret. */
async function workloadObjects(name: string): Promise<KubernetesObjectApi> {
  const secret = await ns.core.readNamespacedSecret({ name: `${name}-kubeconfig`, namespace: ns.name });
  const kc = new KubeConfig();
  kc.loadFromString(Buffer.from(secret.data!.value!, 'base64').toString('utf8'));
  return KubernetesObjectApi.makeApiClient(kc);
}

// Every cluster is created at once: provisioning is what takes time here.
const names = { healthy: 'dx-main', deleting: 'dx-fin', remediated: 'dx-mhc', unreachable: 'dx-api' } as const;
let provisioned: Promise<unknown>;
before(async () => {
  client ??= await connectV2(url);
  const mhc = topologyCluster(ns.name, names.remediated, 1);
  // Note: the class's worker health check waits 300 s; this cluster's waits 30 s for a NotReady Node.
  mhc.spec.topology.workers.machineDeployments[0].healthCheck = {
    checks: { unhealthyNodeConditions: [{ type: 'Ready', status: 'False', timeoutSeconds: 30 }] },
  };
  provisioned = Promise.all([
    createdThroughMcp(names.healthy),
    provisionedCluster(ns, names.deleting, 1),
    ns.objects.create(mhc).then(() => provisionedClusterAlreadyCreated(names.remediated)),
    provisionedCluster(ns, names.unreachable, 0),
  ]);
  provisioned.catch(() => undefined);
});

/**
 * A cluster create_cluster made and followed to SUCCEEDED. Note: upgrade_cluster takes no field another
 * manager applied, so the cluster it upgrades is one capi-mcp created.
 */
async function createdThroughMcp(name: string) {
  await untilSucceeded(await client.callTool({ name: 'create_cluster', arguments: inMemoryCreateArgs(ns.name, name) }));
}

/** Follows the operation a tool call started until it ends, which must be SUCCEEDED. */
async function untilSucceeded(started: any) {
  assert.equal(started.isError, undefined, textOf(started));
  const done = await followOperation(client, started.structuredContent.operation_id);
  assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
}

async function provisionedClusterAlreadyCreated(name: string) {
  return eventually(`cluster ${name} Available`, async () => {
    const c: any = await ns.objects.read(clusterRef(name));
    return { done: isAvailable(c) && c.status?.workers?.readyReplicas === 1, value: c, seen: `phase=${c.status?.phase}` };
  });
}

// Note: each fault has a cluster of its own and runs beside the others; only the three on the cluster
// create_cluster made (healthy, paused, version skew) take turns.
describe('diagnose_cluster on faults injected into the sandbox', { concurrency: true }, () => {
  before(async () => {
    await provisioned;
  });

  describe(`on ${names.healthy}, one fault after another`, { concurrency: false }, () => {
    it('(a) finds nothing wrong with a healthy cluster', async (t) => {
      const a = await recovered(names.healthy);
      assert.deepEqual(a.structured.findings, []);
      assert.equal(a.text, `${ns.name}/${names.healthy}: Available, no findings`);
      t.diagnostic(`answer: ${encoder.encode(a.text).length} o200k tokens of text`);
    });

    it('(b) names a cluster pause_cluster paused first, with resume_cluster as the next step, and nothing once resumed by it', async (t) => {
      const at = Date.now();
      await untilSucceeded(await client.callTool({ name: 'pause_cluster', arguments: { namespace: ns.name, name: names.healthy } }));
      const { structured } = await diagnosedAs(t, names.healthy, at, (top) => top.cause === 'paused');
      const [top] = structured.findings;
      assert.equal(top.severity, 'warning');
      assert.deepEqual(top.evidence[0].object, `Cluster/${names.healthy}`);
      assert.deepEqual(top.next.step, 'resume-cluster');
      assert.deepEqual(top.next.args, { namespace: ns.name, name: names.healthy });
      assert.equal(top.next.text, `call resume_cluster with namespace=${ns.name} name=${names.healthy} if the pause is over (ask whoever paused it)`);
      // The fix is the next step, as an agent takes it.
      await untilSucceeded(await client.callTool({ name: 'resume_cluster', arguments: top.next.args }));
      await recovered(names.healthy);
    });

    it('(e) names the workers lagging the control plane during an upgrade started through MCP, then nothing once they follow', async (t) => {
      // The worker pool's upgrade is deferred (CAPI's defer-upgrade annotation), so the skew lasts until it is lifted.
      const cluster: any = await ns.objects.read(clusterRef(names.healthy));
      const pools = cluster.spec.topology.workers.machineDeployments.map((md: any) => ({ ...md, metadata: { annotations: { 'topology.cluster.x-k8s.io/defer-upgrade': '' } } }));
      await mergePatch({ ...clusterRef(names.healthy), spec: { topology: { workers: { machineDeployments: pools } } } });
      const at = Date.now();
      const started = await client.callTool({ name: 'upgrade_cluster', arguments: { namespace: ns.name, name: names.healthy, kubernetes_version: 'v1.35.1' } });
      assert.equal(started.isError, undefined, textOf(started));
      const { structured } = await diagnosedAs(t, names.healthy, at, (top) => top.cause === 'version-skew', 400_000);
      const [top] = structured.findings;
      assert.equal(top.severity, 'info');
      assert.match(top.summary, new RegExp(`^workers at ${inMemoryClusterClass.kubernetesVersion} \\(MachineDeployment/${names.healthy}-md-0-[a-z0-9]+\\), control plane at v1\\.35\\.1: upgrade in progress$`));
      assert.deepEqual(top.next, {
        step: 'follow-upgrade',
        args: { namespace: ns.name, name: names.healthy },
        text: `call get_cluster with namespace=${ns.name} name=${names.healthy} to follow the upgrade: the worker pools follow the control plane`,
      });
      const lifted = pools.map((md: any) => ({ ...md, metadata: { annotations: {} } }));
      await mergePatch({ ...clusterRef(names.healthy), spec: { topology: { workers: { machineDeployments: lifted } } } });
      const done = await eventually('the upgrade operation to end', async () => {
        const r = await client.callTool({ name: 'get_operation', arguments: { operation_id: started.structuredContent.operation_id } });
        return { done: r.structuredContent.status !== 'RUNNING', value: r.structuredContent, seen: textOf(r) };
      }, { timeoutMs: 400_000, intervalMs: 2000 });
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
      await recovered(names.healthy);
    });
  });

  it('(c) names the finalizer holding a deletion and the object it holds, then lets the cluster go once it is removed', async (t) => {
    const finalizer = 'capi-mcp.io/diagnose-test-hold';
    const [worker] = await clusterObjects(ns, 'Machine', names.deleting).then((ms) => ms.filter((m: any) => m.metadata.labels['cluster.x-k8s.io/deployment-name']));
    assert.ok(worker, 'the cluster has a worker Machine');
    const machineRef = { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Machine', metadata: { name: worker.metadata!.name!, namespace: ns.name } };
    await mergePatch({ ...machineRef, metadata: { ...machineRef.metadata, finalizers: [...(worker.metadata!.finalizers ?? []), finalizer] } });
    const at = Date.now();
    await ns.objects.delete(clusterRef(names.deleting) as never);
    try {
      // Its infrastructure (DevMachine) and CAPI's own finalizer go first; then only the test's finalizer holds the Machine.
      const held = new RegExp(`^deleting Machine/${worker.metadata!.name}( for \\d+[smh])?, held by finalizer ${finalizer}$`);
      const { structured } = await diagnosedAs(t, names.deleting, at, (top) => top.cause === 'deleting' && held.test(top.summary));
      const [top] = structured.findings;
      assert.equal(structured.findings.length, 1, 'a deleting cluster explains everything else');
      assert.deepEqual(top.next, {
        step: 'follow-deletion',
        args: { namespace: ns.name, name: names.deleting },
        text: `call get_cluster with namespace=${ns.name} name=${names.deleting} to follow the deletion`,
      });
    } finally {
      await mergePatch({ ...machineRef, metadata: { ...machineRef.metadata, finalizers: null } });
    }
    await eventually(`cluster ${names.deleting} gone`, async () => {
      const r = await client.callTool({ name: 'diagnose_cluster', arguments: { namespace: ns.name, name: names.deleting } });
      return { done: r.isError === true && /NotFound/.test(textOf(r)), value: undefined, seen: textOf(r) };
    }, { timeoutMs: 180_000, intervalMs: 2000 });
  });

  it('(d) names the ClusterClass patch that keeps the topology from reconciling, then nothing of it once the patch is fixed', async (t) => {
    const base: any = await ns.objects.read({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'ClusterClass', metadata: { name: 'in-memory', namespace: ns.name } });
    const badPatch = {
      name: 'set-missing-field',
      definitions: [
        {
          selector: { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2', kind: 'DevClusterTemplate', matchResources: { infrastructureCluster: true } },
          // A replace of a field the template does not have: the API server accepts it, only the topology controller fails.
          jsonPatches: [{ op: 'replace', path: '/spec/template/spec/doesNotExist', value: 'x' }],
        },
      ],
    };
    await ns.objects.create({ apiVersion: base.apiVersion, kind: 'ClusterClass', metadata: { name: 'in-memory-bad', namespace: ns.name }, spec: { ...base.spec, patches: [badPatch] } } as never);
    const cluster = topologyCluster(ns.name, 'dx-topo', 1);
    cluster.spec.topology.classRef.name = 'in-memory-bad';
    const at = Date.now();
    await ns.objects.create(cluster);
    const { structured } = await diagnosedAs(t, 'dx-topo', at, (top) => top.cause === 'topology-not-reconciled');
    const [top] = structured.findings;
    assert.match(top.summary, /\(patch "set-missing-field"\)/);
    assert.deepEqual(top.next.step, 'fix-topology');
    assert.deepEqual(top.next.args, { namespace: ns.name, name: 'dx-topo', patch: 'set-missing-field' });
    assert.equal(top.next.text, `fix patch "set-missing-field" of its ClusterClass, then call get_cluster with namespace=${ns.name} name=dx-topo`);
    // The fix: the class without the broken patch.
    await mergePatch({ apiVersion: base.apiVersion, kind: 'ClusterClass', metadata: { name: 'in-memory-bad', namespace: ns.name }, spec: { patches: null } });
    await eventually('the topology finding to go', async () => {
      const a = await diagnose('dx-topo');
      return { done: !a.structured.findings.some((f: any) => f.cause === 'topology-not-reconciled'), value: a, seen: a.text };
    }, { timeoutMs: 180_000, intervalMs: 2000 });
  });

  it('(g) names a NotReady workload Node, then follows the MachineHealthCheck replacing its Machine until nothing is wrong', async (t) => {
    const [machine] = await clusterObjects(ns, 'Machine', names.remediated).then((ms) => ms.filter((m: any) => m.metadata.labels['cluster.x-k8s.io/deployment-name']));
    const nodeName = machine!.status.nodeRef.name;
    const workload = await workloadObjects(names.remediated);
    const now = new Date().toISOString();
    const at = Date.now();
    // The in-memory API server keeps what it is sent (no kubelet posts status): the Node stays NotReady.
    await workload.patch(
      {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: nodeName },
        status: { conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'capi-mcp test: kubelet stopped posting node status', lastTransitionTime: now, lastHeartbeatTime: now }] },
      } as never,
      undefined, undefined, undefined, undefined, PatchStrategy.MergePatch,
    );
    const before = await diagnosedAs(t, names.remediated, at, (top) => top.cause === 'node-not-ready' || top.cause === 'machine-remediating', 120_000);
    const [top] = before.structured.findings;
    if (top.cause === 'node-not-ready') {
      assert.equal(top.evidence[0].object, `Node/${nodeName}`);
      assert.equal(top.evidence[0].condition, 'Ready');
      assert.deepEqual(top.next.args, { namespace: ns.name, name: names.remediated, node: nodeName, machine: machine!.metadata!.name });
      assert.equal(
        top.next.text,
        `call get_cluster_nodes with namespace=${ns.name} name=${names.remediated} and look at Node ${nodeName}; if it does not recover, call remediate_machine with namespace=${ns.name} name=${names.remediated} machine=${machine!.metadata!.name}`,
      );
    }
    // During: the health check flags the Machine and its MachineSet replaces it.
    const seen = new Set<string>();
    await eventually(`Machine ${machine!.metadata!.name} replaced`, async () => {
      const a = await diagnose(names.remediated);
      for (const f of a.structured.findings) seen.add(f.cause);
      const machines = await clusterObjects(ns, 'Machine', names.remediated);
      const replaced = !machines.some((m) => m.metadata!.name === machine!.metadata!.name);
      return { done: replaced, value: undefined, seen: a.text };
    }, { timeoutMs: 240_000, intervalMs: 500 });
    t.diagnostic(`causes seen while remediating: ${[...seen].join(', ') || 'none'}`);
    const after = await recovered(names.remediated);
    t.diagnostic(`recovered ${((Date.now() - at) / 1000).toFixed(1)} s after the injection`);
    assert.deepEqual(after.structured.findings, []);
  });

  it('(f) names an unreachable workload API server first when its only API server is gone', async (t) => {
    // The in-memory provider serves a cluster's API server while a control-plane DevMachine holds it: deleting
    // the only one stops the listener, so CAPI's probe (and capi-mcp's Node LIST) meet a closed port.
    const [cp] = await clusterObjects(ns, 'Machine', names.unreachable);
    const infraRef = cp!.spec.infrastructureRef;
    const at = Date.now();
    await ns.objects.delete({ apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2', kind: infraRef.kind, metadata: { name: infraRef.name, namespace: ns.name } } as never);
    const { structured, text } = await diagnosedAs(t, names.unreachable, at, (top) => top.cause === 'workload-api-unreachable', 300_000);
    const [top] = structured.findings;
    assert.equal(top.evidence[0].condition, 'RemoteConnectionProbe');
    assert.deepEqual(top.next, {
      step: 'check-workload-api',
      args: { namespace: ns.name, name: names.unreachable },
      text: `check the workload API server of ${ns.name}/${names.unreachable}: its spec.controlPlaneEndpoint and load balancer; call get_cluster_nodes to test it`,
    });
    assert.match(text, /^1\. error workload-api-unreachable: workload API server unreachable/m);
  });
});
