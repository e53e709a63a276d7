/**
 * The container's server (functions/container/main.ts, as `npm run build:container` bundles it) run as
 * the chart's pod runs it, against the sandbox: deploy/charts/capi-mcp rendered read-write by Helm, its
 * ServiceAccount and RBAC applied; a process with only the pod's environment — the API server's address as
 * Kubernetes sets it, a token minted for the chart's ServiceAccount and the CA as mounted files, the
 * environment the chart's Deployment sets with its volumes' mount paths moved to folders of the test (the
 * key Secret's file as the kubelet writes it, the executions volume) — and nothing of the test's (no
 * KUBECONFIG). Through a real MCP client it reads, creates, scales and deletes
 * a cluster, and is refused what the RBAC does not grant; its probes answer without a key; a SIGTERM
 * during a running operation drains and exits, and the next start resumes the operation to its end.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { appendFileSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { buildContainer } from '../../deploy/container/build.ts';
import { testApiKey, testAuthPaths } from '../support/auth.ts';
import { startBundle } from '../support/bundle.ts';
import { capturePaths, noteServing } from '../support/capture.ts';
import { callOk, closeWhenFileEnds, connectV2, modernRequest, textOf, type TestClient } from '../support/mcp.ts';
import { followOperation } from '../support/operations.ts';
import { adminKubeConfig, useNamespace } from '../support/sandbox.ts';
import { renderChart, theOne, type Rendered } from '../support/helm.ts';
import { kubectl, tokenFor } from '../support/service-account.ts';
import { eventually, seconds } from '../support/wait.ts';

const admin = adminKubeConfig();
const adminCore = admin.makeApiClient(CoreV1Api);
const ns = await useNamespace('pod', { withClusterClass: true });
const system = await useNamespace('pod-system');
const chart = await renderChart(`pod${ns.name.slice(-6)}`, system.name, { readOnly: false });
const deployment = theOne(chart, 'Deployment');
const identity = await applyIdentity(chart);
const entry = await buildContainer(mkdtempSync(join(tmpdir(), 'capi-mcp-container-')));
const mounts = await podVolumes(deployment);

/** The chart's ServiceAccount and RBAC, applied (removed when the file ends), and a token for the account. */
async function applyIdentity(objects: readonly Rendered[]) {
  const identityKinds = ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'RoleBinding'];
  const file = join(mkdtempSync(join(tmpdir(), 'capi-mcp-pod-rbac-')), 'identity.yaml');
  writeFileSync(file, objects.filter((o) => identityKinds.includes(o.kind)).map((o) => stringify(o)).join('---\n'));
  await kubectl('apply', '-f', file);
  after(() => kubectl('delete', '-f', file, '--ignore-not-found', '--wait=false'));
  return tokenFor({ name: theOne(objects, 'ServiceAccount').metadata.name, namespace: system.name }, "the chart's bindings");
}

/**
 * A folder per volume the Deployment mounts, as the kubelet fills it: the key Secret (the run's key
 * document stored as the Secret the chart names, as NOTES.txt says to create it, and each item written back
 * out as a file of its decoded value) and an empty executions volume.
 */
async function podVolumes(objects: Rendered): Promise<Map<string, string>> {
  const pod = objects.spec.template.spec;
  const folders = new Map<string, string>();
  for (const mount of pod.containers[0].volumeMounts as { name: string; mountPath: string }[]) {
    const volume = pod.volumes.find((v: { name: string }) => v.name === mount.name);
    const dir = mkdtempSync(join(tmpdir(), `capi-mcp-pod-${mount.name}-`));
    if (volume.secret) {
      const name = volume.secret.secretName;
      await adminCore.createNamespacedSecret({
        namespace: system.name,
        body: { metadata: { name }, type: 'Opaque', data: { 'api-keys.json': readFileSync(testAuthPaths.keyStore).toString('base64') } },
      });
      const stored = await adminCore.readNamespacedSecret({ namespace: system.name, name });
      for (const item of volume.secret.items as { key: string; path: string }[]) {
        writeFileSync(join(dir, item.path), Buffer.from(stored.data![item.key]!, 'base64'), { mode: volume.secret.defaultMode });
      }
    } else assert.ok(volume.persistentVolumeClaim, `volume ${mount.name}: a Secret or the executions claim`);
    folders.set(mount.mountPath, dir);
  }
  return folders;
}

/**
 * The pod's environment: what Kubernetes sets in every pod, and what the chart's Deployment sets, with each
 * path under a volume's mount path moved to that volume's folder here.
 */
function podEnv(serviceAccountDir: string): NodeJS.ProcessEnv {
  const { hostname, port } = new URL(admin.getCurrentCluster()!.server);
  const moved = (value: string) => {
    for (const [mountPath, dir] of mounts) if (value.startsWith(`${mountPath}/`) || value === mountPath) return dir + value.slice(mountPath.length);
    return value;
  };
  const fromChart = Object.fromEntries((deployment.spec.template.spec.containers[0].env as { name: string; value: string }[]).map((e) => [e.name, moved(e.value)]));
  return {
    PATH: process.env.PATH,
    KUBERNETES_SERVICE_HOST: hostname,
    KUBERNETES_SERVICE_PORT: port,
    ...fromChart,
    // In a pod, /var/run/secrets/kubernetes.io/serviceaccount (the default); the test's files live elsewhere.
    CAPI_MCP_SERVICE_ACCOUNT_DIR: serviceAccountDir,
    // A pod binds 0.0.0.0:8080; the test binds loopback and any free port, side by side with other runs.
    CAPI_MCP_HOST: '127.0.0.1',
    CAPI_MCP_PORT: '0',
  };
}

interface Pod {
  readonly process: ChildProcess;
  readonly base: URL;
  readonly url: URL;
  /** The JSON log lines it wrote so far. */
  readonly logs: Record<string, any>[];
  readonly exited: Promise<number | null>;
}

/** Starts the bundled server with `env` and waits until it serves; its output goes to the run's capture. */
async function startPod(env: NodeJS.ProcessEnv): Promise<Pod> {
  const running = await startBundle(entry, env, {
    started: (child) =>
      closeWhenFileEnds(() => {
        if (child.exitCode === null) child.kill('SIGKILL');
      }),
    output: (text) => appendFileSync(capturePaths().output, text),
  });
  noteServing('local adapter');
  const base = new URL(`http://127.0.0.1:${running.serving.port}`);
  return { process: running.process, base, url: new URL('/mcp', base), logs: running.logs, exited: running.exited };
}

const createArgs = (name: string) => ({
  namespace: ns.name,
  name,
  cluster_class: 'in-memory',
  kubernetes_version: 'v1.35.0',
  workers: [{ class: 'default-worker', name: 'md-0', replicas: 1 }],
});

describe("the container as the chart's pod runs it, as the chart's ServiceAccount", { concurrency: 1 }, () => {
  let pod: Pod;
  let client: TestClient;
  before(async () => {
    pod = await startPod(podEnv(identity.serviceAccountDir));
    client = await connectV2(pod.url);
  });
  after(() => client?.close());

  it('answers /healthz and /readyz without a key, with nothing but a status, and /mcp not without one', async () => {
    const health = await fetch(new URL('/healthz', pod.base));
    assert.deepEqual([health.status, await health.json()], [200, { status: 'ok' }]);
    // Note: polled, as a kubelet polls it: the first answer connects to the API server and discovers its
    // groups within a 3-s bound, which a loaded machine can overrun (503 then, and ready the next time).
    const ready = await eventually('/readyz to answer 200', async () => {
      const answer = await fetch(new URL('/readyz', pod.base));
      const value = [answer.status, await answer.json()];
      return { done: answer.status === 200, value, seen: JSON.stringify(value) };
    }, { timeoutMs: 60_000, intervalMs: 1000 });
    assert.deepEqual(ready, [200, { status: 'ready' }]);
    const mcp = await fetch(pod.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(mcp.status, 401);
  });

  it('manages the cluster it runs in: create, scale and delete through MCP, each followed to SUCCEEDED, and is refused what its RBAC does not grant', async (t) => {
    const name = 'pod-life';
    let t0 = Date.now();
    const created = await followOperation(client, (await callOk(client, 'create_cluster', createArgs(name))).structuredContent.operation_id);
    assert.equal(created.status, 'SUCCEEDED', JSON.stringify(created));
    t.diagnostic(`create → SUCCEEDED: ${seconds(Date.now() - t0)}`);
    // What the RBAC does not grant is refused: a workload cluster's kubeconfig Secret (no RoleBinding here).
    const refused = await client.callTool({ name: 'get_cluster_kubeconfig', arguments: { namespace: ns.name, name } });
    assert.equal(refused.isError, true);
    assert.match(textOf(refused), /cannot get resource "secrets"/);
    t0 = Date.now();
    const scaled = await followOperation(client, (await callOk(client, 'scale_cluster', { namespace: ns.name, name, worker_pools: [{ name: 'md-0', replicas: 2 }] })).structuredContent.operation_id);
    assert.equal(scaled.status, 'SUCCEEDED', JSON.stringify(scaled));
    t.diagnostic(`scale 1 → 2 → SUCCEEDED: ${seconds(Date.now() - t0)}`);
    const cluster: any = await ns.objects.read({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { namespace: ns.name, name } });
    assert.equal(cluster.spec.topology.workers.machineDeployments[0].replicas, 2);
    t0 = Date.now();
    const deleted = await followOperation(client, (await callOk(client, 'delete_cluster', { namespace: ns.name, name, confirm: name })).structuredContent.operation_id);
    assert.equal(deleted.status, 'SUCCEEDED', JSON.stringify(deleted));
    t.diagnostic(`delete → SUCCEEDED: ${seconds(Date.now() - t0)}`);
    const left = await ns.objects.list('cluster.x-k8s.io/v1beta2', 'Cluster', ns.name);
    assert.deepEqual(left.items.map((c) => c.metadata?.name), []);
  });

  it('on SIGTERM during a running operation finishes the request in flight, exits 0, and the next start resumes the operation to SUCCEEDED', async (t) => {
    const name = 'pod-restart';
    const started = await callOk(client, 'create_cluster', createArgs(name));
    const operation = started.structuredContent.operation_id;
    await eventually(`operation ${operation} past its Apply`, async () => {
      const view = (await callOk(client, 'get_operation', { operation_id: operation })).structuredContent;
      return { done: view.status === 'RUNNING' && view.current_step !== 'Apply', value: view, seen: JSON.stringify(view) };
    }, { timeoutMs: 60_000, intervalMs: 500 });
    await client.close();
    // A request in flight when the SIGTERM comes: half its body sent before, the rest after the drain began.
    // Note: ordered by events, not timers: the server's 100 Continue says it holds the request, and the
    // "draining" log line that the drain began.
    const { headers, body } = modernRequest(`Bearer ${testApiKey()}`, 'tools/call', { name: 'list_clusters', arguments: { namespace: ns.name } }, 'list_clusters');
    let restSentAt = 0;
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(pod.url, { method: 'POST', headers: { ...headers, expect: '100-continue' } }, (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      });
      req.on('error', reject);
      // A server that never sends 100 Continue (Node's sends it unless told otherwise) fails here, not at the test's timeout.
      const noContinue = setTimeout(() => reject(new Error('no 100 Continue within 30 s')), 30_000);
      req.on('continue', () => {
        clearTimeout(noContinue);
        req.write(body.slice(0, 40));
        pod.process.kill('SIGTERM');
        eventually('the pod to log "draining"', async () => ({ done: pod.logs.some((l) => l.message === 'draining'), value: undefined, seen: JSON.stringify(pod.logs.slice(-2)) }), { timeoutMs: 30_000, intervalMs: 20 }).then(() => {
          restSentAt = Date.now();
          req.end(body.slice(40));
        }, reject);
      });
      req.flushHeaders();
    });
    const finished = await answer;
    assert.equal(finished.status, 200, finished.text);
    assert.match(finished.text, new RegExp(`"result"`));
    assert.equal(await pod.exited, 0);
    const draining = pod.logs.find((l) => l.message === 'draining');
    assert.ok(draining && Date.parse(draining.timestamp) <= restSentAt, `the drain began (${draining?.timestamp}) before the request's body was all sent (${new Date(restSentAt).toISOString()})`);
    const stopped = pod.logs.find((l) => l.message === 'stopped');
    assert.ok(stopped, `a "stopped" log line: ${JSON.stringify(pod.logs.slice(-3))}`);
    assert.deepEqual(stopped.inFlightCut, 0);
    assert.ok(stopped.runningOperationsLeftForTheNextStart.length >= 1, JSON.stringify(stopped));

    const t0 = Date.now();
    pod = await startPod(podEnv(identity.serviceAccountDir));
    const resumed = pod.logs.find((l) => l.message === 'resumed running operations');
    assert.ok(resumed?.operations?.length >= 1, `a "resumed" log line: ${JSON.stringify(pod.logs)}`);
    client = await connectV2(pod.url);
    const done = await followOperation(client, operation);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    t.diagnostic(`restart → resumed create SUCCEEDED: ${seconds(Date.now() - t0)}`);
  });
});

describe('the container whose ServiceAccount token the API server does not accept', () => {
  it('is alive but not ready, and says nothing of why', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'capi-mcp-pod-badtoken-')), 'serviceaccount');
    mkdirSync(dir);
    writeFileSync(join(dir, 'ca.crt'), readFileSync(join(identity.serviceAccountDir, 'ca.crt')));
    // Shaped like a token (the server reads it), signed by nobody the API server trusts.
    writeFileSync(join(dir, 'token'), 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJub2JvZHkifQ.c2lnbmF0dXJl');
    // Read-only: no operations, so no executions folder.
    const { CAPI_MCP_EXECUTIONS_DIR: _, ...env } = podEnv(dir);
    const pod = await startPod({ ...env, CAPI_MCP_READ_ONLY: 'true' });
    const health = await fetch(new URL('/healthz', pod.base));
    assert.equal(health.status, 200);
    const ready = await fetch(new URL('/readyz', pod.base));
    assert.deepEqual([ready.status, await ready.json()], [503, { status: 'not ready' }]);
    pod.process.kill('SIGTERM');
    assert.equal(await pod.exited, 0);
  });
});
