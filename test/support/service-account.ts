/**
 * capi-mcp's identity on the test sandbox as deploy/rbac ships it: a kustomization applied with a per-run
 * overlay (a name suffix and a ServiceAccount namespace of its own, so concurrent runs never share a
 * binding, and without the group subject, so these bindings grant this run's ServiceAccount alone), a
 * token minted for the ServiceAccount, and that token as a kubeconfig and as a pod's mounted files.
 * rbac.test.ts proves the RBAC with it; container-pod.test.ts runs the container's server as that pod.
 */
import { after } from 'node:test';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import { repoRoot } from '../../sandbox/layout.ts';
import { adminKubeConfig, testSandbox } from './sandbox.ts';
import { eventually } from './wait.ts';

export const rbacDir = join(repoRoot, 'deploy', 'rbac');
const admin = adminKubeConfig();
const adminCore = admin.makeApiClient(CoreV1Api);
const capi = { group: 'cluster.x-k8s.io', version: 'v1beta2' } as const;

/** capi-mcp's identity for one variant: a ServiceAccount bound by deploy/rbac/<variant>, and its token. */
export interface Identity {
  readonly variant: string;
  readonly suffix: string;
  readonly user: string;
  readonly serviceAccount: { readonly name: string; readonly namespace: string };
  readonly kubeconfigPath: string;
  /** The same token and the API server's CA as Kubernetes mounts them in a pod (token, ca.crt, namespace). */
  readonly serviceAccountDir: string;
  readonly kc: KubeConfig;
}

export const kubectl = (...args: string[]) => promisify(execFile)('kubectl', ['--kubeconfig', testSandbox().paths.kubeconfig, ...args]);

/** Applies deploy/rbac/<variant> with kubectl -k, mints a token for its ServiceAccount and writes a kubeconfig. */
export async function installRbac(variant: 'read-only' | 'read-write', run = randomBytes(3).toString('hex')): Promise<Identity> {
  const suffix = `-${variant === 'read-only' ? 'ro' : 'rw'}-${run}`;
  const dir = mkdtempSync(join(tmpdir(), 'capi-mcp-rbac-'));
  const saNamespace = `capi-mcp-system${suffix}`;
  // Note: kustomize rejects an absolute base, so the overlay names it relative to its own folder.
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    ['apiVersion: kustomize.config.k8s.io/v1beta1', 'kind: Kustomization', `namespace: ${saNamespace}`, `nameSuffix: ${suffix}`, 'resources:', `  - ${relative(dir, join(rbacDir, variant))}`, ''].join('\n'),
  );
  // The shipped bindings also name the group capi-mcp (EKS's identity), which nameSuffix does not rename:
  // drop it, so these per-run bindings grant only this run's ServiceAccount, never that group
  // (rbac-eks-group.test.ts proves the manifests as shipped, with the group).
  const rendered = parseAllDocuments((await kubectl('kustomize', dir)).stdout).map((d) => d.toJS());
  for (const object of rendered) {
    if (object.subjects) object.subjects = object.subjects.filter((s: { kind: string }) => s.kind !== 'Group');
  }
  const manifest = join(dir, 'rendered.yaml');
  writeFileSync(manifest, rendered.map((o) => stringify(o)).join('---\n'));
  await kubectl('apply', '-f', manifest);
  after(() => kubectl('delete', '-f', manifest, '--ignore-not-found', '--wait=false'));

  const serviceAccount = { name: `capi-mcp${suffix}`, namespace: saNamespace };
  return { variant, suffix, ...(await tokenFor(serviceAccount, `the ${variant} bindings`)) };
}

/**
 * A token minted for `serviceAccount` (an hour), as a kubeconfig and as the files Kubernetes mounts in its
 * pods, once its bindings took effect: the authorizer learns of new bindings from a watch, so this waits
 * until the ServiceAccount can list Clusters.
 */
export async function tokenFor(serviceAccount: { readonly name: string; readonly namespace: string }, bindings: string): Promise<Omit<Identity, 'variant' | 'suffix'>> {
  const dir = mkdtempSync(join(tmpdir(), 'capi-mcp-token-'));
  const request = await adminCore.createNamespacedServiceAccountToken({ ...serviceAccount, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  const cluster = admin.getCurrentCluster()!;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'sandbox', server: cluster.server, caData: cluster.caData!, skipTLSVerify: false }],
    users: [{ name: serviceAccount.name, token: request.status!.token }],
    contexts: [{ name: 'sandbox', cluster: 'sandbox', user: serviceAccount.name }],
    currentContext: 'sandbox',
  });
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kc.exportConfig(), { mode: 0o600 });
  const serviceAccountDir = join(dir, 'serviceaccount');
  mkdirSync(serviceAccountDir);
  writeFileSync(join(serviceAccountDir, 'token'), request.status!.token!, { mode: 0o600 });
  writeFileSync(join(serviceAccountDir, 'ca.crt'), Buffer.from(cluster.caData!, 'base64'));
  writeFileSync(join(serviceAccountDir, 'namespace'), serviceAccount.namespace);
  await eventually(`${bindings} to take effect`, async () => {
    await kc.makeApiClient(CustomObjectsApi).listClusterCustomObject({ ...capi, plural: 'clusters', limit: 1 });
    return { done: true, value: undefined, seen: 'listed' };
  }, { timeoutMs: 30_000, intervalMs: 250 });
  return { user: `system:serviceaccount:${serviceAccount.namespace}:${serviceAccount.name}`, serviceAccount, kubeconfigPath, serviceAccountDir, kc };
}
