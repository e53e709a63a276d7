/**
 * test/support/run-files.ts: the order it starts files in (pure), what `--record` keeps, and a real run of
 * it on three files — started in its order, not in path order, its exit code 1 when a test fails, and
 * node's summary at the end of its output.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { failuresOf, recorded, startOrder, type FileDurations } from '../support/run-files.ts';

const durations: FileDurations = {
  seconds: { 'a.test.ts': 10, 'b.test.ts': 90, 'c.test.ts': 40, 'zz.test.ts': 80 },
  last: ['zz.test.ts'],
};

describe('startOrder', () => {
  it('starts the unit tests after the files named last, since they write nothing the canary scans', () => {
    const withUnits: FileDurations = { seconds: { 'test/unit/u.test.ts': 2, 'test/integration/i.test.ts': 1, 'test/unit/v.test.ts': 5 }, last: ['test/integration/zz.test.ts'] };
    assert.deepEqual(startOrder(['test/unit/new.test.ts', 'test/unit/u.test.ts', 'test/unit/v.test.ts', 'test/integration/i.test.ts', 'test/integration/zz.test.ts'], withUnits), [
      'test/integration/i.test.ts',
      'test/integration/zz.test.ts',
      'test/unit/new.test.ts',
      'test/unit/v.test.ts',
      'test/unit/u.test.ts',
    ]);
  });

  it('starts files it has no measure of first, then the longest, and the files named last at the end', () => {
    assert.deepEqual(startOrder(['a.test.ts', 'b.test.ts', 'c.test.ts', 'new.test.ts', 'zz.test.ts'], durations), [
      'new.test.ts',
      'b.test.ts',
      'c.test.ts',
      'a.test.ts',
      'zz.test.ts',
    ]);
  });

  it('keeps only the files it was given, and unknown files in path order', () => {
    assert.deepEqual(startOrder(['y.test.ts', 'c.test.ts', 'x.test.ts'], durations), ['x.test.ts', 'y.test.ts', 'c.test.ts']);
  });
});

describe('the unit tests, which startOrder starts beside the canary', () => {
  it('none reaches what writes the run\'s capture or serves MCP with the canary key', () => {
    const dir = import.meta.dirname;
    const reaching = readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .filter((f) => /from '\.\.\/support\/(mcp|auth|capture)\.ts'/.test(readFileSync(join(dir, f), 'utf8')));
    assert.deepEqual(reaching, []);
  });
});

describe('recorded', () => {
  it('replaces measured files, keeps the others, drops files that no longer exist, and rounds to seconds', () => {
    const exists = (f: string) => f !== 'b.test.ts';
    assert.deepEqual(recorded(durations, { 'c.test.ts': 12.6, 'new.test.ts': 3.2 }, exists), {
      seconds: { 'a.test.ts': 10, 'c.test.ts': 13, 'new.test.ts': 3, 'zz.test.ts': 80 },
      last: ['zz.test.ts'],
    });
  });
});

describe('failuresOf', () => {
  const summary = (counts: Partial<{ tests: number; failed: number; cancelled: number }>, success = true) => ({
    success,
    counts: { tests: 3, failed: 0, cancelled: 0, ...counts },
  });

  it('counts failed and cancelled tests (a test past its timeout is cancelled)', () => {
    assert.equal(failuresOf(summary({ failed: 1, cancelled: 2 }, false)), 3);
  });

  it('counts one for a run that failed without a failing test, ran no test, or left no summary', () => {
    assert.equal(failuresOf(summary({}, false)), 1);
    assert.equal(failuresOf(summary({ tests: 0 })), 1);
    assert.equal(failuresOf(undefined), 1);
  });

  it('counts none for a run whose tests all passed', () => {
    assert.equal(failuresOf(summary({})), 0);
  });
});

describe('run-files.ts, run', () => {
  const { NODE_TEST_CONTEXT: _, NODE_OPTIONS: __, ...unmarked } = process.env;
  const script = join(import.meta.dirname, '..', 'support', 'run-files.ts');
  const repoRoot = join(import.meta.dirname, '..', '..');

  it('starts the longest measured file first although it sorts last, and exits 1 with the summary when a test fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'capi-mcp-run-files-'));
    const log = join(dir, 'log');
    writeFileSync(log, '');
    const file = (name: string, body: string) => {
      writeFileSync(join(dir, name), `import { test } from 'node:test';\nimport { appendFileSync } from 'node:fs';\n${body}\n`);
      return relative(repoRoot, join(dir, name));
    };
    const a = file('a.test.mjs', `test('a', () => { appendFileSync(${JSON.stringify(log)}, 'a\\n'); });`);
    const z = file('z.test.mjs', `test('z', () => { appendFileSync(${JSON.stringify(log)}, 'z\\n'); });`);
    const failing = file('m.test.mjs', `test('m fails', () => { appendFileSync(${JSON.stringify(log)}, 'm\\n'); throw new Error('as it should'); });`);
    const order = join(dir, 'durations.json');
    writeFileSync(order, JSON.stringify({ seconds: { [z]: 100, [failing]: 50, [a]: 1 }, last: [] }));
    const result = await promisify(execFile)(process.execPath, [script, '--concurrency', '1', '--durations', order, a, z, failing], { env: unmarked, cwd: repoRoot }).then(
      (r) => ({ code: 0, stdout: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );
    assert.deepEqual(readFileSync(log, 'utf8').split('\n').filter(Boolean), ['z', 'm', 'a']);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^ℹ pass 2$/m);
    assert.match(result.stdout, /^ℹ fail 1$/m);
    assert.match(result.stdout, /as it should/);
    assert.equal(result.stdout.trimEnd().split('\n').at(-1), '2 passed, 1 failed');
  });

  it('counts a global setup that throws as one failure, runs no file, and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'capi-mcp-run-files-'));
    writeFileSync(join(dir, 'setup.mjs'), "export async function globalSetup() { throw new Error('no sandbox'); }");
    writeFileSync(join(dir, 'a.test.mjs'), "import { test } from 'node:test';\ntest('a', () => {});\n");
    const result = await promisify(execFile)(process.execPath, [script, '--global-setup', join(dir, 'setup.mjs'), relative(repoRoot, join(dir, 'a.test.mjs'))], { env: unmarked, cwd: repoRoot }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no sandbox/);
    assert.equal(result.stdout.trimEnd().split('\n').at(-1), '0 passed, 1 failed');
  });

  it('with --record, keeps what each file\'s tests took, as the file measured them, and the files named last', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'capi-mcp-run-files-'));
    const write = (name: string, body: string) => {
      writeFileSync(join(dir, name), `import { test } from 'node:test';\n${body}\n`);
      return relative(repoRoot, join(dir, name));
    };
    // Note: two tests of 0.8 s record 2 (Math.round of ≈1.6 s), with 0.9 s to spare for late timers under load.
    const slow = write('slow.test.mjs', "test('one', async () => { await new Promise((r) => setTimeout(r, 800)); });\ntest('two', async () => { await new Promise((r) => setTimeout(r, 800)); });");
    const quick = write('quick.test.mjs', "test('quick', () => {});");
    const durationsFile = join(dir, 'durations.json');
    const other = relative(repoRoot, join(import.meta.dirname, 'support-run-files.test.ts'));
    writeFileSync(durationsFile, JSON.stringify({ seconds: { [quick]: 7, 'test/gone.test.ts': 3, [other]: 5 }, last: ['zz.test.ts'] }));
    await promisify(execFile)(process.execPath, [script, '--record', '--durations', durationsFile, slow, quick], { env: unmarked, cwd: repoRoot });
    assert.deepEqual(JSON.parse(readFileSync(durationsFile, 'utf8')), { seconds: { [quick]: 0, [slow]: 2, [other]: 5 }, last: ['zz.test.ts'] });
  });

  it('fails when a pattern matches no test file, rather than running without them', async () => {
    const result = await promisify(execFile)(process.execPath, [script, 'test/no-such-folder/*.test.ts'], { env: unmarked, cwd: repoRoot }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no test file matches test\/no-such-folder/);
    assert.equal(result.stdout.trimEnd().split('\n').at(-1), '0 passed, 1 failed');
  });
});
