/**
 * The local sandbox management cluster: etcd, kube-apiserver, kube-controller-manager (garbage
 * collector and namespace controllers) and the Cluster API managers with the in-memory infrastructure
 * provider, all real binaries on loopback with TLS and RBAC.
 *
 * Rules: `up` reuses a sandbox only when every process runs and it had reached "ready" with the same
 * pins and ports; anything else (a crashed process, a half-finished `up`, other pins) is stopped and
 * cleaned first, with a line saying why. A failed `up` stops what it started. `down` stops exactly the
 * processes recorded in the pid files.
 *
 * This file is the lifecycle and the start-up order; the processes' command lines are in flags.ts (pure,
 * unit-tested) and the readiness probes and port checks in probes.ts.
 */
import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { awsProfile, awsProvider, capaManagerSpec, emulatedAwsEc2Class, emulatedImageVersions, emulatedRegions, motoServerSpec, seedEnvironment } from './aws.ts';
import { ensureBinaries, ensureProfileBinaries, type BinaryCache, type Log } from './build.ts';
import { moduleSource } from './go-modules.ts';
import { apiServerArgs, auditPolicy, auditPolicyPath, controllerManagerArgs, etcdArgs, goRuntimeEnv, managerSpec } from './flags.ts';
import { repoRoot, sandboxPaths, sandboxPorts, sandboxSourceDir, type SandboxOptions, type SandboxPaths, type SandboxPorts, type SandboxProvider } from './layout.ts';
import { applyManifests, kubectl, moduleManifests, renderAdmission, renderCrds, servingStorageVersionOnly, toYaml, withVmStartup, writeKubeconfig } from './manifests.ts';
import { ensurePki, type KeyPairFiles } from './pki.ts';
import { assertPortsFree, assertSomePortsFree, httpStatus, httpsStatus, waitFor } from './probes.ts';
import { residentMiB, startProcess, stopProcesses, trackedProcesses, runsBinary, type ProcessSpec } from './processes.ts';
import { ensureMoto } from './moto.ts';
import { inMemoryClusterClass, providers, type ProviderSpec } from './recipe.ts';
import { allProcesses, awsProcesses, expectedProcesses, planUp, type SandboxState } from './up-plan.ts';

const execFileAsync = promisify(execFile);

/** The API server's audit log; see flags.ts. */
export { auditLogPath } from './flags.ts';

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

  /** The opt-in profiles this sandbox runs. */
  readonly profiles: readonly SandboxProvider[];
  /** The providers whose CRDs it installs, with the profiles' managers; and those of them that run a manager. */
  private readonly providers: readonly ProviderSpec[];
  private readonly managerProviders: readonly ProviderSpec[];

  constructor(options: SandboxOptions) {
    this.options = options;
    this.profiles = options.providers ?? [];
    this.paths = sandboxPaths(options);
    const aws = this.profiles.includes('aws');
    this.providers = aws ? providers.map((p) => (p.name === awsProvider.name ? awsProvider : p)) : providers;
    this.managerProviders = this.providers.filter((p) => p.manager);
    this.ports = sandboxPorts(options.portBase, this.managerProviders.map((p) => p.manager!));
  }

  /** `http://127.0.0.1:<port>` of the AWS profile's moto. */
  get awsEndpoint(): string {
    return `http://127.0.0.1:${this.ports.moto}`;
  }

  get apiServerUrl(): string {
    return `https://127.0.0.1:${this.ports.apiServer}`;
  }

  /** Brings the sandbox up, reusing a healthy one. Returns its status once every component answers. */
  async up(log: Log): Promise<SandboxStatus> {
    const started = Date.now();
    const defaultCache = await ensureBinaries(log);
    const awsCache = this.profiles.includes('aws') ? await this.ensureAwsBinaries(log) : undefined;
    // The state's pin covers the profiles too: a sandbox with other profiles is another sandbox.
    const cache: BinaryCache = awsCache ? { ...defaultCache, hash: `${defaultCache.hash}+${awsCache.hash}` } : defaultCache;
    const state = await this.readState();
    const current = await this.status();
    const plan = planUp(state, current.healthy, { defaultHash: defaultCache.hash, hash: cache.hash, portBase: this.options.portBase, profiles: this.profiles });
    if (plan.action === 'reuse') {
      log(`sandbox already running (${this.paths.root}); reusing it`);
      return current;
    }
    if (plan.action === 'add-aws') {
      await this.addAwsProfile(cache.hash, awsCache!, log);
      const status = await this.status();
      log(`AWS profile added in ${((Date.now() - started) / 1000).toFixed(1)}s`);
      return status;
    }
    if (plan.action === 'remove-aws') {
      await this.removeAwsProfile(cache.hash, log);
      const status = await this.status();
      log(`AWS profile removed in ${((Date.now() - started) / 1000).toFixed(1)}s`);
      return status;
    }
    await this.cleanStale(state, current, cache, log);

    await this.writeState({ phase: 'starting', pinHash: cache.hash });
    try {
      await this.start(defaultCache, awsCache, log);
    } catch (error) {
      log(`sandbox failed to start: ${(error as Error).message}`);
      await stopProcesses(this.paths.pids, allProcesses);
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
    const stopped = await stopProcesses(this.paths.pids, allProcesses);
    const state = await this.readState();
    if (state) await this.writeState({ phase: 'stopped', pinHash: state.pinHash, providers: state.providers });
    return stopped;
  }

  /** Stops the sandbox and deletes all its state (etcd data, certificates, logs). */
  async reset(): Promise<string[]> {
    const stopped = await stopProcesses(this.paths.pids, allProcesses);
    await rm(this.paths.root, { recursive: true, force: true });
    return stopped;
  }

  async status(): Promise<SandboxStatus> {
    const state = await this.readState();
    const tracked = await trackedProcesses(this.paths.pids);
    const processes = tracked.map((p) => ({ name: p.name, pid: p.pid, alive: p.alive, memoryMiB: p.alive ? residentMiB(p.pid) : 0 }));
    const expected = expectedProcesses(state, this.profiles);
    const allRunning = expected.every((name) => processes.some((p) => p.name === name && p.alive));
    const healthy = allRunning && existsSync(this.paths.pki) && (await httpsStatus(`${this.apiServerUrl}/readyz`, this.paths.pki)) === 200;
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
      await stopProcesses(this.paths.pids, allProcesses);
    }
    // A half-finished `up`, other pins or other ports may have left etcd in a state a fresh start
    // would not produce; start from empty storage then. A cleanly stopped sandbox keeps its objects.
    const sameBuild = state?.pinHash === cache.hash && state?.portBase === this.options.portBase;
    if (state && (state.phase !== 'stopped' || !sameBuild) && existsSync(this.paths.etcdData)) {
      log('discarding its etcd data so the sandbox starts clean');
      await rm(this.paths.etcdData, { recursive: true, force: true });
    }
  }

  private async start(cache: BinaryCache, awsCache: BinaryCache | undefined, log: Log): Promise<void> {
    const { paths, ports } = this;
    const managerProviders = this.managerProviders;
    const managers = managerProviders.map((p) => p.manager!);
    await assertPortsFree(ports, awsCache ? [ports.moto] : []);
    for (const dir of [paths.logs, paths.pids, paths.manifests]) await mkdir(dir, { recursive: true });
    const pki = await ensurePki(paths.pki, managers);
    await writeKubeconfig(paths.kubeconfig, this.apiServerUrl, { ca: pki.ca.cert, ...pki.admin });
    const caBundle = (await readFile(pki.ca.cert)).toString('base64');
    const bin = (name: string) => join(awsCache && awsProfile.binaries.some((b) => b.name === name) ? awsCache.bin : cache.bin, name);

    log('starting etcd and kube-apiserver');
    await this.launch({ name: 'etcd', binary: bin('etcd'), args: etcdArgs(paths, ports, pki) });
    await this.waitHttps('etcd', `https://127.0.0.1:${ports.etcdClient}/health`, bin('etcd'), pki.etcdClient);
    await writeFile(auditPolicyPath(paths), auditPolicy);
    await this.launch({ name: 'kube-apiserver', binary: bin('kube-apiserver'), args: apiServerArgs(paths, ports, pki) });
    await this.waitHttps('kube-apiserver', `${this.apiServerUrl}/readyz`, bin('kube-apiserver'));

    if (awsCache) await this.startMoto(log);

    const crds = [];
    for (const provider of this.providers) {
      const manager = provider.manager ? ports.managers[provider.manager] : undefined;
      const rendered = await renderCrds(provider, manager && { baseUrl: `https://127.0.0.1:${manager.webhook}`, caBundle });
      // Cluster API's own CRDs serve only their storage version (see servingStorageVersionOnly); CAPA's stay as shipped.
      crds.push(...(provider.name === awsProvider.name ? rendered : rendered.map(servingStorageVersionOnly)));
    }
    log(`installing ${crds.length} CRDs`);
    await applyManifests(paths.kubeconfig, join(paths.manifests, 'crds.yaml'), crds);
    await kubectl(['--kubeconfig', paths.kubeconfig, 'wait', '--for=condition=Established', 'crd', '--all', '--timeout=120s']);

    log(`starting kube-controller-manager and ${managers.length} Cluster API managers${awsCache ? ' (CAPA\'s pointed at moto)' : ''}`);
    await this.launch({ name: 'kube-controller-manager', binary: bin('kube-controller-manager'), args: controllerManagerArgs(paths, ports, pki) });
    for (const provider of managerProviders) {
      const name = provider.manager!;
      await this.launch(
        name === awsProvider.manager
          ? capaManagerSpec(bin(name), paths, ports, pki.webhookDirs[name]!, this.awsEndpoint)
          : managerSpec(name, bin(name), paths, ports, pki, provider.env),
      );
    }
    await Promise.all([
      this.waitHttps('kube-controller-manager', `https://127.0.0.1:${ports.controllerManager}/healthz`, bin('kube-controller-manager')),
      ...managers.map((name) => this.waitHttp(name, `http://127.0.0.1:${ports.managers[name]!.health}/readyz`, bin(name))),
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
    await this.installClusterClass('default', { timeoutMs: 180_000 });
    if (awsCache) {
      log('installing ClusterClass "aws-ec2" for the emulated account in namespace default (proves CAPA\'s webhooks answer)');
      await this.installAwsEc2Class('default', { timeoutMs: 180_000 });
    }
  }

  /**
   * Adds the AWS profile to this running default sandbox (up-plan.ts says when): moto, then CAPA's manager, and
   * only once it answers are the AWS CRDs' conversion and CAPA's admission webhooks wired to it, so the objects
   * already stored stay readable throughout. On failure the profile's processes are stopped and the state says
   * "failed", so the next `up` starts the whole sandbox afresh.
   */
  private async addAwsProfile(hash: string, awsCache: BinaryCache, log: Log): Promise<void> {
    const { paths, ports } = this;
    const capa = awsProvider.manager!;
    log(`adding the AWS profile to the running sandbox (${paths.root}): moto and CAPA's manager`);
    const capaPorts = ports.managers[capa]!;
    // Note: before the state changes and outside the clean-up: a busy port may be another `up` adding the
    // profile at this moment, whose processes are not this one's to stop.
    await assertSomePortsFree([ports.moto, capaPorts.webhook, capaPorts.health, capaPorts.diagnostics]);
    await this.writeState({ phase: 'starting', pinHash: hash });
    try {
      const pki = await ensurePki(paths.pki, this.managerProviders.map((p) => p.manager!));
      const caBundle = (await readFile(pki.ca.cert)).toString('base64');
      await this.startMoto(log);
      const binary = join(awsCache.bin, capa);
      await this.launch(capaManagerSpec(binary, paths, ports, pki.webhookDirs[capa]!, this.awsEndpoint));
      await this.waitHttp(capa, `http://127.0.0.1:${capaPorts.health}/readyz`, binary);
      const endpoint = { baseUrl: `https://127.0.0.1:${capaPorts.webhook}`, caBundle };
      const crds = await renderCrds(awsProvider, endpoint);
      log(`wiring ${crds.length} AWS CRDs' conversion and CAPA's admission webhooks to its manager`);
      await applyManifests(paths.kubeconfig, join(paths.manifests, 'crds-aws.yaml'), crds);
      await applyManifests(paths.kubeconfig, join(paths.manifests, 'webhooks-aws.yaml'), await renderAdmission(awsProvider, endpoint));
      log('installing ClusterClass "aws-ec2" for the emulated account in namespace default (proves CAPA\'s webhooks answer)');
      await this.installAwsEc2Class('default', { timeoutMs: 180_000 });
    } catch (error) {
      log(`adding the AWS profile failed: ${(error as Error).message}`);
      await stopProcesses(paths.pids, allProcesses, undefined, awsProcesses);
      await this.writeState({ phase: 'failed', pinHash: hash, reason: `adding the AWS profile: ${(error as Error).message}` });
      throw error;
    }
    await this.writeState({ phase: 'ready', pinHash: hash });
  }

  /**
   * Removes the AWS profile from this running sandbox, asked for without it (up-plan.ts says when): the AWS CRDs
   * lose their conversion webhook and CAPA's admission webhooks go while CAPA's manager still answers, then
   * moto and the manager stop — what a default sandbox has, without a restart. On failure the state says
   * "failed", so the next `up` starts the whole sandbox afresh.
   * Note: AWS objects CAPA holds a finalizer on stay until the profile returns; tests delete theirs first.
   */
  private async removeAwsProfile(hash: string, log: Log): Promise<void> {
    const { paths } = this;
    log(`removing the AWS profile from the running sandbox (${paths.root}): CAPA's webhooks, its manager and moto`);
    await this.writeState({ phase: 'starting', pinHash: hash });
    try {
      const plain = providers.find((p) => p.name === awsProvider.name)!;
      await applyManifests(paths.kubeconfig, join(paths.manifests, 'crds-aws.yaml'), await renderCrds(plain, undefined));
      // Only the configurations' kinds and names matter to the deletion: this sandbox's ports no longer list CAPA's.
      const webhooks = await renderAdmission(awsProvider, { baseUrl: 'https://127.0.0.1', caBundle: '' });
      const file = join(paths.manifests, 'webhooks-aws-removed.yaml');
      await writeFile(file, toYaml(webhooks));
      await kubectl(['--kubeconfig', paths.kubeconfig, 'delete', '--ignore-not-found', '-f', file]);
      await stopProcesses(paths.pids, allProcesses, undefined, awsProcesses);
    } catch (error) {
      log(`removing the AWS profile failed: ${(error as Error).message}`);
      await this.writeState({ phase: 'failed', pinHash: hash, reason: `removing the AWS profile: ${(error as Error).message}` });
      throw error;
    }
    await this.writeState({ phase: 'ready', pinHash: hash });
  }

  /** The AWS profile's binaries, after checking that CAPA's manager and CRDs come from one release. */
  private async ensureAwsBinaries(log: Log): Promise<BinaryCache> {
    const [manager, crds] = await Promise.all([
      moduleSource(awsProfile.binaries[0]!.wrapper, awsProvider.module),
      moduleSource(awsProvider.wrapper, awsProvider.module),
    ]);
    if (manager.version !== crds.version) {
      throw new Error(
        `CAPA ${manager.version} (sandbox/go/${awsProfile.binaries[0]!.wrapper}) and its CRDs ${crds.version} (sandbox/go/${awsProvider.wrapper}) must be one release`,
      );
    }
    return ensureProfileBinaries(awsProfile, log, 'first time on this machine: about 6 min on 2 cores');
  }

  /** Starts moto (installing it first if needed) and seeds the emulated account (aws-seed.py). */
  private async startMoto(log: Log): Promise<void> {
    log(`starting moto on ${this.awsEndpoint} (the emulated AWS account)`);
    const python = await ensureMoto();
    const spec = motoServerSpec(python, realpathSync(python), this.ports.moto);
    await this.launch(spec);
    await waitFor(this.starting('moto', spec.exe!), async () => (await httpStatus(`${this.awsEndpoint}/moto-api/data.json`)) === 200);
    await execFileAsync(python, [join(sandboxSourceDir, 'aws-seed.py'), this.awsEndpoint, emulatedRegions.join(','), ...emulatedImageVersions], {
      env: seedEnvironment(this.awsEndpoint, this.paths),
    });
  }

  /** Applies deploy/clusterclasses/aws-ec2, configured for the emulated account (sandbox/aws.ts), in `namespace`. */
  async installAwsEc2Class(namespace: string, { timeoutMs = 30_000 }: { timeoutMs?: number } = {}): Promise<void> {
    const { stdout } = await kubectl(['kustomize', join(repoRoot, 'deploy', 'clusterclasses', 'aws-ec2')]);
    const manifests = emulatedAwsEc2Class(parseAllDocuments(stdout).map((d) => d.toJS() as Record<string, any>).filter(Boolean));
    await this.applyClusterClass('aws-ec2', join(this.paths.manifests, `aws-ec2-${namespace}.yaml`), manifests, namespace, timeoutMs);
  }

  /** Applies deploy/clusterclasses/aws-eks as shipped (no option of it avoids an emulator gap) in `namespace`. */
  async installAwsEksClass(namespace: string, { timeoutMs = 30_000 }: { timeoutMs?: number } = {}): Promise<void> {
    const { stdout } = await kubectl(['kustomize', join(repoRoot, 'deploy', 'clusterclasses', 'aws-eks')]);
    const manifests = parseAllDocuments(stdout).map((d) => d.toJS() as Record<string, any>).filter(Boolean);
    await this.applyClusterClass('aws-eks', join(this.paths.manifests, `aws-eks-${namespace}.yaml`), manifests, namespace, timeoutMs);
  }

  /**
   * Applies the in-memory ClusterClass and its templates in `namespace`, retrying while webhooks warm up;
   * `vmStartupSeconds` shortens its machines' simulated boot (manifests.ts, withVmStartup).
   */
  async installClusterClass(namespace: string, { timeoutMs = 30_000, vmStartupSeconds }: { timeoutMs?: number; vmStartupSeconds?: number } = {}): Promise<void> {
    const { wrapper, module, file } = inMemoryClusterClass;
    const upstream = await moduleManifests(wrapper, module, file);
    const manifests = vmStartupSeconds === undefined ? upstream : withVmStartup(upstream, vmStartupSeconds);
    await this.applyClusterClass('in-memory', join(this.paths.manifests, `clusterclass-${namespace}.yaml`), manifests, namespace, timeoutMs);
  }

  /** Applies a ClusterClass's manifests in `namespace`, retrying each second while webhooks warm up, for `timeoutMs`. */
  private async applyClusterClass(name: string, target: string, manifests: Parameters<typeof applyManifests>[2], namespace: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await applyManifests(this.paths.kubeconfig, target, manifests, namespace);
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`installing the ${name} ClusterClass failed: ${(error as Error).message}`);
        await sleep(1000);
      }
    }
  }

  private async launch(spec: ProcessSpec): Promise<void> {
    await startProcess({ ...spec, env: { ...goRuntimeEnv(process.env), ...spec.env } }, this.paths.pids, this.paths.logs);
  }

  /** Waits for `url` to answer 200 over TLS (sandbox CA, admin identity unless `identity` is given). */
  private async waitHttps(name: string, url: string, binary: string, identity?: KeyPairFiles) {
    await waitFor(this.starting(name, binary), async () => (await httpsStatus(url, this.paths.pki, identity)) === 200);
  }

  private async waitHttp(name: string, url: string, binary: string) {
    await waitFor(this.starting(name, binary), async () => (await httpStatus(url)) === 200);
  }

  /** Process `name` as waitFor sees it: running while its pid file's process runs `binary`. */
  private starting(name: string, binary: string) {
    return {
      name,
      running: async () => {
        const proc = (await trackedProcesses(this.paths.pids)).find((p) => p.name === name);
        return proc !== undefined && runsBinary(proc.pid, binary);
      },
      logTail: () => this.logTail(name),
    };
  }

  async logTail(name: string, lines = 15): Promise<string> {
    try {
      const text = await readFile(join(this.paths.logs, `${name}.log`), 'utf8');
      return text.trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
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
    // Note: a default sandbox's state keeps its exact shape (no providers key), as before the profiles existed.
    const providers = state.providers ?? (this.profiles.length > 0 ? this.profiles : undefined);
    const full: SandboxState = { ...state, ...(providers ? { providers } : {}), portBase: this.options.portBase, updatedAt: new Date().toISOString() };
    await writeFile(this.paths.state, JSON.stringify(full, null, 2));
  }
}
