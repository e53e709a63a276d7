/** test/support/suite-output.ts, on the output of a real `node --test` run of a file with a passing and a failing test. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { countsOf, failuresOf } from '../support/suite-output.ts';

/** The spec reporter's output of `node --test` on a file with `source` (its exit code ignored). */
async function runnerOutput(source: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'capi-mcp-suite-output-'));
  writeFileSync(join(dir, 'sample.test.mjs'), source);
  const result = await promisify(execFile)(process.execPath, ['--test', '--test-reporter=spec', join(dir, 'sample.test.mjs')], { env: { ...process.env, NODE_TEST_CONTEXT: undefined } }).catch((error) => error);
  return result.stdout as string;
}

describe('suite output', () => {
  it('reads the counts and the failing section, with the failure message, of a run where one test failed', async () => {
    const output = await runnerOutput(
      "import { it } from 'node:test';\nit('passes', () => {});\nit('fails with a reason', () => { throw new Error('the reason: 42 orphans'); });\n",
    );
    assert.deepEqual(countsOf(output), { passed: 1, failed: 1 });
    const failures = failuresOf(output);
    assert.match(failures ?? '', /^✖ failing tests:/);
    assert.match(failures ?? '', /fails with a reason/);
    assert.match(failures ?? '', /the reason: 42 orphans/);
    assert.doesNotMatch(failures ?? '', /ℹ tests/);
  });

  it('finds no failing section in a run where everything passed', async () => {
    const output = await runnerOutput("import { it } from 'node:test';\nit('passes', () => {});\n");
    assert.deepEqual(countsOf(output), { passed: 1, failed: 0 });
    assert.equal(failuresOf(output), undefined);
  });
});
