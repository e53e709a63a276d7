/**
 * What one test run leaves for the canary (test/integration/zz-canary.test.ts) to scan, in a folder of its own:
 * the servers' logs and audit records, whatever the test processes printed while a server ran, every
 * answer the tests received (through SDK clients, JSON-RPC sent by hand, or the Lambda handler), the
 * list of execution-store folders the local engines wrote, and which files served MCP through which
 * front door. The global setup names the run and opens its folder; each test file (a child process) finds it
 * through the environment. A folder per run, not one shared file, because engineers run the suite
 * side by side on one sandbox: emptying a shared file would erase another run's evidence, and keeping
 * it would let an earlier run's records satisfy this run's checks.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, join } from 'node:path';
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
    /** One JSON line per answer a test received: tool results, task payloads, raw JSON-RPC and Lambda responses. */
    toolResults: join(dir, 'tool-results.jsonl'),
    /** One execution-store folder per line. */
    executionDirs: join(dir, 'execution-dirs.txt'),
    /** One JSON line per test file and front door it served MCP through (see noteServing). */
    served: join(dir, 'served.jsonl'),
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
  for (const file of [paths.output, paths.toolResults, paths.executionDirs, paths.served]) writeFileSync(file, '', { mode: 0o600 });
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

/** The test file this process runs (the runner starts one process per file, the file as its script). */
export function testFileName(): string {
  return basename(process.argv[1] ?? 'unknown');
}

/** The front doors a test file serves MCP through. */
export type FrontDoor = 'local adapter' | 'Lambda handler';

const noted = new Set<FrontDoor>();

/**
 * Notes that this file served MCP through `front`, once per file and front door: the canary then knows
 * which files ran without trusting the records it checks.
 */
export function noteServing(front: FrontDoor): void {
  if (noted.has(front)) return;
  noted.add(front);
  appendFileSync(ensureRunDir().served, `${JSON.stringify({ file: testFileName(), front })}\n`, { mode: 0o600 });
}

/**
 * The ways an answer reaches a test: the transport of an SDK client (tool results, task payloads, lists,
 * errors, notifications), a JSON-RPC request sent by hand, or the Lambda handler invoked in-process.
 */
export type AnswerRoute = 'sdk client' | 'raw JSON-RPC' | 'Lambda handler';

/** A JSON-RPC request as sent: what an answer is recorded under. */
export interface SentRequest {
  readonly method?: unknown;
  readonly params?: any;
}

/**
 * Appends one answer a test received (a JSON-RPC message, or whatever else a front door answered) to the
 * run's capture, one JSON line each, with the file and route it came by. A tools/call answer is
 * recorded as the tool's result, or as `thrown` with its JSON-RPC error.
 *
 * get_cluster_kubeconfig's successful output is a credential by design: it is checked to be exactly one
 * parseable kubeconfig (structured and text agree) and recorded as that verdict, not as its content.
 */
export function recordAnswer(via: AnswerRoute, request: SentRequest | undefined, answer: any, extra: Record<string, unknown> = {}): void {
  const base = { file: testFileName(), via, ...extra };
  let entry: Record<string, unknown>;
  if (request?.method === 'tools/call' && answer && typeof answer === 'object' && ('result' in answer || 'error' in answer)) {
    const tool = String(request.params?.name);
    const result = answer.result;
    entry = { ...base, tool, ...('error' in answer ? { thrown: JSON.stringify(answer.error) } : { result }) };
    if (tool === 'get_cluster_kubeconfig' && result && !result.isError) entry = { ...base, tool, kubeconfig: kubeconfigVerdict(result) };
  } else {
    const { jsonrpc: _, ...message } = answer && typeof answer === 'object' && !Array.isArray(answer) ? answer : { answer };
    entry = { ...base, method: request?.method ?? message.method, ...message };
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
