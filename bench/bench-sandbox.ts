/**
 * What a bench run alone (`node bench/<file>.ts`) opens before it measures: a sandbox of the benches'
 * own, brought up if it is not running; a namespace; a fresh admin key; the environment the MCP
 * function is configured with; and, for the benches that go through HTTP, a local server with a real
 * MCP client. `npm run bench` (run.ts) opens its own, with the workflow engine.
 *
 * Two sandboxes, never the test sandbox (`.capi-mcp/test`, port base 21000) that test runs share:
 * - `bench`: `.capi-mcp/bench`, port base 11000, as `npm run bench`;
 * - `scale`: `BENCH_SCALE_DATA_DIR` (default `.capi-mcp/bench-scale`) and `BENCH_SCALE_PORT_BASE`
 *   (default 26000), for the scale benches, so a long seeding never slows a bench run in progress.
 *
 * Rules: a namespace found is used and left as it was found; one made here is deleted on close, unless
 * BENCH_KEEP=1 keeps it, and then the sandbox too is left running, so the next run skips both the
 * seeding and the start. Otherwise a sandbox started here is stopped on close; one found running is left.
 */
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { startLocalServer } from '../local/server.ts';
import { repoRoot } from '../sandbox/layout.ts';
import { Sandbox } from '../sandbox/sandbox.ts';
import { loadConfig } from '../shared/config/config.ts';
import { mcpPath } from '../shared/http/web-handler.ts';
import { kubeClientFor, type KubeClient } from '../shared/kube/client.ts';
import { createBenchKey, requestHeaders, type BenchKey } from './access.ts';
import { seedStuckClusters, type SeedOptions, type SeedResult } from './stuck-clusters.ts';

export interface BenchSandboxOptions {
  readonly sandbox: 'bench' | 'scale';
  /** Names the generated namespace, the key's folder and the server log, so runs side by side differ. */
  readonly purpose: string;
  /** A namespace to use as found (created if absent); without it, `bench-<purpose>-<random>`. */
  readonly namespace?: string;
  /** CAPI_MCP_READ_ONLY of the function; the read benches run the function as deployed without a state machine. */
  readonly readOnly?: boolean;
  /** Installs the in-memory ClusterClass in the namespace. */
  readonly clusterClass?: boolean;
  readonly log?: (line: string) => void;
}

export interface BenchSandbox {
  readonly sandbox: Sandbox;
  readonly kubeconfig: string;
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  readonly custom: CustomObjectsApi;
  /** capi-mcp's client (kept connections, a 60 s deadline for a loaded machine), for seeding. */
  readonly kube: KubeClient;
  readonly namespace: string;
  readonly key: BenchKey;
  /** The MCP function's environment: this sandbox as management cluster `bench`, the key store, a log file. */
  readonly functionEnv: Readonly<Record<string, string>>;
  /** Makes the namespace hold `count` stuck Clusters with a phase (see stuck-clusters.ts), faster on the scale sandbox. */
  seedClusters(count: number, options?: Omit<SeedOptions, 'log'>): Promise<SeedResult>;
  close(): Promise<void>;
}

const clusters = { group: 'cluster.x-k8s.io', version: 'v1beta2', plural: 'clusters' } as const;

export async function benchSandbox(options: BenchSandboxOptions): Promise<BenchSandbox> {
  const log = options.log ?? ((line: string) => console.log(`[bench] ${line}`));
  const { dataDir, portBase } = where(options.sandbox);
  const sandbox = new Sandbox({ dataDir, portBase });
  const started = !(await sandbox.status()).healthy;
  await sandbox.up(log);
  const kc = new KubeConfig();
  kc.loadFromFile(sandbox.paths.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const kube = await kubeClientFor(kc, { timeoutMs: 60_000 });
  const namespace = options.namespace ?? `bench-${options.purpose}-${randomBytes(3).toString('hex')}`;
  const found = await core.readNamespace({ name: namespace }).then(
    () => true,
    () => false,
  );
  if (!found) await core.createNamespace({ body: { metadata: { name: namespace } } });
  if (options.clusterClass) await sandbox.installClusterClass(namespace);
  const key = await createBenchKey(join(dataDir, `auth-${options.purpose}`));
  const keep = process.env.BENCH_KEEP === '1';
  return {
    sandbox,
    kubeconfig: sandbox.paths.kubeconfig,
    kc,
    core,
    custom,
    kube,
    namespace,
    key,
    functionEnv: {
      CAPI_MCP_MANAGEMENT_CLUSTERS: JSON.stringify([{ name: 'bench', kubeconfig: sandbox.paths.kubeconfig }]),
      CAPI_MCP_READ_ONLY: String(options.readOnly ?? true),
      CAPI_MCP_API_KEYS_FILE: key.storeFile,
      CAPI_MCP_LOG_FILE: join(dataDir, `server-${options.purpose}.log`),
    },
    // Only the scale sandbox has its core manager restarted for a seeding: the bench sandbox may be in use by a run.
    seedClusters: (count, seedOptions) => seedStuckClusters(kube, namespace, count, { ...seedOptions, log, ...(options.sandbox === 'scale' ? { sandbox } : {}) }),
    async close() {
      if (found || keep) {
        log(`kept namespace ${namespace}${keep ? ' and the sandbox running' : ''}`);
        if (keep) return;
      } else {
        // Clusters first, so their controllers tear them down while the ClusterClass still exists.
        await custom.deleteCollectionNamespacedCustomObject({ ...clusters, namespace }).catch(() => undefined);
        await core.deleteNamespace({ name: namespace }).catch(() => undefined);
      }
      if (started) await sandbox.down();
    },
  };
}

function where(choice: BenchSandboxOptions['sandbox']): { dataDir: string; portBase: number } {
  if (choice === 'bench') return { dataDir: join(repoRoot, '.capi-mcp', 'bench'), portBase: 11000 };
  const dataDir = resolve(process.env.BENCH_SCALE_DATA_DIR ?? join(repoRoot, '.capi-mcp', 'bench-scale'));
  const portBase = Number(process.env.BENCH_SCALE_PORT_BASE ?? 26000);
  if (dataDir === resolve(repoRoot, '.capi-mcp', 'test') || portBase === 21000) throw new Error('the scale benches never run on the test sandbox');
  return { dataDir, portBase };
}

export interface BenchClient {
  /** A tool call that must succeed: a tool error stops the bench with the tool's own text. */
  callTool(name: string, args: Record<string, unknown>): Promise<any>;
  close(): Promise<void>;
}

/**
 * A local server configured with `env`, and a real MCP client connected to it over HTTP with `key`. As
 * `npm run bench`, the client lists the tools first, so it has the output schemas and checks each result
 * as an agent's client would.
 */
export async function benchClient(env: Readonly<Record<string, string>>, key: BenchKey): Promise<BenchClient> {
  const server = await startLocalServer(loadConfig(env), { port: 0 });
  const client = new Client({ name: 'capi-mcp-bench', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
  try {
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}${mcpPath}`), { requestInit: { headers: requestHeaders(key) } }));
    await client.listTools();
  } catch (error) {
    await server.close();
    throw error;
  }
  return {
    async callTool(name, args) {
      const result = (await client.callTool({ name, arguments: args })) as any;
      if (result.isError) throw new Error(`${name} ${JSON.stringify(args)} failed: ${result.content?.[0]?.text}`);
      return result;
    },
    async close() {
      await client.close().catch(() => undefined);
      await server.close();
    },
  };
}
