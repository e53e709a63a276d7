/**
 * The test run's sandbox management cluster: brought up once per `npm test` by the global setup (or
 * reused when a healthy one is already running), on its own data folder and ports so it never touches
 * the sandbox of `npm start`. Each test file gets its own namespace, deleted when the file ends.
 */
import { after } from 'node:test';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { KubeConfig, CoreV1Api, KubernetesObjectApi } from '@kubernetes/client-node';
import { repoRoot } from '../../sandbox/layout.ts';
import { Sandbox } from '../../sandbox/sandbox.ts';

/** The test sandbox: `.capi-mcp/test`, ports 21000–25999 (npm start uses 16000–20999). */
export const testSandboxOptions = { dataDir: join(repoRoot, '.capi-mcp', 'test'), portBase: 21000 } as const;

export function testSandbox(): Sandbox {
  return new Sandbox(testSandboxOptions);
}

/** An admin client configuration for the test sandbox. */
export function adminKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(testSandbox().paths.kubeconfig);
  return kc;
}

export interface TestNamespace {
  readonly name: string;
  readonly kc: KubeConfig;
  readonly objects: KubernetesObjectApi;
  readonly core: CoreV1Api;
}

/**
 * Creates a namespace for the calling test file (with the in-memory ClusterClass installed when
 * `withClusterClass`) and deletes it after the file's tests. Call at the top level of a test file.
 */
export async function useNamespace(prefix: string, { withClusterClass = false } = {}): Promise<TestNamespace> {
  const kc = adminKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await core.createNamespace({ body: { metadata: { name, labels: { 'capi-mcp.io/test': 'true' } } } });
  after(async () => {
    // Note: deletion is not awaited to completion; the namespace controller finishes it in the background.
    await core.deleteNamespace({ name }).catch(() => undefined);
  });
  if (withClusterClass) await testSandbox().installClusterClass(name);
  return { name, kc, core, objects: KubernetesObjectApi.makeApiClient(kc) };
}
