/**
 * test/support/runner.ts, on a real node test run: two files run side by side, and the one that sorts
 * last waits for the other to end, as the canary waits for the whole run before it scans. Nothing is
 * timed: the first file ends only once the last has started (it waits for the last file's mark), so
 * without the wait the last file would read the log before the first file wrote its end to it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const runner = pathToFileURL(join(import.meta.dirname, '..', 'support', 'runner.ts')).href;
/**
 * This process's environment without the test runner's mark, so a node started from here is a runner or
 * a script, not a runner's child; and without NODE_OPTIONS, which may carry the outer run's reporters.
 */
const { NODE_TEST_CONTEXT: _, NODE_OPTIONS: __, ...unmarked } = process.env;

describe('untilOtherTestFilesEnd', () => {
  it('returns once the run\'s other test files have ended, not before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'capi-mcp-runner-'));
    const log = join(dir, 'log');
    const started = join(dir, 'last-started');
    writeFileSync(log, '');
    writeFileSync(join(dir, 'a-first.test.mjs'), `
      import { test } from 'node:test';
      import { appendFileSync, existsSync } from 'node:fs';
      import { setTimeout as sleep } from 'node:timers/promises';
      test('ends after the last file started', async () => {
        while (!existsSync(${JSON.stringify(started)})) await sleep(20);
        appendFileSync(${JSON.stringify(log)}, 'first ended\\n');
      });
    `);
    writeFileSync(join(dir, 'z-last.test.mjs'), `
      import { test } from 'node:test';
      import assert from 'node:assert/strict';
      import { readFileSync, writeFileSync } from 'node:fs';
      import { otherRunningTestFiles, untilOtherTestFilesEnd } from ${JSON.stringify(runner)};
      test('scans after every other file ended', async () => {
        writeFileSync(${JSON.stringify(started)}, '');
        console.log('others at start: ' + otherRunningTestFiles().map((f) => f.split('/').at(-1)).join(','));
        await untilOtherTestFilesEnd(60_000);
        assert.equal(readFileSync(${JSON.stringify(log)}, 'utf8'), 'first ended\\n');
      });
    `);
    const { stdout } = await promisify(execFile)(process.execPath, ['--test', '--test-concurrency=2', '--test-reporter=tap'], { cwd: dir, env: unmarked })
      .catch((error: { stdout: string }) => assert.fail(`the run failed:\n${error.stdout}`));
    assert.match(stdout, /# pass 2\n/);
    assert.match(stdout, /others at start: a-first\.test\.mjs\n/, 'the last file saw the first one running');
  });

  it('finds no other test files when the file is not run by a test runner', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'capi-mcp-runner-'));
    const script = join(dir, 'alone.test.mjs');
    writeFileSync(script, `import { otherRunningTestFiles } from ${JSON.stringify(runner)}; console.log(JSON.stringify(otherRunningTestFiles()));`);
    const { stdout } = await promisify(execFile)(process.execPath, [script], { cwd: dir, env: unmarked });
    assert.equal(stdout.trim(), '[]');
  });
});
