/**
 * The whole project typechecks (`tsc --noEmit`, the tsconfig's strict settings): source, infra, tests and
 * benches. A test of the run rather than a step before it, so the compiler's ten-odd seconds of one core
 * overlap the run's last files instead of delaying its first; a type error fails the run all the same.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { repoRoot } from '../sandbox/layout.ts';

const execFileAsync = promisify(execFile);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

it('the project typechecks (tsc --noEmit)', async () => {
  const result = await execFileAsync(process.execPath, [tsc, '--noEmit', '-p', 'tsconfig.json'], { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 }).then(
    () => ({ code: 0, output: '' }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? 1, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
  );
  assert.equal(result.code, 0, `tsc --noEmit failed:\n${result.output.slice(0, 20_000)}`);
});
