/**
 * What the sandbox installs on its API server: the providers' CRDs (rendered by each module's own
 * kustomization), their admission webhook configurations, and the in-memory ClusterClass. Upstream
 * manifests point webhooks at in-cluster Services; the pure rewrites here point them at the managers'
 * loopback ports instead. Applying goes through kubectl's server-side apply.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { moduleSource } from './go-modules.ts';
import type { ProviderSpec } from './recipe.ts';

const execFileAsync = promisify(execFile);

type Manifest = Record<string, any>;

/** Where a provider's webhook server listens, or undefined for CRD-only providers. */
export type WebhookEndpoint = { readonly baseUrl: string; readonly caBundle: string } | undefined;

/**
 * Points a CRD's conversion webhook at the provider's manager, or drops the conversion stanza when no
 * manager serves it (the API server then serves every version without conversion).
 */
export function wireConversion(crd: Manifest, endpoint: WebhookEndpoint): Manifest {
  const conversion = crd.spec?.conversion;
  if (conversion?.strategy !== 'Webhook') return crd;
  const spec = { ...crd.spec };
  if (endpoint) {
    spec.conversion = {
      ...conversion,
      webhook: { ...conversion.webhook, clientConfig: { url: `${endpoint.baseUrl}/convert`, caBundle: endpoint.caBundle } },
    };
  } else {
    delete spec.conversion;
  }
  return { ...crd, spec };
}

/**
 * The CRD with every version but its storage version no longer served. Note: why the default sandbox does
 * this: the API server keeps a watch cache per served version of a CRD, and the cache of a version that is
 * not the storage version converts every write through the conversion webhook (a test run made ~15,000
 * such calls for v1beta1 alone, at ~40 ms each on a loaded machine, with no client ever reading v1beta1).
 * Cluster API stores and serves v1beta2; capi-mcp reads the preferred version, which this leaves as it was.
 */
export function servingStorageVersionOnly(crd: Manifest): Manifest {
  const versions = crd.spec?.versions as Manifest[] | undefined;
  if (!versions) return crd;
  return { ...crd, spec: { ...crd.spec, versions: versions.map((v) => (v.storage || !v.served ? v : { ...v, served: false })) } };
}

/**
 * Points every webhook of an admission configuration at the provider's manager and gives the
 * configuration a provider-specific name (upstream names collide across providers).
 */
export function wireAdmission(config: Manifest, provider: string, endpoint: NonNullable<WebhookEndpoint>): Manifest {
  const kind = config.kind === 'MutatingWebhookConfiguration' ? 'mutating' : 'validating';
  return {
    ...config,
    metadata: { ...config.metadata, name: `capi-mcp-sandbox-${provider}-${kind}` },
    webhooks: (config.webhooks ?? []).map((hook: Manifest) => {
      const path = hook.clientConfig?.service?.path;
      if (typeof path !== 'string') throw new Error(`webhook ${hook.name} of ${provider} has no service path`);
      return { ...hook, clientConfig: { url: `${endpoint.baseUrl}${path}`, caBundle: endpoint.caBundle } };
    }),
  };
}

function parseYaml(text: string, origin: string): Manifest[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`invalid YAML in ${origin}: ${doc.errors[0]!.message}`);
      return doc.toJS() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null && typeof m === 'object');
}

export function toYaml(manifests: readonly Manifest[]): string {
  return manifests.map((m) => stringify(m)).join('---\n');
}

/** Renders a provider's CRDs with `kubectl kustomize` on its pinned module source. */
export async function renderCrds(provider: ProviderSpec, endpoint: WebhookEndpoint): Promise<Manifest[]> {
  const source = await moduleSource(provider.wrapper, provider.module);
  const dir = join(source.dir, provider.crdDir);
  const { stdout } = await kubectl(['kustomize', dir]);
  return parseYaml(stdout, dir)
    .filter((m) => m.kind === 'CustomResourceDefinition')
    .map((crd) => wireConversion(crd, endpoint));
}

/** A provider's admission webhook configurations, wired to its manager. */
export async function renderAdmission(provider: ProviderSpec, endpoint: NonNullable<WebhookEndpoint>): Promise<Manifest[]> {
  if (!provider.webhookManifest) return [];
  const source = await moduleSource(provider.wrapper, provider.module);
  const file = join(source.dir, provider.webhookManifest);
  return parseYaml(await readFile(file, 'utf8'), file).map((config) => wireAdmission(config, provider.name, endpoint));
}

/**
 * The in-memory ClusterClass's templates with every simulated VM booting in `seconds` instead of the
 * upstream 10 s (its node, etcd and API server keep their 2 s each). The controllers do exactly the same
 * work; only the fake infrastructure's boot delay shrinks — the test suite replaces dozens of machines
 * and would otherwise spend minutes waiting on a sleep. Other manifests are returned as they are.
 */
export function withVmStartup(manifests: readonly Manifest[], seconds: number): Manifest[] {
  return manifests.map((m) => {
    const vm = (m as { kind?: string; spec?: any }).kind === 'DevMachineTemplate' ? m.spec?.template?.spec?.backend?.inMemory?.vm : undefined;
    if (!vm?.provisioning) return m;
    const copy = structuredClone(m) as any;
    copy.spec.template.spec.backend.inMemory.vm.provisioning.startupDuration = `${seconds}s`;
    return copy as Manifest;
  });
}

/** Reads a YAML file of a pinned module. */
export async function moduleManifests(wrapper: string, module: string, file: string): Promise<Manifest[]> {
  const source = await moduleSource(wrapper, module);
  const path = join(source.dir, file);
  return parseYaml(await readFile(path, 'utf8'), path);
}

/** Server-side applies `manifests` (written to `file` first, so what was applied can be inspected). */
export async function applyManifests(kubeconfig: string, file: string, manifests: readonly Manifest[], namespace?: string) {
  await writeFile(file, toYaml(manifests));
  const args = ['--kubeconfig', kubeconfig, 'apply', '--server-side', '--force-conflicts', '--field-manager=capi-mcp-sandbox', '-f', file];
  if (namespace) args.push('--namespace', namespace);
  await kubectl(args);
}

export async function kubectl(args: readonly string[]): Promise<{ stdout: string }> {
  try {
    return await execFileAsync('kubectl', args, { maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const e = error as { code?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error('kubectl is not on PATH; the sandbox needs it to render and apply manifests');
    throw new Error(`kubectl ${args.filter((a) => !a.includes('kubeconfig')).slice(0, 3).join(' ')} failed: ${e.stderr?.trim() || String(error)}`);
  }
}

/** An admin kubeconfig for the sandbox's API server, with the certificates inlined. */
export async function writeKubeconfig(
  file: string,
  server: string,
  files: { readonly ca: string; readonly cert: string; readonly key: string },
): Promise<void> {
  const b64 = async (path: string) => (await readFile(path)).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'capi-mcp-sandbox', cluster: { server, 'certificate-authority-data': await b64(files.ca) } }],
    users: [{ name: 'capi-mcp-sandbox-admin', user: { 'client-certificate-data': await b64(files.cert), 'client-key-data': await b64(files.key) } }],
    contexts: [{ name: 'capi-mcp-sandbox', context: { cluster: 'capi-mcp-sandbox', user: 'capi-mcp-sandbox-admin' } }],
    'current-context': 'capi-mcp-sandbox',
  };
  await writeFile(file, stringify(config), { mode: 0o600 });
}
