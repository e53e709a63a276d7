/**
 * deploy/rbac exactly as shipped, with capi-mcp acting as a member of the group `capi-mcp` — the identity
 * the EKS access entry gives the functions' IAM roles (infra/lib/eks-access.ts). The member is a client
 * certificate from the sandbox CA (user capi-mcp-function-<run>, organization capi-mcp), so no
 * ServiceAccount, overlay or name suffix is involved: the manifests are applied unmodified with
 * `kubectl apply -k`, and the group is bound by nothing else (checked first).
 *
 * Proven through a real MCP client and, for who did what, the API server's audit log (the sandbox audits
 * every request of the group; sandbox/sandbox.ts):
 * - with no binding the member can do nothing, so every grant below comes from the manifests;
 * - read-write: create_cluster succeeds and the real apply (not the tool's dry run) was made by the member,
 *   so the workflow step runs as the group too; get_cluster_kubeconfig is refused naming the member until
 *   the example RoleBinding is applied in that namespace — a check the admin identity would pass;
 * - read-only (the write role and binding removed): the reads work, every change answers Forbidden naming
 *   the member, no operation starts and the cluster is unchanged.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { AuthorizationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, RbacAuthorizationV1Api, loadYaml, type V1RoleBinding } from '@kubernetes/client-node';
import { repoRoot } from '../../sandbox/layout.ts';
import { issueClientCertificate } from '../../sandbox/pki.ts';
import { inMemoryCreateArgs } from '../support/clusters.ts';
import { connectV2, startTestServer, textOf, type TestClient } from '../support/mcp.ts';
import { adminKubeConfig, auditRecordsOf, auditRecordsWhen, testSandbox, useNamespace } from '../support/sandbox.ts';
import { eventually } from '../support/wait.ts';

const rbacDir = join(repoRoot, 'deploy', 'rbac');
const run = randomBytes(3).toString('hex');
const member = `capi-mcp-function-${run}`;
const sandbox = testSandbox();
const admin = adminKubeConfig();
const adminCustom = admin.makeApiClient(CustomObjectsApi);
const capi = { group: 'cluster.x-k8s.io', version: 'v1beta2' } as const;
const kubectl = (...args: string[]) => promisify(execFile)('kubectl', ['--kubeconfig', sandbox.paths.kubeconfig, ...args]);

/** A kubeconfig for the member of group capi-mcp: a client certificate, as nothing but the group binds it. */
async function memberKubeconfig(): Promise<{ path: string; kc: KubeConfig }> {
  const dir = mkdtempSync(join(tmpdir(), 'capi-mcp-eks-group-'));
  const files = { cert: join(dir, 'member.crt'), key: join(dir, 'member.key') };
  await issueClientCertificate(sandbox.paths.pki, files, member, 'capi-mcp');
  const cluster = admin.getCurrentCluster()!;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'sandbox', server: cluster.server, caData: cluster.caData!, skipTLSVerify: false }],
    users: [{ name: member, certData: readFileSync(files.cert).toString('base64'), keyData: readFileSync(files.key).toString('base64') }],
    contexts: [{ name: 'sandbox', cluster: 'sandbox', user: member }],
    currentContext: 'sandbox',
  });
  const path = join(dir, 'kubeconfig');
  writeFileSync(path, kc.exportConfig(), { mode: 0o600 });
  return { path, kc };
}

/** Whether the member may `verb` Clusters, as the authorizer answers now. */
async function memberMay(verb: string): Promise<boolean> {
  const review = await memberKc.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({
    body: { spec: { resourceAttributes: { group: capi.group, resource: 'clusters', verb, namespace: ns.name } } },
  });
  return review.status!.allowed;
}

/** Waits until the authorizer's answer for `verb` is `allowed` (it learns of binding changes from a watch). */
const untilMemberMay = (verb: string, allowed: boolean) =>
  eventually(`the member to be ${allowed ? 'allowed' : 'refused'} to ${verb} clusters`, async () => {
    const now = await memberMay(verb);
    return { done: now === allowed, value: undefined, seen: String(now) };
  }, { timeoutMs: 30_000, intervalMs: 250 });

/** The bindings in the sandbox whose subjects name the group capi-mcp. */
async function bindingsOfGroup(): Promise<string[]> {
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const ofGroup = (b: { subjects?: { kind: string; name: string }[] }) => b.subjects?.some((s) => s.kind === 'Group' && s.name === 'capi-mcp');
  // Note: list items come without kind; the list they came from says it.
  const clusterWide = (await rbac.listClusterRoleBinding()).items.filter(ofGroup).map((b) => `ClusterRoleBinding ${b.metadata!.name}`);
  const namespaced = (await rbac.listRoleBindingForAllNamespaces()).items.filter(ofGroup).map((b) => `RoleBinding ${b.metadata!.namespace}/${b.metadata!.name}`);
  return [...clusterWide, ...namespaced].sort();
}

const ns = await useNamespace('eks-group', { withClusterClass: true });
const { path: memberKubeconfigPath, kc: memberKc } = await memberKubeconfig();
const cluster = 'eks-group-1';
const clusterArgs = { namespace: ns.name, name: cluster };

// Note: delete with the read-write kustomization removes both variants' objects, whichever is applied.
after(() => kubectl('delete', '-k', join(rbacDir, 'read-write'), '--ignore-not-found', '--wait=false'));

/** A server in read-write mode acting as the member: RBAC alone decides what it may do. */
const url = await startTestServer({
  env: { CAPI_MCP_MANAGEMENT_CLUSTERS: JSON.stringify([{ name: 'sandbox', kubeconfig: memberKubeconfigPath }]), CAPI_MCP_READ_ONLY: 'false' },
});

/** A worker Machine of the cluster (remediate_machine's argument). */
async function workerMachine(): Promise<any> {
  const list = await ns.objects.list('cluster.x-k8s.io/v1beta2', 'Machine', ns.name, undefined, undefined, undefined, undefined, `cluster.x-k8s.io/cluster-name=${cluster}`);
  const worker = (list.items as any[]).find((m) => m.metadata.labels['cluster.x-k8s.io/deployment-name']);
  assert.ok(worker, 'the cluster has a worker Machine');
  return worker;
}

async function readCluster(): Promise<any> {
  return adminCustom.getNamespacedCustomObject({ ...capi, plural: 'clusters', namespace: ns.name, name: cluster });
}

async function followToEnd(client: TestClient, operationId: string) {
  return eventually(`operation ${operationId} to end`, async () => {
    const result = await client.callTool({ name: 'get_operation', arguments: { operation_id: operationId } });
    return { done: result.structuredContent.status !== 'RUNNING', value: result.structuredContent, seen: textOf(result) };
  }, { timeoutMs: 240_000, intervalMs: 2000 });
}

describe('before the manifests are applied', () => {
  it('nothing else binds the group capi-mcp, and its member may not even list clusters', async () => {
    assert.deepEqual(await bindingsOfGroup(), []);
    assert.equal(await memberMay('list'), false);
  });
});

describe('deploy/rbac/read-write as shipped, the server a member of group capi-mcp', () => {
  let client: TestClient;
  let operationId = '';
  before(async () => {
    await kubectl('apply', '-k', join(rbacDir, 'read-write'));
    await untilMemberMay('patch', true);
    client = await connectV2(url);
  });
  after(() => client.close());

  it('binds the group by the shipped names only', async () => {
    assert.deepEqual(await bindingsOfGroup(), ['ClusterRoleBinding capi-mcp-read', 'ClusterRoleBinding capi-mcp-write']);
  });

  it('create_cluster succeeds, followed to SUCCEEDED', async () => {
    const started = await client.callTool({ name: 'create_cluster', arguments: inMemoryCreateArgs(ns.name, cluster) });
    assert.equal(started.isError, undefined, textOf(started));
    operationId = started.structuredContent.operation_id;
    const done = await followToEnd(client, operationId);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
  });

  it("the workflow step applied the Cluster as the member (the API server's audit log), the tool only dry-ran", async () => {
    const isWrite = (r: any) => r.objectRef?.resource === 'clusters' && r.objectRef?.name === cluster && ['patch', 'create', 'update'].includes(r.verb);
    const isReal = (r: any) => !/[?&]dryRun=All/.test(r.requestURI);
    // The Poll step's read after the apply is the last of these records to be written.
    const records = await auditRecordsWhen(member, 'the apply and a Poll after it', (all) => {
      const apply = all.find((r) => isWrite(r) && isReal(r));
      return apply !== undefined && all.some((r) => r.verb === 'get' && r.objectRef?.name === cluster && r.stageTimestamp > apply.stageTimestamp);
    });
    const writes = records.filter(isWrite);
    const dryRuns = writes.filter((r) => /[?&]dryRun=All/.test(r.requestURI));
    const real = writes.filter((r) => !/[?&]dryRun=All/.test(r.requestURI));
    assert.ok(dryRuns.length >= 1, `the tool's dry run, as the member: ${JSON.stringify(writes.map((r) => r.requestURI))}`);
    assert.equal(real.length, 1, `one real apply, as the member: ${JSON.stringify(writes.map((r) => r.requestURI))}`);
    assert.match(real[0].requestURI, /fieldManager=capi-mcp-create/);
    assert.equal(real[0].responseStatus.code, 201);
    assert.deepEqual(real[0].user.groups.filter((g: string) => g === 'capi-mcp'), ['capi-mcp']);
    // And the Poll step read the Cluster as the member after the apply.
    assert.ok(records.some((r) => r.verb === 'get' && r.objectRef?.name === cluster && r.stageTimestamp > real[0].stageTimestamp));
  });

  it('get_cluster_kubeconfig is refused naming the member until the example RoleBinding is applied in the namespace', async () => {
    const refused = await client.callTool({ name: 'get_cluster_kubeconfig', arguments: clusterArgs });
    assert.equal(refused.isError, true, textOf(refused));
    assert.match(textOf(refused), new RegExp(`^Forbidden: .*User "${member}" cannot get resource "secrets"`));

    // The example as shipped, moved to this namespace: the one edit its header asks for.
    const example = loadYaml<V1RoleBinding>(readFileSync(join(rbacDir, 'examples', 'kubeconfig-rolebinding.yaml'), 'utf8'));
    await admin.makeApiClient(RbacAuthorizationV1Api).createNamespacedRoleBinding({ namespace: ns.name, body: { ...example, metadata: { ...example.metadata, namespace: ns.name } } });
    const handedOut = await eventually('get_cluster_kubeconfig to work through the RoleBinding', async () => {
      const result = await client.callTool({ name: 'get_cluster_kubeconfig', arguments: clusterArgs });
      return { done: result.isError === undefined, value: result, seen: textOf(result) };
    }, { timeoutMs: 30_000, intervalMs: 500 });
    assert.match(handedOut.structuredContent.kubeconfig, /^apiVersion: v1/m);
    const nodes = await client.callTool({ name: 'get_cluster_nodes', arguments: clusterArgs });
    assert.equal(nodes.isError, undefined, textOf(nodes));
  });

  it('diagnose_cluster reads everything it lists with the shipped read role: no LIST of the member is refused', async () => {
    const diagnosed = await client.callTool({ name: 'diagnose_cluster', arguments: clusterArgs });
    assert.equal(diagnosed.isError, undefined, textOf(diagnosed));
    const diagnosisReads = (records: any[]) =>
      records.filter((r) => r.verb === 'list' && ['machinehealthchecks', 'devmachines', 'kubeadmconfigs'].includes(r.objectRef?.resource) && r.objectRef?.namespace === ns.name);
    const records = await auditRecordsWhen(member, "diagnose_cluster's LISTs", (all) => new Set(diagnosisReads(all).map((r) => r.objectRef.resource)).size === 3);
    const refused = diagnosisReads(records).filter((r) => r.responseStatus?.code !== 200).map((r) => `${r.objectRef.resource}: ${r.responseStatus?.code}`);
    assert.deepEqual(refused, []);
  });

  it("the member's own token is refused what the roles do not grant", async () => {
    const core = memberKc.makeApiClient(CoreV1Api);
    const custom = memberKc.makeApiClient(CustomObjectsApi);
    const refusals: [string, () => Promise<unknown>][] = [
      ['listing Secrets', () => core.listNamespacedSecret({ namespace: ns.name })],
      ['reading a Secret in kube-system', () => core.readNamespacedSecret({ namespace: 'kube-system', name: 'any' })],
      ['creating a Pod', () => core.createNamespacedPod({ namespace: ns.name, body: { metadata: { name: 'probe' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } })],
      ['binding itself to cluster-admin', () => memberKc.makeApiClient(RbacAuthorizationV1Api).createClusterRoleBinding({ body: { metadata: { name: `probe-${run}` }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'capi-mcp' }] } })],
      ['deleting a ClusterClass', () => custom.deleteNamespacedCustomObject({ ...capi, plural: 'clusterclasses', namespace: ns.name, name: 'in-memory' })],
    ];
    for (const [what, call] of refusals) {
      await assert.rejects(call(), (error: any) => {
        assert.equal(error.code, 403, `${what}: expected 403, got ${error.code}`);
        assert.match(String(error.body), new RegExp(`User \\\\?"${member}\\\\?" cannot`), what);
        return true;
      });
    }
  });
});

describe('deploy/rbac/read-only as shipped (the write role removed), the server still attempting changes', () => {
  let client: TestClient;
  let original: any;
  let operationsBefore: string[] = [];
  before(async () => {
    await kubectl('delete', '-f', join(rbacDir, 'read-write', 'capi-mcp-write-binding.yaml'), '-f', join(rbacDir, 'read-write', 'capi-mcp-write.yaml'));
    await untilMemberMay('patch', false);
    client = await connectV2(url);
    original = await readCluster();
    const listed = await client.callTool({ name: 'list_operations', arguments: { namespace: ns.name } });
    operationsBefore = listed.structuredContent.operations.map((o: any) => o.operation_id);
  });
  after(() => client.close());

  it('binds the group by the read binding only', async () => {
    assert.deepEqual(await bindingsOfGroup(), [`RoleBinding ${ns.name}/capi-mcp-kubeconfig`, 'ClusterRoleBinding capi-mcp-read'].sort());
  });

  it('list_clusters and get_cluster work', async () => {
    const list = await client.callTool({ name: 'list_clusters', arguments: { namespace: ns.name } });
    assert.deepEqual(list.structuredContent.clusters.map((c: any) => c.name), [cluster], textOf(list));
    const get = await client.callTool({ name: 'get_cluster', arguments: clusterArgs });
    assert.equal(get.isError, undefined, textOf(get));
  });

  const changes: [string, () => Promise<Record<string, unknown>> | Record<string, unknown>, string, string][] = [
    ['create_cluster', () => inMemoryCreateArgs(ns.name, 'eks-group-2'), 'patch', 'clusters'],
    ['scale_cluster', () => ({ ...clusterArgs, worker_pools: [{ name: 'md-0', replicas: 2 }] }), 'patch', 'clusters'],
    ['upgrade_cluster', () => ({ ...clusterArgs, kubernetes_version: 'v1.35.1' }), 'patch', 'clusters'],
    ['rollout_cluster', () => ({ ...clusterArgs, target: 'md-0' }), 'patch', 'clusters'],
    ['pause_cluster', () => clusterArgs, 'patch', 'clusters'],
    ['remediate_machine', async () => ({ ...clusterArgs, machine: (await workerMachine()).metadata.name }), 'delete', 'machines'],
    ['delete_cluster', () => ({ ...clusterArgs, confirm: cluster }), 'delete', 'clusters'],
  ];
  for (const [tool, args, verb, resource] of changes) {
    it(`${tool} answers Forbidden naming the member`, async () => {
      const result = await client.callTool({ name: tool, arguments: await args() });
      assert.equal(result.isError, true, textOf(result));
      assert.match(textOf(result), new RegExp(`^Forbidden: .*User "${member}" cannot ${verb} resource "${resource}"`));
    });
  }

  it('started no operation and changed nothing', async () => {
    const listed = await client.callTool({ name: 'list_operations', arguments: { namespace: ns.name } });
    assert.deepEqual(listed.structuredContent.operations.map((o: any) => o.operation_id), operationsBefore);
    assert.equal(operationsBefore.length, 1, 'only the create of the read-write phase');
    const now = await readCluster();
    assert.deepEqual(now.spec, original.spec);
    assert.equal(now.metadata.deletionTimestamp, undefined);
    const real = auditRecordsOf(member).filter((r) => ['patch', 'create', 'update', 'delete'].includes(r.verb) && r.objectRef?.resource === 'clusters' && !/[?&]dryRun=All/.test(r.requestURI));
    assert.equal(real.length, 1, `only the create's apply ever changed a Cluster as the member: ${JSON.stringify(real.map((r) => `${r.verb} ${r.requestURI}`))}`);
  });
});
