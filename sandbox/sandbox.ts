/**
 * The local sandbox management cluster: etcd, kube-apiserver, kube-controller-manager (garbage
 * collector and namespace controllers) and the Cluster API managers with the in-memory infrastructure
 * provider, all real binaries on loopback with TLS and RBAC.
 *
 * Rules: `up` reuses a sandbox only when every process runs and it had reached "ready" with the same
 * pins and ports; anything else (a crashed process, a half-finished `up`, other pins) is stopped and
 * cleaned first, with a line saying why. A failed `up` stops what it started. `down` stops exactly the
 * processes recorded in the pid files.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureBinaries, type BinaryCache, type Log } from './build.ts';
import { sandboxPaths, sandboxPorts, type SandboxOptions, type SandboxPaths, type SandboxPorts } from './layout.ts';
import { applyManifests, kubectl, moduleManifests, renderAdmission, renderCrds, writeKubeconfig } from './manifests.ts';
import { ensurePki, type SandboxPki } from './pki.ts';
import { residentMiB, startProcess, stopProcesses, trackedProcesses, runsBinary, type ProcessSpec } from './processes.ts';
import { featureGates, inMemoryClusterClass, providers } from './recipe.ts';

const managerProviders = providers.filter((p) => p.manager);
const managerNames = managerProviders.map((p) => p.manager!);
/** Start order; `down` stops in reverse. */
const processOrder = ['etcd', 'kube-apiserver', 'kube-controller-manager', ...managerNames];

interface SandboxState {
  readonly phase: 'starting' | 'ready' | 'stopped' | 'failed';
  readonly pinHash: string;
  readonly portBase: number;
  readonly updatedAt: string;
  readonly reason?: string;
}

export interface RunningProcess {
  readonly name: string;
  readonly pid: number;
  readonly alive: boolean;
  readonly memoryMiB: number;
}

export interface SandboxStatus {
  readonly phase: SandboxState['phase'] | 'absent';
  /** True when every process runs and the API server answers /readyz. */
  readonly healthy: boolean;
  readonly kubeconfig: string;
  readonly apiServer: string;
  readonly processes: readonly RunningProcess[];
}

export class Sandbox {
  readonly options: SandboxOptions;
  readonly paths: SandboxPaths;
  readonly ports: SandboxPorts;

  constructor(options: SandboxOptions) {
    this.options = options;
    this.paths = sandboxPaths(options);
    this.ports = sandboxPorts(options.portBase, managerNames);
  }

  get apiServerUrl(): string {
    return `https://127.0.0.1:${this.ports.apiServer}`;
  }

  /** Brings the sandbox up, reusing a healthy one. Returns its status once every component answers. */
  async up(log: Log): Promise<SandboxStatus> {
    const started = Date.now();
    const cache = await ensureBinaries(log);
    const state = await this.readState();
    const current = await this.status();
    if (current.healthy && state?.phase === 'ready' && state.pinHash === cache.hash && state.portBase === this.options.portBase) {
      log(`sandbox already running (${this.paths.root}); reusing it`);
      return current;
    }
    await this.cleanStale(state, current, cache, log);

    await this.writeState({ phase: 'starting', pinHash: cache.hash });
    try {
      await this.start(cache, log);
    } catch (error) {
      log(`sandbox failed to start: ${(error as Error).message}`);
      await stopProcesses(this.paths.pids, processOrder);
      await this.writeState({ phase: 'failed', pinHash: cache.hash, reason: (error as Error).message });
      throw error;
    }
    await this.writeState({ phase: 'ready', pinHash: cache.hash });
    const status = await this.status();
    log(`sandbox ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    return status;
  }

  /** Stops every process this sandbox started. Returns the names that were running. */
  async down(): Promise<string[]> {
    const stopped = await stopProcesses(this.paths.pids, processOrder);
    const state = await this.readState();
    if (state) await this.writeState({ phase: 'stopped', pinHash: state.pinHash });
    return stopped;
  }

  /** Stops the sandbox and deletes all its state (etcd data, certificates, logs). */
  async reset(): Promise<string[]> {
    const stopped = await stopProcesses(this.paths.pids, processOrder);
    await rm(this.paths.root, { recursive: true, force: true });
    return stopped;
  }

  async status(): Promise<SandboxStatus> {
    const state = await this.readState();
    const tracked = await trackedProcesses(this.paths.pids);
    const processes = tracked.map((p) => ({ name: p.name, pid: p.pid, alive: p.alive, memoryMiB: p.alive ? residentMiB(p.pid) : 0 }));
    const allRunning = processOrder.every((name) => processes.some((p) => p.name === name && p.alive));
    const healthy = allRunning && existsSync(this.paths.pki) && (await this.httpsStatus(`${this.apiServerUrl}/readyz`)) === 200;
    return {
      phase: state?.phase ?? 'absent',
      healthy,
      kubeconfig: this.paths.kubeconfig,
      apiServer: this.apiServerUrl,
      processes,
    };
  }

  private async cleanStale(state: SandboxState | undefined, current: SandboxStatus, cache: BinaryCache, log: Log) {
    const leftovers = current.processes.filter((p) => p.alive).map((p) => p.name);
    if (leftovers.length > 0 || (state && state.phase !== 'stopped')) {
      const why = !state
        ? 'processes without a state file'
        : state.phase === 'ready'
          ? `not healthy (running: ${leftovers.join(', ') || 'none'})`
          : `left in phase "${state.phase}"${state.reason ? ` (${state.reason})` : ''}`;
      log(`found a stale sandbox in ${this.paths.root}: ${why}; stopping it`);
      await stopProcesses(this.paths.pids, processOrder);
    }
    // A half-finished `up`, other pins or other ports may have left etcd in a state a fresh start
    // would not produce; start from empty storage then. A cleanly stopped sandbox keeps its objects.
    const sameBuild = state?.pinHash === cache.hash && state?.portBase === this.options.portBase;
    if (state && (state.phase !== 'stopped' || !sameBuild) && existsSync(this.paths.etcdData)) {
      log('discarding its etcd data so the sandbox starts clean');
      await rm(this.paths.etcdData, { recursive: true, force: true });
    }
  }

  private async start(cache: BinaryCache, log: Log): Promise<void> {
    const { paths, ports } = this;
    await assertPortsFree(ports);
    for (const dir of [paths.logs, paths.pids, paths.manifests]) await mkdir(dir, { recursive: true });
    const pki = await ensurePki(paths.pki, managerNames);
    await writeKubeconfig(paths.kubeconfig, this.apiServerUrl, { ca: pki.ca.cert, ...pki.admin });
    const caBundle = (await readFile(pki.ca.cert)).toString('base64');
    const bin = (name: string) => join(cache.bin, name);

    log('starting etcd and kube-apiserver');
    await this.launch({ name: 'etcd', binary: bin('etcd'), args: etcdArgs(paths, ports, pki) });
    await this.waitHttps('etcd', `https://127.0.0.1:${ports.etcdClient}/health`, bin('etcd'), pki.etcdClient);
    await writeFile(auditPolicyPath(paths), auditPolicy);
    await this.launch({ name: 'kube-apiserver', binary: bin('kube-apiserver'), args: apiServerArgs(paths, ports, pki) });
    await this.waitHttps('kube-apiserver', `${this.apiServerUrl}/readyz`, bin('kube-apiserver'));

    const crds = [];
    for (const provider of providers) {
      const manager = provider.manager ? ports.managers[provider.manager] : undefined;
      crds.push(...(await renderCrds(provider, manager && { baseUrl: `https://127.0.0.1:${manager.webhook}`, caBundle })));
    }
    log(`installing ${crds.length} CRDs`);
    await applyManifests(paths.kubeconfig, join(paths.manifests, 'crds.yaml'), crds);
    await kubectl(['--kubeconfig', paths.kubeconfig, 'wait', '--for=condition=Established', 'crd', '--all', '--timeout=120s']);

    log(`starting kube-controller-manager and ${managerNames.length} Cluster API managers`);
    await this.launch({ name: 'kube-controller-manager', binary: bin('kube-controller-manager'), args: controllerManagerArgs(paths, ports, pki) });
    for (const provider of managerProviders) {
      await this.launch(managerSpec(provider.manager!, bin(provider.manager!), paths, ports, pki, provider.env));
    }
    await Promise.all([
      this.waitHttps('kube-controller-manager', `https://127.0.0.1:${ports.controllerManager}/healthz`, bin('kube-controller-manager')),
      ...managerNames.map((name) => this.waitHttp(name, `http://127.0.0.1:${ports.managers[name]!.health}/readyz`, bin(name))),
    ]);

    const admission = [];
    for (const provider of managerProviders) {
      const baseUrl = `https://127.0.0.1:${ports.managers[provider.manager!]!.webhook}`;
      admission.push(...(await renderAdmission(provider, { baseUrl, caBundle })));
    }
    log(`registering ${admission.length} admission webhook configurations`);
    await applyManifests(paths.kubeconfig, join(paths.manifests, 'webhooks.yaml'), admission);

    // Installing the ClusterClass sends its objects through the webhooks of every manager (core, control
    // plane, bootstrap, infrastructure), so success here proves each webhook server answers. Note: on a
    // loaded 2-core machine (two test runs side by side) the webhook servers took over a minute after a
    // restart; waiting is harmless, a false failure is not.
    log(`installing ClusterClass "in-memory" in namespace default (proves every webhook answers)`);
    await this.installClusterClass('default', 180_000);
  }

  /**
   * Stops the kube-apiserver alone — etcd and the controllers keep running and reconnect once it is back
   * (no leader election here, so none of them exits meanwhile). For tests of an API outage.
   */
  async stopApiServer(): Promise<void> {
    await stopProcesses(this.paths.pids, processOrder, 10_000, ['kube-apiserver']);
  }

  /** Starts the kube-apiserver again with the arguments `up` used, and waits until it is ready. */
  async startApiServer(): Promise<void> {
    const pki = await ensurePki(this.paths.pki, managerNames);
    const binary = join((await ensureBinaries(() => {})).bin, 'kube-apiserver');
    await this.launch({ name: 'kube-apiserver', binary, args: apiServerArgs(this.paths, this.ports, pki) });
    await this.waitHttps('kube-apiserver', `${this.apiServerUrl}/readyz`, binary);
  }

  /** Applies the in-memory ClusterClass and its templates in `namespace`, retrying while webhooks warm up. */
  async installClusterClass(namespace: string, timeoutMs = 30_000): Promise<void> {
    const { wrapper, module, file } = inMemoryClusterClass;
    const manifests = await moduleManifests(wrapper, module, file);
    const target = join(this.paths.manifests, `clusterclass-${namespace}.yaml`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await applyManifests(this.paths.kubeconfig, target, manifests, namespace);
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`installing the in-memory ClusterClass failed: ${(error as Error).message}`);
        await sleep(1000);
      }
    }
  }

  private async launch(spec: ProcessSpec): Promise<void> {
    await startProcess(spec, this.paths.pids, this.paths.logs);
  }

  /** Waits for `url` to answer 200 over TLS (sandbox CA, admin identity unless `identity` is given). */
  private async waitHttps(name: string, url: string, binary: string, identity?: { cert: string; key: string }) {
    await this.waitFor(name, binary, async () => (await this.httpsStatus(url, identity)) === 200);
  }

  private async waitHttp(name: string, url: string, binary: string) {
    await this.waitFor(name, binary, async () => {
      try {
        return (await fetch(url, { signal: AbortSignal.timeout(2000) })).status === 200;
      } catch {
        return false;
      }
    });
  }

  /** Polls `ready` until it holds; fails at once, with the log's tail, when the process exits. */
  private async waitFor(name: string, binary: string, ready: () => Promise<boolean>, timeoutMs = 120_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await ready()) return;
      const proc = (await trackedProcesses(this.paths.pids)).find((p) => p.name === name);
      if (!proc || !runsBinary(proc.pid, binary)) throw new Error(`${name} exited during start-up:\n${await this.logTail(name)}`);
      if (Date.now() > deadline) throw new Error(`${name} did not become ready in ${timeoutMs / 1000}s:\n${await this.logTail(name)}`);
      await sleep(250);
    }
  }

  async logTail(name: string, lines = 15): Promise<string> {
    try {
      const text = await readFile(join(this.paths.logs, `${name}.log`), 'utf8');
      return text.trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** HTTP status of a GET over TLS with the sandbox CA; 0 when nothing answers. */
  private async httpsStatus(url: string, identity?: { cert: string; key: string }): Promise<number> {
    const pkiDir = this.paths.pki;
    if (!existsSync(join(pkiDir, 'ca.crt'))) return 0;
    const id = identity ?? { cert: join(pkiDir, 'admin.crt'), key: join(pkiDir, 'admin.key') };
    const [ca, cert, key] = await Promise.all([readFile(join(pkiDir, 'ca.crt')), readFile(id.cert), readFile(id.key)]);
    return new Promise((resolveStatus) => {
      const req = request(url, { ca, cert, key, timeout: 2000 }, (res) => {
        res.resume();
        resolveStatus(res.statusCode ?? 0);
      });
      req.on('error', () => resolveStatus(0));
      req.on('timeout', () => req.destroy());
      req.end();
    });
  }

  private async readState(): Promise<SandboxState | undefined> {
    try {
      return JSON.parse(await readFile(this.paths.state, 'utf8')) as SandboxState;
    } catch {
      return undefined;
    }
  }

  private async writeState(state: Omit<SandboxState, 'updatedAt' | 'portBase'>): Promise<void> {
    await mkdir(this.paths.root, { recursive: true });
    const full: SandboxState = { ...state, portBase: this.options.portBase, updatedAt: new Date().toISOString() };
    await writeFile(this.paths.state, JSON.stringify(full, null, 2));
  }
}

/** Fails fast, naming the port, when something else (often another sandbox) holds one of ours. */
async function assertPortsFree(ports: SandboxPorts): Promise<void> {
  const wanted = [ports.apiServer, ports.etcdClient, ports.etcdPeer, ports.controllerManager, ports.inMemory.debug];
  for (const m of Object.values(ports.managers)) wanted.push(m.webhook, m.health, m.diagnostics);
  for (const port of wanted) {
    const free = await new Promise<boolean>((resolveFree) => {
      const probe = createServer();
      probe.once('error', () => resolveFree(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolveFree(true)));
    });
    if (!free) {
      throw new Error(
        `port ${port} on 127.0.0.1 is in use (another sandbox with the same port base?); stop it or choose another --port-base / CAPI_MCP_SANDBOX_PORT_BASE`,
      );
    }
  }
}

function etcdArgs(paths: SandboxPaths, ports: SandboxPorts, pki: SandboxPki): string[] {
  const client = `https://127.0.0.1:${ports.etcdClient}`;
  const peer = `https://127.0.0.1:${ports.etcdPeer}`;
  return [
    '--name=sandbox',
    `--data-dir=${paths.etcdData}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=sandbox=${peer}`,
    `--cert-file=${pki.etcdServer.cert}`,
    `--key-file=${pki.etcdServer.key}`,
    `--trusted-ca-file=${pki.ca.cert}`,
    '--client-cert-auth',
    `--peer-cert-file=${pki.etcdServer.cert}`,
    `--peer-key-file=${pki.etcdServer.key}`,
    `--peer-trusted-ca-file=${pki.ca.cert}`,
    '--peer-client-cert-auth',
    // Note: a sandbox trades durability on power loss for speed; its data is disposable.
    '--unsafe-no-fsync',
    '--log-level=warn',
  ];
}

/**
 * What the API server audits: every request of an identity capi-mcp runs as — the group `capi-mcp` (what
 * the EKS access entry maps the functions' IAM roles to) and ServiceAccounts (a self-hosted capi-mcp) —
 * and nothing of the controllers or the admin, so the log stays small. It answers "which identity made
 * this change", which no response the server gets can prove (tests read it to prove the workflow steps'
 * identity; an operator reads it to see what capi-mcp did). Metadata level: who, verb, object, URI, status;
 * never a request body, so no Secret content lands on disk.
 */
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    userGroups: ["capi-mcp", "system:serviceaccounts"]
  - level: None
`;

const auditPolicyPath = (paths: SandboxPaths) => join(paths.root, 'audit-policy.yaml');

/** The API server's audit log (JSON lines, one per request of a capi-mcp identity; see auditPolicy). */
export const auditLogPath = (paths: SandboxPaths) => join(paths.logs, 'kube-apiserver-audit.log');

function apiServerArgs(paths: SandboxPaths, ports: SandboxPorts, pki: SandboxPki): string[] {
  const issuer = 'https://kubernetes.default.svc.cluster.local';
  return [
    `--audit-policy-file=${auditPolicyPath(paths)}`,
    `--audit-log-path=${auditLogPath(paths)}`,
    '--audit-log-format=json',
    // Note: the log backend writes before the response is sent (blocking mode, the default), so a test
    // reading it after a call's answer finds that call's record.
    '--audit-log-mode=blocking',
    '--audit-log-maxsize=100',
    '--audit-log-maxbackup=1',
    `--etcd-servers=https://127.0.0.1:${ports.etcdClient}`,
    `--etcd-cafile=${pki.ca.cert}`,
    `--etcd-certfile=${pki.etcdClient.cert}`,
    `--etcd-keyfile=${pki.etcdClient.key}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${ports.apiServer}`,
    `--tls-cert-file=${pki.apiServer.cert}`,
    `--tls-private-key-file=${pki.apiServer.key}`,
    `--client-ca-file=${pki.ca.cert}`,
    '--authorization-mode=RBAC',
    `--service-account-issuer=${issuer}`,
    `--service-account-key-file=${pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    '--allow-privileged=false',
    '--profiling=false',
  ];
}

function controllerManagerArgs(paths: SandboxPaths, ports: SandboxPorts, pki: SandboxPki): string[] {
  return [
    `--kubeconfig=${paths.kubeconfig}`,
    `--authentication-kubeconfig=${paths.kubeconfig}`,
    `--authorization-kubeconfig=${paths.kubeconfig}`,
    // Only what CAPI relies on: owner-reference garbage collection and namespace deletion.
    '--controllers=garbagecollector,namespace',
    '--bind-address=127.0.0.1',
    `--secure-port=${ports.controllerManager}`,
    `--tls-cert-file=${pki.controllerManager.cert}`,
    `--tls-private-key-file=${pki.controllerManager.key}`,
    '--leader-elect=false',
    '--use-service-account-credentials=false',
  ];
}

function managerSpec(
  name: string,
  binary: string,
  paths: SandboxPaths,
  ports: SandboxPorts,
  pki: SandboxPki,
  env: Readonly<Record<string, string>> = {},
): ProcessSpec {
  const p = ports.managers[name]!;
  const { debug, min, max } = ports.inMemory;
  return {
    name,
    binary,
    args: [
      '--leader-elect=false',
      `--webhook-port=${p.webhook}`,
      `--webhook-cert-dir=${pki.webhookDirs[name]}`,
      `--health-addr=127.0.0.1:${p.health}`,
      `--diagnostics-address=127.0.0.1:${p.diagnostics}`,
      '--insecure-diagnostics',
      `--feature-gates=${featureGates}`,
    ],
    env: { KUBECONFIG: paths.kubeconfig, CAPI_MCP_INMEMORY_PORTS: `${debug},${min},${max}`, ...env },
  };
}
