/**
 * Builds the sandbox's Go binaries once per pin set into a cache folder outside the checkout:
 * `<cache>/<pin-hash>/bin/`. The hash covers the recipe and the wrapper modules, so a pin change builds
 * into a new folder while an unchanged pin set is reused by every clone on the machine. A cold build
 * takes minutes, so progress is printed every few seconds, never silence.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { goEnv, moduleSource } from './go-modules.ts';
import { binaryCacheRoot, sandboxSourceDir } from './layout.ts';
import { binaries, type BinarySpec, type SourcePatch } from './recipe.ts';

const execFileAsync = promisify(execFile);

export type Log = (line: string) => void;

/**
 * Wrapper folders under sandbox/go/ that only an opt-in profile (sandbox/aws.ts) or a tool of the tests
 * (sandbox/helm.ts) builds. They stay out of the default pin hash: adding or changing one must not rebuild
 * (nor restart) every default sandbox.
 */
export const profileWrappers: readonly string[] = ['capa', 'helm'];

/** The files whose content decides the default binaries: the recipe and every wrapper module but the profiles'. */
export async function pinnedFiles(): Promise<string[]> {
  const goDir = join(sandboxSourceDir, 'go');
  const profileDirs = profileWrappers.map((w) => join(goDir, w) + '/');
  const wrappers = (await listFiles(goDir)).filter((f) => !profileDirs.some((dir) => f.startsWith(dir)));
  return [join(sandboxSourceDir, 'recipe.ts'), ...wrappers];
}

/** Hash of everything that decides the binaries' content. */
export async function pinHash(): Promise<string> {
  return hashFiles(await pinnedFiles());
}

async function hashFiles(files: readonly string[], seed = ''): Promise<string> {
  const hash = createHash('sha256');
  hash.update(seed);
  for (const file of [...files].sort()) {
    hash.update(relative(sandboxSourceDir, file)).update('\0').update(await readFile(file)).update('\0');
  }
  hash.update(await goVersion());
  return hash.digest('hex').slice(0, 16);
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

async function goVersion(): Promise<string> {
  const { stdout } = await execFileAsync('go', ['env', 'GOVERSION'], { env: goEnv() });
  return stdout.trim();
}

export interface BinaryCache {
  readonly dir: string;
  readonly bin: string;
  readonly hash: string;
}

export async function binaryCache(): Promise<BinaryCache> {
  const hash = await pinHash();
  const dir = join(binaryCacheRoot(), hash);
  return { dir, bin: join(dir, 'bin'), hash };
}

/** Ensures every binary exists in the cache, building the missing ones. Returns the cache. */
export async function ensureBinaries(log: Log): Promise<BinaryCache> {
  const cache = await binaryCache();
  await buildMissing(binaries, cache, log, 'first time on this machine: about 13 min on 2 cores');
  return cache;
}

/** An opt-in profile's binaries, built from its own wrapper modules (see {@link profileWrappers}). */
export interface ProfileBuild {
  readonly name: string;
  /** The profile's recipe file in sandbox/, hashed with its wrappers. */
  readonly recipeFile: string;
  readonly binaries: readonly BinarySpec[];
}

/**
 * A profile's cache, `<cache>/<profile>-<hash>/bin/`: its hash covers the default pin hash, its recipe file and
 * its wrappers, so it is rebuilt when any of them changes, and the default cache never holds its binaries.
 */
export async function profileCache(profile: ProfileBuild): Promise<BinaryCache> {
  const wrappers = [...new Set(profile.binaries.map((b) => b.wrapper))];
  const files = [join(sandboxSourceDir, profile.recipeFile)];
  for (const wrapper of wrappers) files.push(...(await listFiles(join(sandboxSourceDir, 'go', wrapper))));
  const hash = `${profile.name}-${await hashFiles(files, await pinHash())}`;
  const dir = join(binaryCacheRoot(), hash);
  return { dir, bin: join(dir, 'bin'), hash };
}

/** Ensures a profile's binaries exist in its cache, building the missing ones. */
export async function ensureProfileBinaries(profile: ProfileBuild, log: Log, expected: string): Promise<BinaryCache> {
  const cache = await profileCache(profile);
  await buildMissing(profile.binaries, cache, log, expected);
  return cache;
}

async function buildMissing(specs: readonly BinarySpec[], cache: BinaryCache, log: Log, expected: string): Promise<void> {
  const missing = specs.filter((b) => !existsSync(join(cache.bin, b.name)));
  if (missing.length === 0) return;
  await mkdir(cache.bin, { recursive: true });
  log(`building ${missing.length} sandbox binaries into ${cache.dir} (${expected})`);
  const started = Date.now();
  const timings: Record<string, number> = {};
  for (const [i, spec] of missing.entries()) {
    const next = missing[i + 1]?.name ?? 'starting the sandbox';
    const t0 = Date.now();
    await buildOne(spec, cache, (elapsed) =>
      log(`  [${i + 1}/${missing.length}] ${spec.name}: building, ${elapsed}s elapsed (next: ${next})`),
    );
    timings[spec.name] = Math.round((Date.now() - t0) / 1000);
    log(`  [${i + 1}/${missing.length}] ${spec.name}: built in ${timings[spec.name]}s`);
  }
  await writeFile(join(cache.dir, 'build-times.json'), JSON.stringify(timings, null, 2));
  log(`sandbox binaries ready in ${Math.round((Date.now() - started) / 1000)}s`);
}

async function buildOne(spec: BinarySpec, cache: BinaryCache, progress: (elapsedSeconds: number) => void) {
  const cwd = join(sandboxSourceDir, 'go', spec.wrapper);
  const args = ['build', '-ldflags', await ldflags(spec)];
  if (spec.patches?.length) args.push('-modfile', await writePatchedModFile(spec, cache));
  // Build to a temporary name and rename, so an interrupted build never leaves a half-written binary.
  const target = join(cache.bin, spec.name);
  const partial = `${target}.partial`;
  args.push('-o', partial, spec.pkg);
  const logFile = join(cache.dir, `build-${spec.name}.log`);
  const t0 = Date.now();
  const ticker = setInterval(() => progress(Math.round((Date.now() - t0) / 1000)), 15_000);
  try {
    await runLogged('go', args, cwd, logFile);
  } finally {
    clearInterval(ticker);
  }
  await rename(partial, target);
}

async function ldflags(spec: BinarySpec): Promise<string> {
  const flags = ['-s', '-w'];
  if (spec.versionModule && spec.versionFlags) {
    const { version } = await moduleSource(spec.wrapper, spec.versionModule);
    const [major, minor] = version.replace(/^v/, '').split('.');
    for (const flag of spec.versionFlags) {
      flags.push('-X', flag.replace('{version}', version).replace('{major}', major!).replace('{minor}', minor!));
    }
  }
  return flags.join(' ');
}

/**
 * Copies each patched module into the cache, applies the patch there and returns an alternate go.mod
 * (`go build -modfile`) that replaces the module with the copy. Note: `go build -overlay` would be
 * simpler but Go refuses overlays of files under GOMODCACHE; the wrapper's own go.mod stays untouched.
 */
async function writePatchedModFile(spec: BinarySpec, cache: BinaryCache): Promise<string> {
  const wrapperDir = join(sandboxSourceDir, 'go', spec.wrapper);
  const dir = join(cache.dir, 'patched', spec.name);
  await rm(dir, { recursive: true, force: true });
  const replaces: string[] = [];
  for (const patch of spec.patches ?? []) {
    const source = await moduleSource(spec.wrapper, patch.module);
    const copy = join(dir, `${patch.module.replaceAll('/', '_')}@${source.version}`);
    await cp(source.dir, copy, { recursive: true });
    await execFileAsync('chmod', ['-R', 'u+w', copy]); // the module cache is read-only
    const file = join(copy, patch.file);
    await writeFile(file, applyPatch(await readFile(file, 'utf8'), patch));
    for (const added of patch.addedFiles) {
      await cp(join(wrapperDir, '_overlay', added), join(file, '..', added));
    }
    replaces.push(`replace ${patch.module} => ${copy}`);
  }
  const modFile = join(dir, 'go.mod');
  await writeFile(modFile, `${await readFile(join(wrapperDir, 'go.mod'), 'utf8')}\n${replaces.join('\n')}\n`);
  await cp(join(wrapperDir, 'go.sum'), join(dir, 'go.sum'));
  return modFile;
}

/** Applies a patch's substitutions, failing when upstream no longer matches what the patch expects. */
export function applyPatch(source: string, patch: SourcePatch): string {
  let out = source;
  for (const { from, to, count } of patch.replacements) {
    const found = out.split(from).length - 1;
    if (found !== count) {
      throw new Error(`patch for ${patch.module}/${patch.file} expects ${count} × ${JSON.stringify(from)}, found ${found}`);
    }
    out = out.split(from).join(to);
  }
  return out;
}

function runLogged(cmd: string, args: string[], cwd: string, logFile: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const out = createWriteStream(logFile);
    const child = spawn(cmd, args, { cwd, env: goEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (chunk: Buffer) => {
      out.write(chunk);
      tail = (tail + chunk.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) => {
      out.end();
      if (code === 0) resolvePromise();
      else reject(new Error(`go ${args.join(' ')} failed (exit ${code}); see ${logFile}:\n${tail}`));
    });
  });
}

/** Removes cache folders of other pin sets (old builds), keeping the current ones (the default's and the profiles'). */
export async function pruneOtherCaches(keep: readonly string[]): Promise<string[]> {
  const root = binaryCacheRoot();
  if (!existsSync(root)) return [];
  const removed: string[] = [];
  for (const entry of await readdir(root)) {
    if (!keep.includes(entry)) {
      await rm(join(root, entry), { recursive: true, force: true });
      removed.push(entry);
    }
  }
  return removed;
}
