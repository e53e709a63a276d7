/**
 * The RBAC manifests of deploy/rbac, proven on the sandbox's kube-apiserver (RBAC authorization): each
 * kustomization is applied as shipped (an overlay only gives it a per-run name suffix and ServiceAccount
 * namespace, so concurrent runs never share a binding, and the group subject is dropped so these
 * bindings grant this run's ServiceAccount alone), capi-mcp connects with a token minted for that
 * ServiceAccount, and
 * - read-write: every tool works end to end through a real MCP client; the workflow steps run in-process
 *   with the same management-cluster config, so the Apply and Poll steps run as the ServiceAccount too;
 * - read-only, served as a pod of the ServiceAccount runs it (no kubeconfig: the API server from the pod
 *   environment, the token and CA as mounted files): the reads work and every change comes back as a
 *   Forbidden tool error, changing nothing;
 * - the ServiceAccount's token itself is refused everything else: other Secrets, writes outside Cluster
 *   objects, and cluster-admin actions (RBAC, impersonation, token minting, CRDs, webhooks).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  AdmissionregistrationV1Api,
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  RbacAuthorizationV1Api,
  loadYaml,
  type V1RoleBinding,
} from '@kubernetes/client-node';
import { connectV2, startTestServer, textOf, type TestClient } from '../support/mcp.ts';
import { adminKubeConfig, auditRecordsOf, auditRecordsWhen, testSandbox, useNamespace } from '../support/sandbox.ts';
import { installRbac, rbacDir, type Identity } from '../support/service-account.ts';
import { eventually } from '../support/wait.ts';

const run = randomBytes(3).toString('hex');
const admin = adminKubeConfig();
const adminCore = admin.makeApiClient(CoreV1Api);
const adminCustom = admin.makeApiClient(CustomObjectsApi);
const capi = { group: 'cluster.x-k8s.io', version: 'v1beta2' } as const;

/**
 * Binds capi-mcp-kubeconfig in `namespace` as deploy/rbac/examples/kubeconfig-rolebinding.yaml does, to
 * this run's ServiceAccount alone: like the per-run bindings of `installRbac`, it leaves out the example's
 * group subject, which would grant the group capi-mcp (rbac-eks-group.test.ts's member, running beside
 * this file) a binding it checks nothing else gives.
 */
async function bindKubeconfigRole(identity: Identity, namespace: string): Promise<void> {
  const example = loadYaml<V1RoleBinding>(readFileSync(join(rbacDir, 'examples', 'kubeconfig-rolebinding.yaml'), 'utf8'));
  const body: V1RoleBinding = {
    ...example,
    metadata: { ...example.metadata, namespace },
    roleRef: { ...example.roleRef, name: `${example.roleRef.name}${identity.suffix}` },
    subjects: example.subjects!.filter((s) => s.kind === 'ServiceAccount').map((s) => ({ ...s, ...identity.serviceAccount })),
  };
  await admin.makeApiClient(RbacAuthorizationV1Api).createNamespacedRoleBinding({ namespace, body });
}

const serverFor = (identity: Identity) =>
  startTestServer({ env: { CAPI_MCP_MANAGEMENT_CLUSTERS: JSON.stringify([{ name: 'sandbox', kubeconfig: identity.kubeconfigPath }]) } });

/**
 * The server as it runs in a pod of the ServiceAccount: no kubeconfig, the API server's address in the
 * environment Kubernetes gives every pod, its token and CA as mounted files (here in the identity's folder;
 * in a pod, /var/run/secrets/kubernetes.io/serviceaccount).
 */
const serverInPodOf = (identity: Identity) => {
  const { hostname, port } = new URL(admin.getCurrentCluster()!.server);
  return startTestServer({
    env: { CAPI_MCP_MANAGEMENT_CLUSTERS: undefined, KUBERNETES_SERVICE_HOST: hostname, KUBERNETES_SERVICE_PORT: port, CAPI_MCP_SERVICE_ACCOUNT_DIR: identity.serviceAccountDir },
  });
};

const ns = await useNamespace('rbac', { withClusterClass: true });
const other = await useNamespace('rbac-other');
const readWrite = await installRbac('read-write', run);
const readOnly = await installRbac('read-only', run);
await bindKubeconfigRole(readWrite, ns.name);
const readWriteUrl = await serverFor(readWrite);
// Note: read-only, the default of a server in the management cluster, is served as a pod runs it.
const readOnlyUrl = await serverInPodOf(readOnly);

const cluster = 'rbac-1';
const clusterArgs = { namespace: ns.name, name: cluster };

async function readCluster(name = cluster): Promise<any> {
  return adminCustom.getNamespacedCustomObject({ ...capi, plural: 'clusters', namespace: ns.name, name });
}

async function clusterNames(): Promise<string[]> {
  const list: any = await adminCustom.listNamespacedCustomObject({ ...capi, plural: 'clusters', namespace: ns.name });
  return list.items.map((c: any) => c.metadata.name).sort();
}

async function followToEnd(client: TestClient, operationId: string, timeoutMs = 240_000) {
  return eventually(`operation ${operationId} to end`, async () => {
    const result = await client.callTool({ name: 'get_operation', arguments: { operation_id: operationId } });
    return { done: result.structuredContent.status !== 'RUNNING', value: result.structuredContent, seen: textOf(result) };
  }, { timeoutMs, intervalMs: 2000 });
}

describe('read-write variant: every tool works as the ServiceAccount', () => {
  let client: TestClient;
  before(async () => {
    client = await connectV2(readWriteUrl);
  });
  after(() => client.close());

  it('create_cluster creates a cluster that get_operation follows to SUCCEEDED', async () => {
    const started = await client.callTool({
      name: 'create_cluster',
      arguments: { ...clusterArgs, cluster_class: 'in-memory', kubernetes_version: 'v1.35.0', workers: [{ class: 'default-worker', name: 'md-0', replicas: 1 }] },
    });
    assert.equal(started.isError, undefined, textOf(started));
    const done = await followToEnd(client, started.structuredContent.operation_id);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    const created = await readCluster();
    assert.ok(created.metadata.managedFields.some((f: any) => f.manager === 'capi-mcp-create'), 'applied by the create field manager');
    // Who applied it for real (the tool itself only dry-runs): the workflow step, as the ServiceAccount.
    const isApply = (r: any) => r.objectRef?.resource === 'clusters' && r.objectRef?.name === cluster && r.verb === 'patch' && !/[?&]dryRun=All/.test(r.requestURI);
    const applies = (await auditRecordsWhen(readWrite.user, 'the real apply', (records) => records.some(isApply))).filter(isApply);
    assert.deepEqual(applies.map((r) => r.responseStatus.code), [201], JSON.stringify(applies.map((r) => r.requestURI)));
  });

  it('list_clusters lists it, across all namespaces', async () => {
    const result = await client.callTool({ name: 'list_clusters', arguments: {} });
    assert.equal(result.isError, undefined, textOf(result));
    assert.ok(result.structuredContent.clusters.some((c: any) => c.namespace === ns.name && c.name === cluster), textOf(result));
  });

  it('get_cluster shows the tree down to the provider objects the role may get', async () => {
    const result = await client.callTool({ name: 'get_cluster', arguments: clusterArgs });
    assert.equal(result.isError, undefined, textOf(result));
    const kinds = new Set(result.structuredContent.objects.map((o: any) => o.kind));
    assert.deepEqual([...kinds].sort(), ['Cluster', 'DevCluster', 'KubeadmControlPlane', 'Machine', 'MachineDeployment', 'MachineSet']);
  });

  it('reads capi://clusterclasses', async () => {
    const resource = await client.readResource({ uri: 'capi://clusterclasses' });
    const { clusterClasses } = JSON.parse(resource.contents[0].text);
    assert.ok(clusterClasses.some((c: any) => c.namespace === ns.name && c.name === 'in-memory'));
  });

  it('get_cluster_kubeconfig reads the kubeconfig Secret through the namespace RoleBinding', async () => {
    const result = await client.callTool({ name: 'get_cluster_kubeconfig', arguments: clusterArgs });
    assert.equal(result.isError, undefined, textOf(result));
    assert.match(result.structuredContent.kubeconfig, /^apiVersion: v1/m);
  });

  it("get_cluster_nodes reads the workload cluster's Nodes", async () => {
    const result = await client.callTool({ name: 'get_cluster_nodes', arguments: clusterArgs });
    assert.equal(result.isError, undefined, textOf(result));
    assert.equal(result.structuredContent.nodes.length, 2, textOf(result));
  });

  it('scale_cluster scales md-0 from 1 to 2 and is followed to SUCCEEDED', async () => {
    const started = await client.callTool({ name: 'scale_cluster', arguments: { ...clusterArgs, worker_pools: [{ name: 'md-0', replicas: 2 }] } });
    assert.equal(started.isError, undefined, textOf(started));
    const done = await followToEnd(client, started.structuredContent.operation_id);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    assert.equal((await readCluster()).spec.topology.workers.machineDeployments[0].replicas, 2);
  });

  it('upgrade_cluster applies a new version, and cancel_operation stops following it', async () => {
    const started = await client.callTool({ name: 'upgrade_cluster', arguments: { ...clusterArgs, kubernetes_version: 'v1.35.1' } });
    assert.equal(started.isError, undefined, textOf(started));
    const id = started.structuredContent.operation_id;
    const view = await eventually('the upgrade to pass Apply', async () => {
      const v = (await client.callTool({ name: 'get_operation', arguments: { operation_id: id } })).structuredContent;
      return { done: v.status !== 'RUNNING' || v.current_step !== 'Apply', value: v, seen: JSON.stringify(v) };
    });
    assert.equal(view.status, 'RUNNING', `the Apply step ran as the ServiceAccount: ${JSON.stringify(view)}`);
    const cancelled = await client.callTool({ name: 'cancel_operation', arguments: { operation_id: id } });
    assert.equal(cancelled.isError, undefined, textOf(cancelled));
    assert.equal(cancelled.structuredContent.status, 'ABORTED');
    assert.equal(cancelled.structuredContent.applied, true);
    assert.equal((await readCluster()).spec.topology.version, 'v1.35.1');
  });

  it('list_operations lists the create, scale and upgrade, newest first', async () => {
    const result = await client.callTool({ name: 'list_operations', arguments: clusterArgs });
    assert.equal(result.isError, undefined, textOf(result));
    assert.deepEqual(result.structuredContent.operations.map((o: any) => `${o.action}:${o.status}`), ['upgrade:ABORTED', 'scale:SUCCEEDED', 'create:SUCCEEDED']);
  });
});

describe('read-only variant, served as in a pod of the ServiceAccount: reads work, every change is a Forbidden tool error', () => {
  let client: TestClient;
  let original: any;
  let operationsBefore: string[] = [];
  before(async () => {
    client = await connectV2(readOnlyUrl);
    original = await readCluster();
    const listed = await client.callTool({ name: 'list_operations', arguments: { namespace: ns.name } });
    operationsBefore = listed.structuredContent.operations.map((o: any) => o.operation_id);
  });
  after(() => client.close());

  it('list_clusters, get_cluster and capi://clusterclasses work', async () => {
    const list = await client.callTool({ name: 'list_clusters', arguments: { namespace: ns.name } });
    assert.equal(list.isError, undefined, textOf(list));
    assert.deepEqual(list.structuredContent.clusters.map((c: any) => c.name), [cluster]);
    const get = await client.callTool({ name: 'get_cluster', arguments: clusterArgs });
    assert.equal(get.isError, undefined, textOf(get));
    const resource = await client.readResource({ uri: 'capi://clusterclasses' });
    assert.ok(JSON.parse(resource.contents[0].text).clusterClasses.length > 0);
  });

  const refused: [string, Record<string, unknown>, RegExp][] = [
    ['create_cluster', { namespace: ns.name, name: 'rbac-ro', cluster_class: 'in-memory', kubernetes_version: 'v1.35.0', workers: [{ class: 'default-worker', name: 'md-0', replicas: 1 }] }, /cannot patch resource "clusters"/],
    ['scale_cluster', { ...clusterArgs, worker_pools: [{ name: 'md-0', replicas: 3 }] }, /cannot patch resource "clusters"/],
    ['upgrade_cluster', { ...clusterArgs, kubernetes_version: 'v1.36.0' }, /cannot patch resource "clusters"/],
    ['get_cluster_kubeconfig', clusterArgs, /cannot get resource "secrets"/],
    ['get_cluster_nodes', clusterArgs, /cannot get resource "secrets"/],
  ];
  for (const [tool, args, reason] of refused) {
    it(`${tool} answers Forbidden with the API server's reason`, async () => {
      const result = await client.callTool({ name: tool, arguments: args });
      assert.equal(result.isError, true, textOf(result));
      assert.match(textOf(result), /^Forbidden: /);
      assert.match(textOf(result), reason);
      assert.match(textOf(result), new RegExp(readOnly.user));
    });
  }

  it('delete_cluster answers Forbidden at once (a dry-run DELETE), starting no operation, and the cluster stays', async () => {
    const result = await client.callTool({ name: 'delete_cluster', arguments: { ...clusterArgs, confirm: cluster } });
    assert.equal(result.isError, true, textOf(result));
    assert.match(textOf(result), new RegExp(`^Forbidden: .*User "${readOnly.user}" cannot delete resource "clusters"`));
    assert.equal((await readCluster()).metadata.deletionTimestamp, undefined);
  });

  it('changed nothing and started no operation', async () => {
    const operations = await client.callTool({ name: 'list_operations', arguments: { namespace: ns.name } });
    assert.deepEqual(operations.structuredContent.operations.map((o: any) => o.operation_id), operationsBefore, 'no operation started');
    assert.deepEqual(auditRecordsOf(readOnly.user).filter((r) => !['get', 'list', 'watch'].includes(r.verb) && !/[?&]dryRun=All/.test(r.requestURI) && r.objectRef?.resource !== 'selfsubjectaccessreviews'), []);
    const now = await readCluster();
    assert.deepEqual(await clusterNames(), [cluster]);
    assert.deepEqual(now.spec.topology, original.spec.topology);
  });
});

describe("the ServiceAccount's own token is refused everything outside the roles", () => {
  // The read-write identity, the most privileged one, with the kubeconfig RoleBinding in ns.
  const kc = readWrite.kc;
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const crds = kc.makeApiClient(ApiextensionsV1Api);
  const webhooks = kc.makeApiClient(AdmissionregistrationV1Api);
  const impersonating = new KubeConfig();
  impersonating.loadFromString(kc.exportConfig());
  impersonating.loadFromOptions({
    clusters: impersonating.getClusters(),
    users: [{ ...impersonating.getCurrentUser()!, impersonateUser: 'system:admin' }],
    contexts: impersonating.getContexts(),
    currentContext: impersonating.getCurrentContext(),
  });
  const secret = (name: string) => ({ metadata: { name }, stringData: { password: 'not-for-capi-mcp' } });
  const cm = { metadata: { name: 'rbac-probe' }, data: { a: 'b' } };
  const pod = { metadata: { name: 'rbac-probe' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
  const clusterAdminBinding = (name: string) => ({
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', ...readWrite.serviceAccount }],
  });
  let machine = '';
  let machineDeployment = '';

  before(async () => {
    await adminCore.createNamespacedSecret({ namespace: other.name, body: secret('db-password') });
    await adminCore.createNamespacedSecret({ namespace: ns.name, body: secret('db-password') });
    await adminCore.createNamespacedSecret({ namespace: 'kube-system', body: secret(`rbac-probe-${run}`) });
    const list = async (plural: string) =>
      ((await adminCustom.listNamespacedCustomObject({ ...capi, plural, namespace: ns.name, labelSelector: `cluster.x-k8s.io/cluster-name=${cluster}` })) as any).items;
    machine = (await list('machines'))[0].metadata.name;
    machineDeployment = (await list('machinedeployments'))[0].metadata.name;
  });
  after(() => adminCore.deleteNamespacedSecret({ namespace: 'kube-system', name: `rbac-probe-${run}` }).catch(() => undefined));

  const denials: [string, () => Promise<unknown>][] = [
    ['reading a Secret in kube-system', () => core.readNamespacedSecret({ namespace: 'kube-system', name: `rbac-probe-${run}` })],
    ['reading a Secret in a namespace without the kubeconfig RoleBinding', () => core.readNamespacedSecret({ namespace: other.name, name: 'db-password' })],
    ['listing Secrets in the namespace with the kubeconfig RoleBinding', () => core.listNamespacedSecret({ namespace: ns.name })],
    ['listing Secrets in all namespaces', () => core.listSecretForAllNamespaces()],
    ['changing the kubeconfig Secret it may read', () => core.deleteNamespacedSecret({ namespace: ns.name, name: `${cluster}-kubeconfig` })],
    ['creating a Secret', () => core.createNamespacedSecret({ namespace: ns.name, body: secret('planted') })],
    ['creating a ConfigMap', () => core.createNamespacedConfigMap({ namespace: ns.name, body: cm })],
    ['creating a Pod', () => core.createNamespacedPod({ namespace: ns.name, body: pod })],
    ['creating a Deployment', () => apps.createNamespacedDeployment({ namespace: ns.name, body: { metadata: { name: 'rbac-probe' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: pod.spec } } } })],
    ['listing Pods', () => core.listPodForAllNamespaces()],
    ['deleting a namespace', () => core.deleteNamespace({ name: other.name })],
    ['patching a Node', () => core.patchNode({ name: 'any-node', body: [{ op: 'add', path: '/metadata/labels/x', value: 'y' }] })],
    ['creating a ClusterRoleBinding to cluster-admin for itself', () => rbac.createClusterRoleBinding({ body: clusterAdminBinding(`rbac-probe-${run}`) })],
    ['creating a RoleBinding to cluster-admin in its namespace', () => rbac.createNamespacedRoleBinding({ namespace: ns.name, body: clusterAdminBinding('rbac-probe') })],
    ['widening its own ClusterRole', () => rbac.patchClusterRole({ name: `capi-mcp-write${readWrite.suffix}`, body: [{ op: 'add', path: '/rules/-', value: { apiGroups: ['*'], resources: ['*'], verbs: ['*'] } }] })],
    ['impersonating another user', () => impersonating.makeApiClient(CoreV1Api).listNamespace()],
    ['minting a token for another ServiceAccount', () => core.createNamespacedServiceAccountToken({ ...readOnly.serviceAccount, body: { spec: { audiences: [] } } })],
    ['creating a CustomResourceDefinition', () => crds.createCustomResourceDefinition({ body: { metadata: { name: 'probes.rbac.example.com' }, spec: { group: 'rbac.example.com', names: { plural: 'probes', kind: 'Probe' }, scope: 'Namespaced', versions: [] } } })],
    ['listing admission webhook configurations', () => webhooks.listValidatingWebhookConfiguration()],
    // Note: deleting one is allowed (remediate_machine); changing one is not.
    ['patching a Machine (CAPI controllers own Machines)', () => custom.patchNamespacedCustomObject({ ...capi, plural: 'machines', namespace: ns.name, name: machine, body: [{ op: 'replace', path: '/spec/version', value: 'v1.36.0' }] })],
    ['creating a Machine', () => custom.createNamespacedCustomObject({ ...capi, plural: 'machines', namespace: ns.name, body: { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Machine', metadata: { name: 'planted' } } })],
    ['patching a MachineDeployment', () => custom.patchNamespacedCustomObject({ ...capi, plural: 'machinedeployments', namespace: ns.name, name: machineDeployment, body: [{ op: 'replace', path: '/spec/replicas', value: 5 }] })],
    ['creating a ClusterClass', () => custom.createNamespacedCustomObject({ ...capi, plural: 'clusterclasses', namespace: ns.name, body: { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'ClusterClass', metadata: { name: 'planted' } } })],
    ['deleting a ClusterClass', () => custom.deleteNamespacedCustomObject({ ...capi, plural: 'clusterclasses', namespace: ns.name, name: 'in-memory' })],
  ];
  let checked = 0;
  after(() => console.log(`RBAC denials checked: ${checked} of ${denials.length} (ServiceAccount ${readWrite.user})`));

  for (const [what, call] of denials) {
    it(`refuses ${what} with 403`, async () => {
      await assert.rejects(call(), (error: any) => {
        assert.equal(error.code, 403, `expected 403, got ${error.code}: ${error.body ?? error.message}`);
        // The refusal is RBAC's, naming this identity, not some other 403.
        const message = String((typeof error.body === 'string' ? JSON.parse(error.body) : error.body)?.message);
        assert.ok(message.includes(`User "${readWrite.user}" cannot`), message);
        return true;
      });
      checked += 1;
    });
  }

  it('reads any Secret of a namespace with the kubeconfig RoleBinding by name (the residual risk SECURITY.md states)', async () => {
    const planted = await core.readNamespacedSecret({ namespace: ns.name, name: 'db-password' });
    assert.equal(Buffer.from(planted.data!.password!, 'base64').toString(), 'not-for-capi-mcp');
    const ca = await core.readNamespacedSecret({ namespace: ns.name, name: `${cluster}-ca` });
    assert.ok(ca.data?.['tls.key'], "the workload cluster's CA key, next to its kubeconfig");
  });
});

describe('read-write variant: delete_cluster', () => {
  let client: TestClient;
  before(async () => {
    client = await connectV2(readWriteUrl);
  });
  after(() => client.close());

  it('deletes the cluster mid-upgrade, followed to SUCCEEDED', async () => {
    const started = await client.callTool({ name: 'delete_cluster', arguments: { ...clusterArgs, confirm: cluster } });
    assert.equal(started.isError, undefined, textOf(started));
    const done = await followToEnd(client, started.structuredContent.operation_id, 180_000);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    assert.deepEqual(await clusterNames(), []);
  });
});
