/**
 * sandbox/up-plan.ts: what `up` does with the sandbox it finds — reuse it, add the AWS profile to a running
 * default sandbox in place (the shared test sandbox keeps its objects and whatever runs against it), or start
 * afresh — and which processes make a sandbox healthy, judged by the profiles it was started with.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { managerNames } from '../../sandbox/flags.ts';
import { expectedProcesses, planUp, type SandboxState, type WantedSandbox } from '../../sandbox/up-plan.ts';

const defaultHash = '5bd12b60a7859272';
const awsHash = `${defaultHash}+aws-0123456789abcdef`;

/** A state file as `up` writes it; the default sandbox's has no providers key. */
const state = (overrides: Partial<SandboxState> = {}): SandboxState => ({
  phase: 'ready',
  pinHash: defaultHash,
  portBase: 21000,
  updatedAt: '2026-12-04T12:00:00.000Z',
  ...overrides,
});
const wantAws: WantedSandbox = { defaultHash, hash: awsHash, portBase: 21000, profiles: ['aws'] };
const wantDefault: WantedSandbox = { defaultHash, hash: defaultHash, portBase: 21000, profiles: [] };

describe('planUp', () => {
  const cases: [string, SandboxState | undefined, boolean, WantedSandbox, string][] = [
    ['reuses a healthy default sandbox asked for as it is', state(), true, wantDefault, 'reuse'],
    ['reuses a healthy AWS sandbox asked for with the profile', state({ pinHash: awsHash, providers: ['aws'] }), true, wantAws, 'reuse'],
    ['adds the AWS profile to a healthy default sandbox of the same pins and ports', state(), true, wantAws, 'add-aws'],
    ['starts afresh when there is no sandbox', undefined, false, wantAws, 'start'],
    ['starts afresh when the default sandbox is not healthy', state(), false, wantAws, 'start'],
    ['starts afresh when the default sandbox is still starting', state({ phase: 'starting' }), true, wantAws, 'start'],
    ['starts afresh when the default sandbox runs other default pins', state({ pinHash: 'ffffffffffffffff' }), true, wantAws, 'start'],
    ['starts afresh when the default sandbox runs on other ports', state({ portBase: 16000 }), true, wantAws, 'start'],
    ['starts afresh when the AWS sandbox runs another build of the profile', state({ pinHash: `${defaultHash}+aws-ffffffffffffffff`, providers: ['aws'] }), true, wantAws, 'start'],
    ['removes the AWS profile from a healthy AWS sandbox asked for without it', state({ pinHash: awsHash, providers: ['aws'] }), true, wantDefault, 'remove-aws'],
    ['removes the AWS profile whichever build of it runs', state({ pinHash: `${defaultHash}+aws-ffffffffffffffff`, providers: ['aws'] }), true, wantDefault, 'remove-aws'],
    ['starts afresh when the AWS sandbox asked for without the profile runs other default pins', state({ pinHash: 'ffffffffffffffff+aws-0123456789abcdef', providers: ['aws'] }), true, wantDefault, 'start'],
    ['starts afresh when the AWS sandbox asked for without the profile is not healthy', state({ pinHash: awsHash, providers: ['aws'] }), false, wantDefault, 'start'],
  ];
  for (const [name, found, healthy, wanted, action] of cases) {
    it(name, () => assert.equal(planUp(found, healthy, wanted).action, action));
  }
});

describe('expectedProcesses', () => {
  const core = ['etcd', 'kube-apiserver', 'kube-controller-manager', ...managerNames];

  it('expects a default sandbox\'s processes of a state without providers, even when the caller asks for the profile', () => {
    assert.deepEqual(expectedProcesses(state(), ['aws']), core);
  });

  it('expects moto and CAPA\'s manager of a sandbox started with the AWS profile, even when the caller does not ask for it', () => {
    assert.deepEqual(expectedProcesses(state({ providers: ['aws'] }), []), [...core, 'moto', 'capa-manager']);
  });

  it('expects what the caller asks for when there is no state yet', () => {
    assert.deepEqual(expectedProcesses(undefined, ['aws']), [...core, 'moto', 'capa-manager']);
    assert.deepEqual(expectedProcesses(undefined, []), core);
  });
});
