/**
 * Where a sandbox keeps its files and which loopback ports it uses. Everything a running sandbox owns
 * lives under one data folder, and every port derives from one base, so two sandboxes (tests and
 * `npm start`) can run side by side by differing in those two settings only.
 */
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** sandbox/ in this checkout: the Go wrapper modules and the files their patches add. */
export const sandboxSourceDir = dirname(fileURLToPath(import.meta.url));
export const repoRoot = dirname(sandboxSourceDir);

/** Default port base for `npm start`; tests use their own (see test/support). */
export const defaultPortBase = 16000;

export interface SandboxOptions {
  /** Folder for the sandbox's state (the `sandbox/` folder inside it is the sandbox's own). */
  readonly dataDir: string;
  /** First port of the sandbox's block; see {@link sandboxPorts}. */
  readonly portBase: number;
  /** Opt-in provider profiles: `aws` runs CAPA's manager against a local moto (sandbox/aws.ts). */
  readonly providers?: readonly SandboxProvider[];
}

export const sandboxProviders = ['aws'] as const;
export type SandboxProvider = (typeof sandboxProviders)[number];

/** A `--providers` value: a comma-separated list of known profiles (empty: the default sandbox). */
export function parseProviders(value: string): SandboxProvider[] {
  const names = value.split(',').map((n) => n.trim()).filter(Boolean);
  for (const name of names) {
    if (!(sandboxProviders as readonly string[]).includes(name)) {
      throw new Error(`unknown sandbox provider "${name}" (known: ${sandboxProviders.join(', ')})`);
    }
  }
  return [...new Set(names)] as SandboxProvider[];
}

/** Options from the environment: CAPI_MCP_DATA_DIR, CAPI_MCP_SANDBOX_PORT_BASE and CAPI_MCP_SANDBOX_PROVIDERS. */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): SandboxOptions {
  return {
    dataDir: resolve(env.CAPI_MCP_DATA_DIR || join(repoRoot, '.capi-mcp')),
    portBase: parsePortBase(env.CAPI_MCP_SANDBOX_PORT_BASE ?? String(defaultPortBase)),
    providers: parseProviders(env.CAPI_MCP_SANDBOX_PROVIDERS ?? ''),
  };
}

export function parsePortBase(value: string): number {
  const base = Number(value);
  // The block spans base .. base+4999 and must stay below Linux's ephemeral range (32768+).
  if (!Number.isInteger(base) || base < 1024 || base + 4999 >= 32768) {
    throw new Error(`sandbox port base must be an integer from 1024 to 27768, got "${value}"`);
  }
  return base;
}

export interface SandboxPaths {
  readonly root: string;
  readonly kubeconfig: string;
  readonly pki: string;
  readonly logs: string;
  readonly pids: string;
  readonly etcdData: string;
  readonly manifests: string;
  /** Written at each phase of `up`; "ready" only once every component answered. */
  readonly state: string;
}

export function sandboxPaths(options: SandboxOptions): SandboxPaths {
  const root = join(options.dataDir, 'sandbox');
  return {
    root,
    kubeconfig: join(root, 'kubeconfig'),
    pki: join(root, 'pki'),
    logs: join(root, 'logs'),
    pids: join(root, 'pids'),
    etcdData: join(root, 'etcd'),
    manifests: join(root, 'manifests'),
    state: join(root, 'state.json'),
  };
}

export interface ManagerPorts {
  readonly webhook: number;
  readonly health: number;
  readonly diagnostics: number;
}

export interface SandboxPorts {
  readonly apiServer: number;
  readonly etcdClient: number;
  readonly etcdPeer: number;
  readonly controllerManager: number;
  /** Per manager binary name. */
  readonly managers: Readonly<Record<string, ManagerPorts>>;
  /** The in-memory provider's debug server and the range its workload API servers bind to. */
  readonly inMemory: { readonly debug: number; readonly min: number; readonly max: number };
  /** moto's server, when the AWS profile runs (sandbox/aws.ts). */
  readonly moto: number;
}

/** Ports of a sandbox: a fixed layout inside the block [base, base+4999]. */
export function sandboxPorts(base: number, managerNames: readonly string[]): SandboxPorts {
  const managers: Record<string, ManagerPorts> = {};
  managerNames.forEach((name, i) => {
    managers[name] = { webhook: base + 10 + 3 * i, health: base + 11 + 3 * i, diagnostics: base + 12 + 3 * i };
  });
  return {
    apiServer: base,
    etcdClient: base + 1,
    etcdPeer: base + 2,
    controllerManager: base + 3,
    managers,
    inMemory: { debug: base + 99, min: base + 1000, max: base + 4999 },
    moto: base + 90,
  };
}

/** The Go binaries' cache: outside the checkout, so fresh clones on this machine reuse it. */
export function binaryCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'capi-mcp', 'sandbox');
}
