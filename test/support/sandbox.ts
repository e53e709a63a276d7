/**
 * The test run's sandbox management cluster: brought up once per `npm test` by the global setup (or
 * reused when a healthy one is already running), on its own data folder and ports so it never touches
 * the sandbox of `npm start`. Each test file gets its own namespace, deleted when the file ends.
 */
import { after } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { KubeConfig, CoreV1Api, KubernetesObjectApi } from '@kubernetes/client-node';
import { repoRoot } from '../../sandbox/layout.ts';
import { Sandbox, auditLogPath } from '../../sandbox/sandbox.ts';
import { eventually } from './wait.ts';

/**
 * The test sandbox: `.capi-mcp/test`, ports 21000–25999 (npm start uses 16000–20999). CAPI_MCP_TEST_PORT_BASE
 * moves it (and the lifecycle test's own sandbox, 15000 below), so a second checkout can run its suite
 * beside a running one. With CAPI_MCP_TEST_AWS=1 (`npm test`, `npm run test:aws`) it runs the AWS profile too (CAPA's
 * manager against moto, sandbox/aws.ts), added in place to a healthy default sandbox. `npm test` runs every file
 * with it, `npm run test:main` every file but test/aws/ without it (removed in place).
 */
export const testPortBase = Number(process.env.CAPI_MCP_TEST_PORT_BASE || 21000);
export const testSandboxOptions = {
  dataDir: join(repoRoot, '.capi-mcp', 'test'),
  portBase: testPortBase,
  providers: (process.env.CAPI_MCP_TEST_AWS === '1' ? ['aws'] : []) as readonly 'aws'[],
};

export function testSandbox(): Sandbox {
  return new Sandbox(testSandboxOptions);
}

/** An admin client configuration for the test sandbox. */
export function adminKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(testSandbox().paths.kubeconfig);
  return kc;
}

/**
 * The test sandbox API server's audit records of one user's requests (it audits ServiceAccounts and the
 * group capi-mcp; sandbox/sandbox.ts): which identity made which call, which no answer can prove.
 */
export function auditRecordsOf(user: string): any[] {
  const text = readFileSync(auditLogPath(testSandbox().paths), 'utf8');
  // Note: only lines whose newline is written: the API server may be appending another request's record
  // (of any file running beside this one) while this reads.
  return completeLines(text)
    .filter((line) => line.includes(user))
    .map((line) => JSON.parse(line))
    .filter((r) => r.user?.username === user);
}

/**
 * `user`'s audit records once `holds` is true of them. The API server writes a request's record as it
 * answers, so a test reading right after an answer (or a workflow step's) can be a moment early: it waits
 * for the record it needs instead of racing it.
 */
export function auditRecordsWhen(user: string, what: string, holds: (records: any[]) => boolean): Promise<any[]> {
  return eventually(`the audit log to record ${what}`, async () => {
    const records = auditRecordsOf(user);
    return { done: holds(records), value: records, seen: `${records.length} records of ${user}` };
  }, { timeoutMs: 30_000, intervalMs: 250 });
}

/** The lines of a log another process appends to, without a last line still being written. */
export function completeLines(text: string): string[] {
  return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean);
}

/**
 * How long a test namespace's simulated machines take to boot (upstream: 10 s). The suite replaces dozens
 * of machines one after another; the controllers' work and every assertion are the same at 2 s.
 */
export const testVmStartupSeconds = 2;

export interface TestNamespace {
  readonly name: string;
  readonly kc: KubeConfig;
  readonly objects: KubernetesObjectApi;
  readonly core: CoreV1Api;
}

/**
 * Creates a namespace for the calling test file (with the in-memory ClusterClass installed when
 * `withClusterClass`, aws-ec2 for the emulated account when `withAwsEc2Class`, aws-eks when `withAwsEksClass`) and deletes it after the
 * file's tests. Call at the top level of a test file.
 */
export async function useNamespace(prefix: string, { withClusterClass = false, withAwsEc2Class = false, withAwsEksClass = false } = {}): Promise<TestNamespace> {
  const kc = adminKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  const objects = KubernetesObjectApi.makeApiClient(kc);
  await core.createNamespace({ body: { metadata: { name, labels: { 'capi-mcp.io/test': 'true' } } } });
  after(async () => {
    // Clusters go first, through CAPI's own deletion flow: deleting the namespace outright removes their
    // infrastructure objects in parallel and strands the Clusters in Deleting.
    await deleteClusters(objects, name);
    await core.deleteNamespace({ name }).catch(() => undefined);
  });
  if (withClusterClass) await testSandbox().installClusterClass(name, { vmStartupSeconds: testVmStartupSeconds });
  if (withAwsEc2Class) await testSandbox().installAwsEc2Class(name);
  if (withAwsEksClass) await testSandbox().installAwsEksClass(name);
  return { name, kc, core, objects };
}

/**
 * Deletes every Cluster of `namespace` and waits until they are gone. Note: a DELETE that failed (on a
 * loaded machine, CAPI's admission webhook can miss its deadline) is asked again on each look, so a
 * Cluster never marked for deletion does not leave the wait running out (seen in CI).
 */
async function deleteClusters(objects: KubernetesObjectApi, namespace: string): Promise<void> {
  const list = async () => (await objects.list('cluster.x-k8s.io/v1beta2', 'Cluster', namespace)).items;
  await eventually(`Clusters of ${namespace} deleted`, async () => {
    const left = await list();
    await Promise.all(left.filter((c) => !c.metadata?.deletionTimestamp).map((c) => objects.delete(c).catch(() => undefined)));
    return { done: left.length === 0, value: undefined, seen: left.map((c) => `${c.metadata?.name}${c.metadata?.deletionTimestamp ? ' (deleting)' : ''}`).join(', ') };
  }, { timeoutMs: 180_000, intervalMs: 2000 });
}
