/**
 * What `up` does with the sandbox it finds, and which processes a sandbox must run to be healthy: pure, so each
 * case is a unit test (test/unit/sandbox-up-plan.test.ts); sandbox.ts reads the state and the processes and
 * acts on the plan.
 *
 * Why in-place paths exist at all: a sandbox is shared (the test suite's serves every test run on the
 * machine: `npm test` and `npm run test:aws` with the profile, `npm run test:main` without), and restarting one discards its etcd
 * data and breaks whatever runs against it. The AWS profile is two processes beside the others (moto, CAPA's
 * manager) and CAPA's webhooks, so a healthy sandbox of the same default pins gets it added or removed in place.
 */
import { capaManager } from './aws.ts';
import { managerNames } from './flags.ts';
import type { SandboxProvider } from './layout.ts';

/** The sandbox's state file (state.json), written at each phase of `up`. */
export interface SandboxState {
  readonly phase: 'starting' | 'ready' | 'stopped' | 'failed';
  readonly pinHash: string;
  readonly portBase: number;
  /** The opt-in profiles it runs (absent: none). */
  readonly providers?: readonly SandboxProvider[];
  readonly updatedAt: string;
  readonly reason?: string;
}

/** The processes of the default sandbox, in start order (`down` stops in reverse). */
export const defaultProcesses: readonly string[] = ['etcd', 'kube-apiserver', 'kube-controller-manager', ...managerNames];

/** The AWS profile's processes, started after the default ones. */
export const awsProcesses: readonly string[] = ['moto', capaManager.name];

/** Every process a sandbox may run: what `down` stops. */
export const allProcesses: readonly string[] = [...defaultProcesses, ...awsProcesses];

/**
 * The processes a sandbox must run: those of the profiles it was started with when its state says so (a
 * `status` without --providers judges an AWS sandbox whole, and one with --providers does not call a default
 * sandbox broken for lacking moto), else those of the profiles asked for.
 */
export function expectedProcesses(state: Pick<SandboxState, 'providers'> | undefined, profiles: readonly SandboxProvider[]): string[] {
  const running = state ? (state.providers ?? []) : profiles;
  return [...defaultProcesses, ...(running.includes('aws') ? awsProcesses : [])];
}

export interface WantedSandbox {
  /** The default binaries' pin hash. */
  readonly defaultHash: string;
  /** The pin hash of the whole sandbox asked for: the default's, joined with each profile's. */
  readonly hash: string;
  readonly portBase: number;
  readonly profiles: readonly SandboxProvider[];
}

export type UpPlan =
  | { readonly action: 'reuse' }
  | { readonly action: 'add-aws' }
  | { readonly action: 'remove-aws' }
  | { readonly action: 'start' };

/**
 * Reuse a healthy, ready sandbox of the same pins and ports; add the AWS profile to a healthy, ready default
 * sandbox of the same default pins and ports, or remove it from one asked for without it; start afresh
 * otherwise (sandbox.ts stops and cleans first), e.g. for another build of the profile.
 */
export function planUp(state: SandboxState | undefined, healthy: boolean, wanted: WantedSandbox): UpPlan {
  if (!healthy || state?.phase !== 'ready' || state.portBase !== wanted.portBase) return { action: 'start' };
  if (state.pinHash === wanted.hash) return { action: 'reuse' };
  const running = state.providers ?? [];
  if (running.length === 0 && state.pinHash === wanted.defaultHash && wanted.profiles.includes('aws')) return { action: 'add-aws' };
  const awsOf = (hash: string) => hash.startsWith(`${wanted.defaultHash}+`);
  if (running.includes('aws') && awsOf(state.pinHash) && wanted.profiles.length === 0) return { action: 'remove-aws' };
  return { action: 'start' };
}
