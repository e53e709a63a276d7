/**
 * moto, the local AWS endpoint (PyPI `moto[server]`, pinned): the one place it is installed from, for the
 * sandbox's AWS profile (sandbox/aws.ts) and for the tests' own servers (test/support/moto.ts).
 *
 * moto is installed on demand into the user cache, outside the checkout, so a fresh machine needs only
 * python3: `<cache>/capi-mcp/moto-<version>/` is a venv, built in a temporary folder and renamed into place
 * when complete, so concurrent installers never share a half-built venv (the loser of the rename keeps the
 * winner's). A server is started through the venv's python, never through its `bin/` scripts, whose
 * shebangs name the temporary folder.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The pinned moto release. */
export const motoVersion = '5.2.5';

/** moto's default account: ARNs of resources created through it carry this id. */
export const motoAccountId = '123456789012';
export const motoRegion = 'us-east-1';

/**
 * The Python program that runs moto's server (its options in argv); `before` runs once the lock below is in
 * place, just before the server starts.
 *
 * Each Secrets Manager request runs alone. Note: AWS applies each call atomically, moto does not: its
 * handlers change a secret in steps, so a GetSecretValue racing an UpdateSecretVersionStage can find no
 * version labelled AWSCURRENT ("can't find the specified secret") and one racing a PutSecretValue can
 * fail on a dictionary that changed under it. The key stores' compare-and-swap (shared/auth/key-store.ts)
 * relies on that atomicity, and a test of 45 concurrent key changes failed on it once in CI. Other
 * services are left concurrent: moto calls itself back while serving some (Step Functions running a
 * Lambda), and a lock held across such a call would never be released. Limits, none met here: a request's
 * body is read inside the lock (a client that stalls mid-body holds it), and RotateSecret with a rotation
 * Lambda invokes it inside the lock (a Docker Lambda calling Secrets Manager back would wait forever; the
 * sandbox and the tests run no Docker and no rotation).
 */
export function motoServerProgram(before: readonly string[] = []): string {
  return [
    'import sys, threading',
    'from moto.moto_server.werkzeug_app import DomainDispatcherApplication',
    'secrets_manager_alone = threading.Lock()',
    'dispatch = DomainDispatcherApplication.__call__',
    'def dispatch_secrets_manager_alone(self, environ, start_response):',
    "    if environ.get('HTTP_X_AMZ_TARGET', '').startswith('secretsmanager.'):",
    '        with secrets_manager_alone:',
    '            return dispatch(self, environ, start_response)',
    '    return dispatch(self, environ, start_response)',
    'DomainDispatcherApplication.__call__ = dispatch_secrets_manager_alone',
    ...before,
    'from moto.server import main',
    'main(sys.argv[1:])',
  ].join('\n');
}

/** `<XDG cache or ~/.cache>/capi-mcp/moto-<version>`, beside the sandbox's binary cache. */
export function motoDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'capi-mcp', `moto-${motoVersion}`);
}

/** The venv's python with moto importable, installing it when missing. */
export async function ensureMoto(): Promise<string> {
  const dir = motoDir();
  const python = join(dir, 'bin', 'python');
  if (await hasMoto(python)) return python;
  // A venv that no longer works (python3 upgraded under it, say) is removed and installed again.
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, '..'), { recursive: true });
  const staging = await mkdtemp(`${dir}.installing-`);
  try {
    await execFileAsync('python3', ['-m', 'venv', staging]).catch((error: Error) => {
      throw new Error(`python3 -m venv failed (python3 with venv is needed to run moto): ${error.message}`, { cause: error });
    });
    await execFileAsync(join(staging, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', `moto[server]==${motoVersion}`], {
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: Error & { stderr?: string }) => {
      throw new Error(`pip install moto[server]==${motoVersion} failed: ${error.stderr || error.message}`, { cause: error });
    });
    await rename(staging, dir).catch((error: NodeJS.ErrnoException) => {
      // Another installer finished first: theirs is as good as ours.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  if (!(await hasMoto(python))) throw new Error(`moto ${motoVersion} was installed into ${dir} but does not import`);
  return python;
}

async function hasMoto(python: string): Promise<boolean> {
  if (!existsSync(python)) return false;
  try {
    const { stdout } = await execFileAsync(python, ['-c', 'import moto, moto.server; print(moto.__version__)']);
    return stdout.trim() === motoVersion;
  } catch {
    return false;
  }
}
