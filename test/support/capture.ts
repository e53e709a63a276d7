/**
 * What one test run leaves for the canary (test/zz-canary.test.ts) to scan, in a folder of its own:
 * the servers' logs and audit records, whatever the test processes printed while a server ran, every
 * tool result the test clients received, and the list of execution-store folders the local engines
 * wrote. The global setup names the run and opens its folder; each test file (a child process) finds it
 * through the environment. A folder per run, not one shared file, because engineers run the suite
 * side by side on one sandbox: emptying a shared file would erase another run's evidence, and keeping
 * it would let an earlier run's records satisfy this run's checks.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parse } from 'yaml';
import { testSandboxOptions } from './sandbox.ts';

const runsDir = join(testSandboxOptions.dataDir, 'auth', 'runs');
const runEnv = 'CAPI_MCP_TEST_RUN';
/** Runs older than this are removed by the next global setup. */
const keepRunsMs = 24 * 3600_000;

/** This run's id: set by the global setup; a file run without it records under "adhoc". */
export function testRunId(): string {
  return process.env[runEnv] ?? 'adhoc';
}

/** The run's capture files. */
export function capturePaths(run = testRunId()) {
  const dir = join(runsDir, run);
  return {
    dir,
    /** Server log lines and audit records (CAPI_MCP_LOG_FILE); its first line is the run marker. */
    log: join(dir, 'capture.log'),
    /** Text the test processes wrote to stdout/stderr while one of their servers ran. */
    output: join(dir, 'output.log'),
    /** One JSON line per tool result a test client received. */
    toolResults: join(dir, 'tool-results.jsonl'),
    /** One execution-store folder per line. */
    executionDirs: join(dir, 'execution-dirs.txt'),
  } as const;
}

/** The first line of a run's capture log. */
export function runMarker(run: string): string {
  return JSON.stringify({ capiMcpTestRun: run });
}

/** Global setup: a new run id in the environment its test files inherit, and an empty capture holding only the marker. */
export function startTestRun(): string {
  const run = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}`;
  process.env[runEnv] = run;
  mkdirSync(runsDir, { recursive: true, mode: 0o700 });
  for (const old of readdirSync(runsDir)) {
    const path = join(runsDir, old);
    if (Date.now() - statSync(path).mtimeMs > keepRunsMs) rmSync(path, { recursive: true, force: true });
  }
  const paths = capturePaths(run);
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  writeFileSync(paths.log, `${runMarker(run)}\n`, { mode: 0o600 });
  for (const file of [paths.output, paths.toolResults, paths.executionDirs]) writeFileSync(file, '', { mode: 0o600 });
  return run;
}

function ensureRunDir(): ReturnType<typeof capturePaths> {
  const paths = capturePaths();
  if (!existsSync(paths.dir)) mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  return paths;
}

/** Notes an execution-store folder for the scan. */
export function recordExecutionDir(dir: string): void {
  appendFileSync(ensureRunDir().executionDirs, `${dir}\n`, { mode: 0o600 });
}

/**
 * Appends a tool result (or the error a call threw) to the run's tool-result capture.
 * get_cluster_kubeconfig's successful output is a credential by design: it is checked to be exactly one
 * parseable kubeconfig (structured and text agree) and recorded as that verdict, not as its content.
 */
export function recordToolResult(tool: string, outcome: { result?: any; thrown?: string }): void {
  let entry: Record<string, unknown> = { tool, ...outcome };
  if (tool === 'get_cluster_kubeconfig' && outcome.result && !outcome.result.isError) {
    entry = { tool, kubeconfig: kubeconfigVerdict(outcome.result) };
  }
  appendFileSync(ensureRunDir().toolResults, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
}

/** "kubeconfig" when the result is one kubeconfig and nothing else, else what is wrong with it. */
function kubeconfigVerdict(result: any): string {
  const kubeconfig = result.structuredContent?.kubeconfig;
  if (typeof kubeconfig !== 'string') return 'not a kubeconfig: no structured kubeconfig';
  const text: string = result.content?.find((c: any) => c.type === 'text')?.text ?? '';
  // The text is one comment line naming the credential, then the same kubeconfig.
  if (!/^# credential: [^\n]*\n/.test(text) || text.slice(text.indexOf('\n') + 1) !== kubeconfig) return 'not a kubeconfig: the text is not the note and the kubeconfig';
  try {
    const doc = parse(kubeconfig);
    const ok = doc?.kind === 'Config' && Array.isArray(doc.clusters) && Array.isArray(doc.users) && Array.isArray(doc.contexts);
    return ok ? 'kubeconfig' : 'not a kubeconfig: missing kind, clusters, users or contexts';
  } catch {
    return 'not a kubeconfig: does not parse';
  }
}

/**
 * While a test server runs, copies what the process writes to stdout and stderr into the run's output
 * capture (the test runner's output is not visible to the canary file). Returns the undo.
 *
 * Note: in a test file the runner itself writes its reports to stdout as V8-serialized frames (they
 * start with the serializer's 0xFF version byte, which never begins UTF-8 text); those are the runner's
 * records of test names and results, not the server's output, and are left out.
 */
let teeing = 0;
let restoreTee: (() => void) | undefined;

export function teeProcessOutput(): () => void {
  // One tee however many servers a file starts, removed when the last of them closes.
  if (teeing++ === 0) {
    const { output } = ensureRunDir();
    const restores = [process.stdout, process.stderr].map((stream) => {
      const write = stream.write;
      stream.write = function (this: NodeJS.WriteStream, chunk: any, ...rest: any[]) {
        const serialized = typeof chunk !== 'string' && chunk?.[0] === 0xff;
        if (!serialized) appendFileSync(output, typeof chunk === 'string' ? chunk : Buffer.from(chunk));
        return write.call(this, chunk, ...rest);
      } as typeof stream.write;
      return () => { stream.write = write; };
    });
    restoreTee = () => restores.forEach((restore) => restore());
  }
  let undone = false;
  return () => {
    if (undone) return;
    undone = true;
    if (--teeing === 0) restoreTee?.();
  };
}
