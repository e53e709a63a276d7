/**
 * Locates pinned Go module sources through the `go` tool, so the versions stay in the wrapper go.mod
 * files alone. The Go module cache lives outside the checkout and is shared by every clone.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sandboxSourceDir } from './layout.ts';

const run = promisify(execFile);

export interface ModuleSource {
  readonly path: string;
  readonly version: string;
  readonly dir: string;
}

/** Environment for every `go` invocation: never fetch a toolchain, use the wrapper's go.sum as is. */
export function goEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=readonly', GOWORK: 'off' };
}

const cache = new Map<string, Promise<ModuleSource>>();

/** The version and on-disk source folder of `module` as pinned by sandbox/go/<wrapper>/go.mod. */
export function moduleSource(wrapper: string, module: string): Promise<ModuleSource> {
  const key = `${wrapper}\0${module}`;
  let found = cache.get(key);
  if (!found) {
    found = lookUp(wrapper, module);
    cache.set(key, found);
  }
  return found;
}

async function lookUp(wrapper: string, module: string): Promise<ModuleSource> {
  const cwd = join(sandboxSourceDir, 'go', wrapper);
  const listed = await goJson(cwd, ['list', '-m', '-json', module]);
  if (typeof listed.Version !== 'string') {
    throw new Error(`module ${module} is not required by sandbox/go/${wrapper}/go.mod`);
  }
  // `go list -m` omits Dir until the module is downloaded; download it (from the module proxy) once.
  const dir = typeof listed.Dir === 'string' ? listed.Dir : (await goJson(cwd, ['mod', 'download', '-json', module])).Dir;
  if (typeof dir !== 'string') throw new Error(`go mod download did not report a folder for ${module}`);
  return { path: module, version: listed.Version, dir };
}

async function goJson(cwd: string, args: string[]): Promise<Record<string, unknown>> {
  try {
    const { stdout } = await run('go', args, { cwd, env: goEnv(), maxBuffer: 16 * 1024 * 1024 });
    return JSON.parse(stdout) as Record<string, unknown>;
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr?.trim() || String(error);
    throw new Error(`go ${args.join(' ')} (in sandbox/go/${cwd.split('/').pop()}) failed: ${detail}`);
  }
}
