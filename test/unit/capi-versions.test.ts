/** Version steps (shared/capi/versions.ts): which upgrades capi-mcp makes, and where a cluster can go next. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nextVersions, upgradeStepProblem } from '../../shared/capi/versions.ts';

describe('upgradeStepProblem', () => {
  const cases: [string, string, string, string | undefined][] = [
    ['a newer patch', 'v1.35.0', 'v1.35.2', undefined],
    ['the next minor', 'v1.35.4', 'v1.36.0', undefined],
    ['the same version', 'v1.35.0', 'v1.35.0', 'the cluster already runs v1.35.0'],
    ['a downgrade', 'v1.35.1', 'v1.35.0', 'v1.35.0 is older than the current v1.35.1: downgrades are not supported'],
    ['a skipped minor', 'v1.35.0', 'v1.37.0', 'v1.37.0 skips a minor version from v1.35.0: upgrade to v1.36.x first'],
    ['a new major', 'v1.35.0', 'v2.0.0', 'v2.0.0 skips a minor version from v1.35.0: upgrade to v1.36.x first'],
    ['a version with a suffix', 'v1.35.0+rke2r1', 'v1.36.0', 'cannot compare versions "v1.35.0+rke2r1" and "v1.36.0"'],
  ];
  for (const [what, from, to, problem] of cases) it(`${problem ? 'refuses' : 'accepts'} ${what}`, () => assert.equal(upgradeStepProblem(from, to), problem));
});

describe('nextVersions', () => {
  it('names the newer patches and the next minor', () => {
    assert.deepEqual(nextVersions('v1.35.0'), { patch: 'v1.35.x above v1.35.0', minor: 'v1.36.x' });
  });

  it("keeps of the ClusterClass's versions those one step reaches, oldest first", () => {
    assert.deepEqual(nextVersions('v1.35.1', ['v1.34.0', 'v1.37.0', 'v1.36.2', 'v1.35.1', 'v1.35.3', 7])?.listed, ['v1.35.3', 'v1.36.2']);
  });

  it('has nothing to say about a version it cannot read', () => assert.equal(nextVersions('v1.35'), undefined));
});
