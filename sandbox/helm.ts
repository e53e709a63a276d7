/**
 * Helm, which renders and lints deploy/charts/capi-mcp in the chart tests: built from the Go module proxy
 * (sandbox/go/helm pins helm.sh/helm/v4) into a cache of its own, as a profile's binaries are, so it is
 * built once per machine (about 2 minutes on 2 cores) and again only when its pin changes. Nothing of the
 * sandbox runs it.
 */
import { join } from 'node:path';
import { ensureProfileBinaries, type Log, type ProfileBuild } from './build.ts';

const helmModule = 'helm.sh/helm/v4';

export const helmTool: ProfileBuild = {
  name: 'helm',
  recipeFile: 'helm.ts',
  binaries: [
    {
      name: 'helm',
      wrapper: 'helm',
      pkg: `${helmModule}/cmd/helm`,
      versionModule: helmModule,
      // As Helm's Makefile stamps a release, so `helm version` names the pinned one.
      versionFlags: [`${helmModule}/internal/version.version={version}`, `${helmModule}/internal/version.gitTreeState=clean`],
    },
  ],
};

/** The path of the pinned Helm, built first if this machine has none. */
export async function ensureHelm(log: Log): Promise<string> {
  const cache = await ensureProfileBinaries(helmTool, log, 'first time on this machine: about 2 min on 2 cores');
  return join(cache.bin, 'helm');
}
