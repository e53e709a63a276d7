/**
 * `npm run build:container [outdir]` (default dist/container): what the container image runs, built as the
 * Lambda functions are (infra/lib/function-bundle.ts, the one source of those settings) from
 * functions/container/main.ts into `<outdir>/index.mjs` and its chunks, `npm run keys` (local/keys.ts) into
 * `keys.mjs` so the image makes key documents without a checkout, and beside them `workflow.json`, the
 * state machine's definition as CDK synthesizes it for the local engine (infra/lib/definition.ts): the
 * image runs the deployed state machine without carrying CDK. The Dockerfile runs this in its build stage;
 * the tests run what it writes.
 */
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { functionBuildOptions } from '../../infra/lib/function-bundle.ts';
import { synthesizeWorkflow } from '../../infra/lib/definition.ts';

const repoRoot = resolve(import.meta.dirname, '..', '..');
export const containerEntry = join(repoRoot, 'functions', 'container', 'main.ts');
const keysEntry = join(repoRoot, 'local', 'keys.ts');

/** What a build leaves in its folder, and so all that a folder may hold for the next build to empty it. */
const built = new Set(['index.mjs', 'index.mjs.map', 'keys.mjs', 'keys.mjs.map', 'chunks', 'workflow.json']);

/** Builds the container's code into `outdir` (emptied first if it holds an earlier build); returns the entry file. */
export async function buildContainer(outdir: string): Promise<string> {
  const present = existsSync(outdir) ? await readdir(outdir) : [];
  const foreign = present.filter((f) => !built.has(f));
  if (foreign.length > 0) throw new Error(`${outdir} holds more than a container build (${foreign.slice(0, 3).join(', ')}): name an empty or new folder`);
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  await build({ ...functionBuildOptions(containerEntry, outdir), entryPoints: { index: containerEntry, keys: keysEntry } });
  await writeFile(join(outdir, 'workflow.json'), JSON.stringify(synthesizeWorkflow()));
  return join(outdir, 'index.mjs');
}

if (import.meta.main) {
  const outdir = resolve(process.argv[2] ?? join(repoRoot, 'dist', 'container'));
  console.log(`built ${await buildContainer(outdir)}`);
}
