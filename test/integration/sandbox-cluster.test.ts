/**
 * The sandbox is a real CAPI management cluster: a Cluster from the in-memory ClusterClass provisions,
 * its workload API server answers kubectl, scaling the topology converges and deletion cleans up.
 * Runs against the test sandbox's real kube-apiserver and CAPI controllers.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ApiextensionsV1Api, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { clusterObjects, topologyCluster } from '../support/clusters.ts';
import { useNamespace } from '../support/sandbox.ts';
import { eventually } from '../support/wait.ts';

const execFileAsync = promisify(execFile);
const ns = await useNamespace('sandbox-cluster', { withClusterClass: true });
const clusterName = 'demo';

type Obj = KubernetesObject & { spec?: any; status?: any };

const clusterManifest = (workers: number) => topologyCluster(ns.name, clusterName, workers);

async function getCluster(): Promise<Obj> {
  return (await ns.objects.read({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name: clusterName, namespace: ns.name } })) as Obj;
}

const machines = () => clusterObjects(ns, 'Machine', clusterName);

const isReady = (m: Obj) => (m.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
const isWorker = (m: Obj) => Boolean(m.metadata?.labels?.['cluster.x-k8s.io/deployment-name']);
const isControlPlane = (m: Obj) => m.metadata?.labels?.['cluster.x-k8s.io/control-plane'] !== undefined;

function describeMachines(list: Obj[]): string {
  return list.map((m) => `${m.metadata?.name}:${m.status?.phase ?? '?'}/${isReady(m) ? 'ready' : 'not-ready'}`).join(', ') || 'no machines';
}

async function readyWorkers(count: number) {
  return eventually(`${count} ready worker Machines`, async () => {
    const list = await machines();
    const ready = list.filter((m) => isWorker(m) && isReady(m));
    return { done: ready.length === count && list.filter(isWorker).length === count, value: ready, seen: describeMachines(list) };
  });
}

describe('a Cluster from the in-memory ClusterClass on the sandbox', () => {
  it('reaches Provisioned with its control plane ready and 2 ready worker Machines', async () => {
    await ns.objects.create(clusterManifest(2));
    const cluster = await eventually('Cluster Provisioned with control plane ready', async () => {
      const c = await getCluster();
      const cp = c.status?.controlPlane ?? {};
      return {
        done: c.status?.phase === 'Provisioned' && cp.readyReplicas === 1 && cp.desiredReplicas === 1,
        value: c,
        seen: `phase=${c.status?.phase} controlPlane=${JSON.stringify(cp)}`,
      };
    });
    assert.equal(cluster.status.initialization?.controlPlaneInitialized, true);
    const workers = await readyWorkers(2);
    assert.equal(workers.length, 2);
    const all = await machines();
    assert.equal(all.filter(isControlPlane).filter(isReady).length, 1, describeMachines(all));
  });

  it('has a kubeconfig Secret whose workload API server lists the 3 Nodes', async () => {
    const secret = await eventually('the kubeconfig Secret', async () => {
      const s = await ns.core.readNamespacedSecret({ name: `${clusterName}-kubeconfig`, namespace: ns.name });
      return { done: Boolean(s.data?.value), value: s, seen: 'secret without data.value' };
    });
    const dir = await mkdtemp(join(tmpdir(), 'capi-mcp-wl-'));
    try {
      const file = join(dir, 'kubeconfig');
      await writeFile(file, Buffer.from(secret.data!.value!, 'base64'), { mode: 0o600 });
      const nodes = await eventually('3 Nodes in the workload cluster', async () => {
        const { stdout } = await execFileAsync('kubectl', ['--kubeconfig', file, 'get', 'nodes', '-o', 'json']);
        const items = JSON.parse(stdout).items as Obj[];
        return { done: items.length === 3, value: items, seen: `${items.length} nodes` };
      });
      assert.deepEqual(
        nodes.map((n) => n.metadata?.name).sort(),
        (await machines()).map((m) => m.status?.nodeRef?.name).sort(),
        'every Node belongs to one of the Cluster\'s Machines',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('converges when the worker topology is scaled to 3', async () => {
    await ns.objects.patch(clusterManifest(3), undefined, undefined, 'capi-mcp-test', true, PatchStrategy.ServerSideApply);
    const workers = await readyWorkers(3);
    assert.equal(workers.length, 3);
    const md = await eventually('MachineDeployment md-0 at 3 ready replicas', async () => {
      const list = await ns.objects.list('cluster.x-k8s.io/v1beta2', 'MachineDeployment', ns.name);
      const found = (list.items as Obj[]).find((d) => d.metadata?.labels?.['topology.cluster.x-k8s.io/deployment-name'] === 'md-0');
      return { done: found?.status?.readyReplicas === 3, value: found, seen: JSON.stringify(found?.status ?? 'none') };
    });
    assert.equal(md?.spec?.replicas, 3);
  });

  it('is removed with all its Machines when deleted', async () => {
    await ns.objects.delete({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name: clusterName, namespace: ns.name } });
    await eventually('the Cluster and its Machines to be gone', async () => {
      const left = await machines();
      const cluster = await getCluster().catch((e: { code?: number }) => (e.code === 404 ? undefined : Promise.reject(e)));
      return { done: !cluster && left.length === 0, value: true, seen: `cluster ${cluster ? 'present' : 'gone'}; ${describeMachines(left)}` };
    });
  });
});

describe("the sandbox's Cluster API CRDs", () => {
  it('serve only their storage version, v1beta2, so no write goes through a conversion webhook for an unread version', async () => {
    const crds = await ns.kc.makeApiClient(ApiextensionsV1Api).listCustomResourceDefinition();
    const capi = crds.items.filter((c) => /(^|\.)cluster\.x-k8s\.io$/.test(c.spec.group) && !c.spec.names.kind.startsWith('AWS') && !/aws|rosa|eks|nodeadm/i.test(c.metadata!.name!));
    assert.ok(capi.length >= 20, `${capi.length} Cluster API CRDs`);
    const servedBesidesStorage = capi.flatMap((c) => c.spec.versions.filter((v) => v.served && !v.storage).map((v) => `${c.metadata!.name} ${v.name}`));
    assert.deepEqual(servedBesidesStorage, []);
    assert.ok(capi.every((c) => c.spec.versions.some((v) => v.served && v.storage && v.name === 'v1beta2')));
  });
});
