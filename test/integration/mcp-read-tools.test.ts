/**
 * The read tools and resources through real MCP clients of both protocol eras, over HTTP on the local
 * adapter, against real Clusters on the test sandbox (one provisioned by the real controllers, one stuck
 * because its infrastructure never appears). Expected values come from the API server, not from fixtures.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { clusterObjects, provisionedCluster, stuckCluster } from '../support/clusters.ts';
import { connectV1, connectV2, startTestServer, textOf, type TestClient } from '../support/mcp.ts';
import { useNamespace } from '../support/sandbox.ts';
import { eventually } from '../support/wait.ts';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

const ns = await useNamespace('mcp-read', { withClusterClass: true });
// EKS-shaped fixtures live apart, so list_clusters here sees only the two clusters above.
const eksNs = await useNamespace('read-eks');
const url = await startTestServer();
const ready = 'ready-1';
const stuck = 'stuck-1';
const eks = 'eks-1';

const readToolNames = ['diagnose_cluster', 'get_cluster', 'get_cluster_kubeconfig', 'get_cluster_nodes', 'get_operation', 'list_clusters', 'list_operations', 'plan_upgrade'];

before(async () => {
  await ns.objects.create(stuckCluster(ns.name, stuck));
  await provisionedCluster(ns, ready, 2);
});

for (const [label, connect] of [
  ['a 2025-11-25 client (SDK v1)', connectV1],
  ['a 2026-07-28 client (SDK v2)', connectV2],
] as const) {
  describe(`read tools for ${label}`, () => {
    let client: TestClient;
    before(async () => {
      client = await connect(url);
      if ('protocol' in client) assert.equal(client.protocol, '2026-07-28');
    });
    after(() => client.close());

    it('lists the read tools as read-only, and every tool with an output schema', async () => {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.filter((t) => t.annotations?.readOnlyHint === true).map((t) => t.name).sort(), readToolNames);
      for (const tool of tools) {
        // The hints MCP defines only for tools that change something are listed exactly for those.
        assert.equal(typeof tool.annotations?.destructiveHint, tool.annotations?.readOnlyHint ? 'undefined' : 'boolean', tool.name);
        assert.equal(tool.outputSchema?.type, 'object', tool.name);
        assert.ok(tool.description.length > 20 && !tool.description.includes('\n'), tool.name);
      }
    });

    it('list_clusters shows the provisioned cluster available and the stuck one with its failing condition', async () => {
      // Note: read once the provisioned cluster's row says Available, which can flap on a loaded machine (availableCluster).
      const result = await eventually('list_clusters to show the provisioned cluster Available', async () => {
        const page = await client.callTool({ name: 'list_clusters', arguments: { namespace: ns.name } });
        assert.equal(page.isError, undefined, textOf(page));
        const row = (page.structuredContent.clusters as any[]).find((r) => r.name === ready);
        return { done: row?.available === true, value: page, seen: JSON.stringify(row) };
      }, { timeoutMs: 30_000, intervalMs: 1000 });
      const rows = result.structuredContent.clusters as any[];
      assert.deepEqual(rows.map((r) => r.name).sort(), [ready, stuck]);
      const good = rows.find((r) => r.name === ready);
      assert.equal(good.phase, 'Provisioned');
      assert.equal(good.available, true);
      assert.equal(good.clusterClass, 'in-memory');
      assert.deepEqual(good.workers, { ready: 2, desired: 2 });
      assert.deepEqual(good.controlPlane, { ready: 1, desired: 1 });
      const bad = rows.find((r) => r.name === stuck);
      assert.equal(bad.available, false);
      assert.match(bad.notAvailableReason, /InfrastructureReady/);
      assert.match(textOf(result), new RegExp(`${ns.name}/${stuck} \\w+ .*— InfrastructureReady`));
    });

    it('get_cluster returns a tree holding exactly the objects that exist', async () => {
      // Note: read once every object reads ready, which can flap on a loaded machine (availableCluster).
      const result = await eventually('get_cluster to show every object ready', async () => {
        const answer = await client.callTool({ name: 'get_cluster', arguments: { namespace: ns.name, name: ready } });
        assert.equal(answer.isError, undefined, textOf(answer));
        const notReady = (answer.structuredContent.objects as { kind: string; name: string; ready?: boolean }[]).filter((o) => o.ready !== true);
        return { done: notReady.length === 0, value: answer, seen: JSON.stringify(notReady) };
      }, { timeoutMs: 30_000, intervalMs: 1000 });
      const objects = result.structuredContent.objects as { kind: string; name: string; depth: number; ready?: boolean }[];
      const expected = ['Cluster/' + ready];
      for (const kind of ['MachineDeployment', 'MachineSet', 'Machine']) {
        for (const o of await clusterObjects(ns, kind, ready)) expected.push(`${kind}/${o.metadata!.name}`);
      }
      const cluster = result.structuredContent.cluster;
      assert.equal(cluster.name, ready);
      const got = objects.map((o) => `${o.kind}/${o.name}`);
      // The infrastructure cluster and control plane come from the Cluster's own references.
      const refs = got.filter((g) => g.startsWith('DevCluster/') || g.startsWith('KubeadmControlPlane/'));
      assert.equal(refs.length, 2, got.join(', '));
      assert.deepEqual(got.filter((g) => !refs.includes(g)).sort(), expected.sort());
      assert.equal(objects[0]!.depth, 0);
      assert.ok(objects.every((o) => o.ready === true), JSON.stringify(objects));
      const machines = objects.filter((o) => o.kind === 'Machine');
      assert.ok(machines.every((m) => m.depth >= 2), 'every Machine sits under its owner');
    });

    it('get_cluster explains why the stuck cluster is not ready', async () => {
      const result = await client.callTool({ name: 'get_cluster', arguments: { namespace: ns.name, name: stuck } });
      assert.equal(result.isError, undefined, textOf(result));
      const root = result.structuredContent.objects[0];
      assert.equal(root.ready, false);
      assert.match(root.reason, /InfrastructureReady/);
    });

    it('get_cluster_nodes lists one Node per Machine through the workload API server', async () => {
      const result = await client.callTool({ name: 'get_cluster_nodes', arguments: { namespace: ns.name, name: ready } });
      assert.equal(result.isError, undefined, textOf(result));
      const nodes = result.structuredContent.nodes as { name: string; ready: boolean; kubeletVersion?: string }[];
      const machines = await clusterObjects(ns, 'Machine', ready);
      assert.deepEqual(nodes.map((n) => n.name).sort(), machines.map((m) => m.status.nodeRef.name).sort());
      assert.ok(nodes.every((n) => n.ready));
    });

    it('get_cluster_nodes says the stuck cluster has no API server yet', async () => {
      const result = await client.callTool({ name: 'get_cluster_nodes', arguments: { namespace: ns.name, name: stuck } });
      assert.equal(result.isError, true);
      assert.match(textOf(result), /has no kubeconfig yet/);
      assert.match(textOf(result), /\nNext: its control plane is not initialized yet; call get_cluster to follow provisioning$/);
    });

    it('get_cluster_kubeconfig returns the admin kubeconfig, rebuilt from its checked parts, and says it is the admin certificate', async () => {
      const result = await client.callTool({ name: 'get_cluster_kubeconfig', arguments: { namespace: ns.name, name: ready } });
      assert.equal(result.isError, undefined, textOf(result));
      const secret = await ns.core.readNamespacedSecret({ name: `${ready}-kubeconfig`, namespace: ns.name });
      const stored = parseYaml(Buffer.from(secret.data!.value!, 'base64').toString('utf8'));
      const given = parseYaml(result.structuredContent.kubeconfig);
      assert.deepEqual(given.clusters[0].cluster, stored.clusters[0].cluster, 'the same server and CA');
      assert.deepEqual(given.users[0].user, stored.users[0].user, 'the same client certificate and key');
      assert.equal(result.structuredContent.credential, 'admin-certificate');
      assert.match(textOf(result), /^# credential: the cluster admin client certificate/);
    });

    it('get_cluster_kubeconfig prefers the token-based user kubeconfig of an EKS cluster, in the shape CAPA writes', async () => {
      const ca = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n').toString('base64');
      const exec = { apiVersion: 'client.authentication.k8s.io/v1beta1', command: 'aws', args: ['eks', 'get-token', '--cluster-name', 'read-eks_eks-1'], env: null, provideClusterInfo: false };
      // What CAPA's createUserKubeconfigSecret writes (clientcmd.Write of its api.Config).
      const userKubeconfig = stringifyYaml({
        apiVersion: 'v1',
        clusters: [{ name: 'read-eks_eks-1', cluster: { server: 'https://abc.gr7.us-east-1.eks.amazonaws.com', 'certificate-authority-data': ca } }],
        contexts: [{ name: 'read-eks_eks-1-user@read-eks_eks-1', context: { cluster: 'read-eks_eks-1', user: 'read-eks_eks-1-user' } }],
        'current-context': 'read-eks_eks-1-user@read-eks_eks-1',
        kind: 'Config',
        preferences: {},
        users: [{ name: 'read-eks_eks-1-user', user: { exec } }],
      });
      // An EKS-shaped Cluster (its control plane an AWSManagedControlPlane) and the Secret CAPA writes for it.
      await eksNs.objects
        .create({
          apiVersion: 'cluster.x-k8s.io/v1beta2',
          kind: 'Cluster',
          metadata: { name: eks, namespace: eksNs.name },
          spec: {
            controlPlaneEndpoint: { host: 'abc.gr7.us-east-1.eks.amazonaws.com', port: 443 },
            controlPlaneRef: { apiGroup: 'controlplane.cluster.x-k8s.io', kind: 'AWSManagedControlPlane', name: `${eks}-missing` },
            infrastructureRef: { apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'AWSManagedCluster', name: `${eks}-missing` },
          },
        } as never)
        .catch((e: { code?: number }) => assert.equal(e.code, 409));
      // Its control plane names the EKS cluster the user kubeconfig's tokens are for (CAPA's webhook sets it).
      await eksNs.objects
        .create({ apiVersion: 'controlplane.cluster.x-k8s.io/v1beta2', kind: 'AWSManagedControlPlane', metadata: { name: `${eks}-missing`, namespace: eksNs.name }, spec: { eksClusterName: 'read-eks_eks-1' } } as never)
        .catch((e: { code?: number }) => assert.equal(e.code, 409));
      await ns.core
        .createNamespacedSecret({
          namespace: eksNs.name,
          body: { metadata: { name: `${eks}-user-kubeconfig`, labels: { 'cluster.x-k8s.io/cluster-name': eks } }, type: 'cluster.x-k8s.io/secret', stringData: { value: userKubeconfig } },
        })
        .catch((e: { code?: number }) => assert.equal(e.code, 409));
      const result = await client.callTool({ name: 'get_cluster_kubeconfig', arguments: { namespace: eksNs.name, name: eks } });
      assert.equal(result.isError, undefined, textOf(result));
      assert.equal(result.structuredContent.credential, 'aws-iam-token');
      const given = parseYaml(result.structuredContent.kubeconfig);
      assert.equal(given.clusters[0].cluster.server, 'https://abc.gr7.us-east-1.eks.amazonaws.com');
      assert.deepEqual(given.users[0].user.exec, { apiVersion: exec.apiVersion, command: 'aws', args: exec.args, interactiveMode: 'Never' });
    });

    it('a missing cluster is a tool error that points to list_clusters', async () => {
      const result = await client.callTool({ name: 'get_cluster', arguments: { namespace: ns.name, name: 'nope' } });
      assert.equal(result.isError, true);
      assert.match(textOf(result), new RegExp(`NotFound: cluster ${ns.name}/nope not found`));
      assert.match(textOf(result), /\nNext: call list_clusters to see the clusters that exist$/);
    });

    it('invalid arguments name the field and the reason', async () => {
      const result = await client.callTool({ name: 'get_cluster', arguments: { namespace: 'Not_A_Namespace', name: ready } });
      assert.equal(result.isError, true);
      assert.match(textOf(result), /namespace/);
      assert.match(textOf(result), /RFC 1123/);
    });

    it('an unknown management cluster is refused with the configured names', async () => {
      const result = await client.callTool({ name: 'list_clusters', arguments: { management_cluster: 'prod' } });
      assert.equal(result.isError, true);
      assert.match(textOf(result), /unknown management cluster "prod"/);
      assert.match(textOf(result), /sandbox/);
    });

    it('the cluster resource gives the same summary as list_clusters', async () => {
      // Note: the two reads are moments apart, and a flap of Available between them (availableCluster) is the
      // cluster's, not a difference of the two paths: they are read again until they were read at one state.
      const [summary, row] = await eventually('the resource and list_clusters to read one state', async () => {
        const resource = await client.readResource({ uri: `capi://clusters/${ns.name}/${ready}` });
        const summary = { ...JSON.parse(resource.contents[0].text), ageSeconds: 0 };
        const listed = await client.callTool({ name: 'list_clusters', arguments: { namespace: ns.name } });
        const row = { ...listed.structuredContent.clusters.find((r: any) => r.name === ready), ageSeconds: 0 };
        return { done: isDeepStrictEqual(summary, row), value: [summary, row], seen: `${JSON.stringify(summary)} vs ${JSON.stringify(row)}` };
      }, { timeoutMs: 30_000, intervalMs: 1000 });
      assert.deepEqual(summary, row);
    });

    it('the clusterclasses resource lists the in-memory class with its worker class', async () => {
      const resource = await client.readResource({ uri: 'capi://clusterclasses' });
      const { clusterClasses } = JSON.parse(resource.contents[0].text);
      const mine = clusterClasses.find((c: any) => c.namespace === ns.name && c.name === 'in-memory');
      assert.deepEqual(mine?.workerClasses.machineDeployments, ['default-worker']);
    });
  });
}

describe('list_clusters as clusters change', () => {
  it('shows a cluster that was just deleted as Deleting or not at all', async () => {
    const client = await connectV2(url);
    after(() => client.close());
    await ns.objects.delete(stuckCluster(ns.name, stuck));
    await eventually('the stuck cluster gone or deleting', async () => {
      const result = await client.callTool({ name: 'list_clusters', arguments: { namespace: ns.name } });
      const row = result.structuredContent.clusters.find((r: any) => r.name === stuck);
      return { done: !row || row.deleting === true, value: row, seen: JSON.stringify(row) };
    });
  });
});
