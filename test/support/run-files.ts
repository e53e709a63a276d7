/**
 * Runs test files with node's test runner (its `run()`, the spec reporter, one process per file, at most
 * `--concurrency` at a time), longest first: `node --test` starts files in path order, so a two-minute
 * file sorting late (scale-classic, zz-canary) used to start when the short ones had gone and leave the
 * end of the run waiting on it alone. What each file's tests took on a 2-core machine is kept in
 * test/support/file-durations.json (rewritten by a whole run with `--record`); a file it does not know yet
 * starts first, a file it names `last` after every other but the unit tests (the canary, which waits for
 * every other file).
 *
 *   node test/support/run-files.ts [--concurrency N] [--timeout MS] [--record] [--global-setup F] [--durations F] <glob>...
 *
 * Its output is the spec reporter's (node's summary, then the failing tests again), then one line
 * `N passed, N failed`; its exit code is 1 if anything failed, was cancelled (a test's timeout), or if
 * nothing ran at all.
 */
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { existsSync, globSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { finished } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';

interface GlobalSetup {
  readonly globalSetup?: () => Promise<void>;
  readonly globalTeardown?: () => Promise<void>;
}

export interface FileDurations {
  /** Seconds per file (path from the repository root), as a whole run measured them. */
  readonly seconds: Readonly<Record<string, number>>;
  /** Files started after every other, in this order. */
  readonly last: readonly string[];
}

const repoRoot = resolve(import.meta.dirname, '..', '..');
export const fileDurationsPath = join(repoRoot, 'test', 'support', 'file-durations.json');

/** Files that need no sandbox and serve no MCP over the network: they may start after the `last` ones. */
const unitTests = (f: string) => f.startsWith('test/unit/');

/**
 * The order to start `files` in: files without a measure first (a new file may be long), then the
 * longest measured first, ties and unknowns in path order; then `last` in its own order, then the unit
 * tests (longest first). Note: the canary (`last`) must start after every file that writes the run's
 * capture; unit tests write none (their MCP servers are in-process, without the canary key), so the
 * minute of short unit files runs beside the canary instead of before it.
 */
export function startOrder(files: readonly string[], durations: FileDurations): string[] {
  const last = durations.last.filter((f) => files.includes(f));
  const rest = files.filter((f) => !last.includes(f)).sort();
  const known = (f: string) => durations.seconds[f] !== undefined;
  const longestFirst = (list: string[]) => list.filter(known).sort((a, b) => durations.seconds[b]! - durations.seconds[a]!);
  const unknown = rest.filter((f) => !known(f) && !unitTests(f));
  const measured = longestFirst(rest.filter((f) => !unitTests(f)));
  const units = [...rest.filter((f) => !known(f) && unitTests(f)), ...longestFirst(rest.filter(unitTests))];
  return [...unknown, ...measured, ...last, ...units];
}

/**
 * `durations` with this run's measures in place of the old ones, the others kept (a run of some files
 * forgets nothing of the rest); files that no longer `exist` dropped.
 */
export function recorded(durations: FileDurations, measured: Readonly<Record<string, number>>, exists: (file: string) => boolean): FileDurations {
  const seconds: Record<string, number> = {};
  for (const f of [...new Set([...Object.keys(durations.seconds), ...Object.keys(measured)])].sort()) {
    const s = measured[f] ?? durations.seconds[f];
    if (s !== undefined && exists(f)) seconds[f] = Math.round(s);
  }
  return { seconds, last: durations.last };
}

/** What a run counts as failed: failed and cancelled tests, or one when it failed with none (a crash, no file, no test). */
export function failuresOf(summary: { success: boolean; counts: { tests: number; failed: number; cancelled: number } } | undefined): number {
  const counted = (summary?.counts.failed ?? 0) + (summary?.counts.cancelled ?? 0);
  return counted > 0 ? counted : !summary || !summary.success || summary.counts.tests === 0 ? 1 : 0;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      concurrency: { type: 'string', default: '4' },
      record: { type: 'boolean', default: false },
      'global-setup': { type: 'string' },
      timeout: { type: 'string', default: '900000' },
      durations: { type: 'string', default: fileDurationsPath },
    },
  });
  const matches = positionals.map((pattern) => ({ pattern, files: globSync(pattern, { cwd: repoRoot }) }));
  const empty = matches.filter((m) => m.files.length === 0).map((m) => m.pattern);
  if (empty.length > 0 || matches.length === 0) {
    // A pattern that matches nothing would drop a whole folder of tests without a word.
    console.error(`no test file matches ${empty.length > 0 ? empty.join(', ') : '(no pattern given)'}`);
    console.log('0 passed, 1 failed');
    process.exitCode = 1;
    return;
  }
  const files = [...new Set(matches.flatMap((m) => m.files))].map((f) => relative(repoRoot, resolve(repoRoot, f)));
  const durationsPath = resolve(repoRoot, values.durations);
  const durations = JSON.parse(readFileSync(durationsPath, 'utf8')) as FileDurations;
  const order = startOrder(files, durations);

  // Note: the global setup runs here rather than through run()'s globalSetupPath, whose failure ends the
  // process before any summary; a sandbox that cannot start is then one failure counted like the others.
  const setup = values['global-setup'] ? ((await import(pathToFileURL(resolve(repoRoot, values['global-setup'])).href)) as GlobalSetup) : {};
  let summary: Summary | undefined;
  let teardownFailed = false;
  try {
    await setup.globalSetup?.();
    summary = await runFiles(order, Number(values.concurrency), Number(values.timeout), (measured) => {
      if (values.record) writeFileSync(durationsPath, `${JSON.stringify(recorded(durations, measured, (f) => existsSync(join(repoRoot, f))), null, 2)}\n`);
    });
  } catch (error) {
    console.error(error);
  } finally {
    await setup.globalTeardown?.().catch((error: unknown) => {
      console.error(error);
      teardownFailed = true;
    });
  }
  const failures = failuresOf(summary) + (teardownFailed ? 1 : 0);
  // The last line, whatever the reporter printed before it (its failing-tests section follows its summary).
  console.log(`${summary?.counts.passed ?? 0} passed, ${failures} failed`);
  process.exitCode = failures > 0 ? 1 : 0;
}

interface Summary {
  readonly success: boolean;
  readonly counts: { readonly tests: number; readonly passed: number; readonly failed: number; readonly cancelled: number };
}

/** Runs `files` in that order through the spec reporter; hands what each file's tests took to `onSuccess` if all passed. */
async function runFiles(files: readonly string[], concurrency: number, timeout: number, onSuccess: (measured: Record<string, number>) => void): Promise<Summary | undefined> {
  const stream = run({ files: files.map((f) => join(repoRoot, f)), concurrency, timeout });
  let summary: Summary | undefined;
  stream.on('test:summary', (data: Summary & { file?: string }) => {
    if (data.file === undefined) summary = data;
  });
  // Note: a file's time is the sum of its top-level tests' durations, as its own process measured them
  // (they run one after another); the events reach this process late, each file's held until the files
  // before it have been reported, so their arrival says nothing. The file's top-level awaits and `after`
  // hooks (its namespace, its server, the namespace's cleanup) are not counted: good enough to order by.
  const measured: Record<string, number> = {};
  for (const event of ['test:pass', 'test:fail'] as const) {
    stream.on(event, (data: { file?: string; nesting: number; details: { duration_ms: number } }) => {
      if (!data.file || data.nesting !== 0) return;
      const file = relative(repoRoot, data.file);
      measured[file] = (measured[file] ?? 0) + data.details.duration_ms / 1000;
    });
  }
  const output = stream.compose(spec);
  output.pipe(process.stdout);
  await finished(output);
  if (failuresOf(summary) === 0) onSuccess(measured);
  return summary;
}

if (import.meta.main) await main();
