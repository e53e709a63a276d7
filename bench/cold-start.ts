/**
 * Cold start: a fresh Node process that imports a bundled Lambda function and answers `server/discover`
 * then `tools/list` (2026-07-28, stateless), for capi-mcp's MCP function and for an SDK-only hello-world
 * server (bench/hello/handler.ts) bundled the same way — by infra/lib/function-bundle.ts, the settings the
 * deployed functions are built with. Runs alternate between the two, so machine load falls on both alike.
 * Wall time is spawn to exit; the child also reports its own split.
 *
 * capi-mcp runs configured as deployed with workflows (a state machine ARN, so the operation tools are
 * listed; discovery and tools/list never call Step Functions), with the API keys in a file. Note: a
 * deployment reads them from Secrets Manager, so its first request also loads that client and makes one
 * GetSecretValue call, which this measurement leaves out; and outside Lambda the X-Ray Tracer, which a
 * deployment loads on its first sampled invocation, is never loaded.
 *
 * A third side is the hello server with the one change capi-mcp makes that any SDK server could make
 * (shared/http/stackless-release.ts: no source map parsed for Node's reader-release error): against it
 * the ratio is what capi-mcp's own code costs, like for like.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { entryFile, functionBuildOptions, functionEntry } from '../infra/lib/function-bundle.ts';
import { repoRoot } from '../sandbox/layout.ts';
import { modernRequest, type BenchKey } from './access.ts';
import { statsOf, type Stats } from './stats.ts';

const execFileAsync = promisify(execFile);

export interface ColdStartSide {
  /** The entry chunk (index.mjs). */
  readonly bundleBytes: number;
  /** What a cold start loads: the entry chunk and the chunks it imports statically (maps not counted). */
  readonly loadedBytes: number;
  /** Every chunk, including those only a tool call loads. */
  readonly totalBytes: number;
  /** The largest packages in what a cold start loads, by bytes of output. */
  readonly largest: readonly { readonly module: string; readonly bytes: number }[];
  readonly wall: Stats;
  /**
   * CPU time of the child (user + system, all its threads), spawn to exit: steadier than wall time when
   * other work shares the machine, since waiting for a core is not counted.
   */
  readonly cpu: Stats;
  /** Inside the child: module import, then each answer (medians, ms). */
  readonly importMs: number;
  readonly discoverMs: number;
  readonly toolsListMs: number;
  readonly toolsListed: number;
}

export interface ColdStartResult {
  readonly capi: ColdStartSide;
  readonly hello: ColdStartSide;
  /** The hello server that makes Node's reader-release error without a stack, as capi-mcp's handler does. */
  readonly helloStackless: ColdStartSide;
}

export async function measureColdStart(options: { outDir: string; key: BenchKey; env: NodeJS.ProcessEnv; runs: number }): Promise<ColdStartResult> {
  const capiBundle = await bundle(functionEntry('mcp'), join(options.outDir, 'mcp'));
  const helloEntry = join(repoRoot, 'bench', 'hello', 'handler.ts');
  const helloBundle = await bundle(helloEntry, join(options.outDir, 'hello'));
  const stacklessEntry = join(options.outDir, 'hello-stackless.ts');
  await mkdir(options.outDir, { recursive: true });
  await writeFile(
    stacklessEntry,
    `import { makeReaderReleaseErrorWithoutStack } from ${JSON.stringify(join(repoRoot, 'shared', 'http', 'stackless-release.ts'))};\n` +
      `makeReaderReleaseErrorWithoutStack();\nexport { handler } from ${JSON.stringify(helloEntry)};\n`,
  );
  const helloStacklessBundle = await bundle(stacklessEntry, join(options.outDir, 'hello-stackless'));
  // Both receive the same two events; the hello server ignores the Authorization header.
  const events = [modernRequest(options.key, 'server/discover', {}, 1), modernRequest(options.key, 'tools/list', {}, 2)].map(httpApiEvent);
  const base = { PATH: process.env.PATH, NODE_OPTIONS: '--enable-source-maps' };
  const deployed = { CAPI_MCP_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:capi-mcp-bench' };
  const sides = { capi: { ...capiBundle, env: { ...base, ...deployed, ...options.env } }, hello: { ...helloBundle, env: base }, helloStackless: { ...helloStacklessBundle, env: base } };
  const names = ['capi', 'hello', 'helloStackless'] as const;
  type Side = (typeof names)[number];
  const samples = { capi: [] as ChildRun[], hello: [] as ChildRun[], helloStackless: [] as ChildRun[] };
  // One unmeasured run each warms the file cache, as a Lambda's code is on local disk before init.
  for (const side of Object.values(sides)) await runChild(side.file, side.env, events);
  for (let i = 0; i < options.runs; i++) {
    for (const name of names) samples[name].push(await runChild(sides[name].file, sides[name].env, events));
  }
  const summarize = async (name: Side): Promise<ColdStartSide> => {
    const runs = samples[name];
    const median = (pick: (r: ChildRun) => number) => statsOf(runs.map(pick)).median;
    return {
      bundleBytes: (await stat(sides[name].file)).size,
      loadedBytes: sides[name].loadedBytes,
      totalBytes: sides[name].totalBytes,
      largest: sides[name].largest,
      wall: statsOf(runs.map((r) => r.wallMs)),
      cpu: statsOf(runs.map((r) => r.cpuMs)),
      importMs: median((r) => r.importMs),
      discoverMs: median((r) => r.discoverMs),
      toolsListMs: median((r) => r.toolsListMs),
      toolsListed: runs[0]!.tools,
    };
  };
  return { capi: await summarize('capi'), hello: await summarize('hello'), helloStackless: await summarize('helloStackless') };
}

/** `entry` bundled as a function is deployed (infra/lib/function-bundle.ts), and what its cold start loads. */
async function bundle(entry: string, outDir: string) {
  await rm(outDir, { recursive: true, force: true });
  const { metafile } = await build(functionBuildOptions(entry, outDir));
  const file = join(outDir, entryFile);
  const loaded = staticallyLoaded(metafile!, relative(process.cwd(), file));
  const byModule = new Map<string, number>();
  for (const output of loaded) {
    for (const [input, { bytesInOutput }] of Object.entries(metafile!.outputs[output]!.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const module = match ? match[1]! : '(capi-mcp)';
      byModule.set(module, (byModule.get(module) ?? 0) + bytesInOutput);
    }
  }
  const largest = [...byModule].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([module, bytes]) => ({ module, bytes }));
  const chunks = Object.entries(metafile!.outputs).filter(([path]) => path.endsWith('.mjs'));
  return {
    file,
    largest,
    loadedBytes: loaded.reduce((sum, output) => sum + metafile!.outputs[output]!.bytes, 0),
    totalBytes: chunks.reduce((sum, [, { bytes }]) => sum + bytes, 0),
  };
}

/** The output `entry` and every chunk it reaches by static imports: what importing it loads. */
function staticallyLoaded(metafile: Metafile, entry: string): string[] {
  const seen = new Set([entry]);
  for (const output of seen) {
    for (const { path, kind } of metafile.outputs[output]!.imports) if (kind === 'import-statement' && path in metafile.outputs) seen.add(path);
  }
  return [...seen];
}

function httpApiEvent(request: { headers: Record<string, string>; body: string }) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/mcp',
    rawQueryString: '',
    headers: { host: 'abc123.execute-api.eu-west-1.amazonaws.com', 'x-forwarded-proto': 'https', ...request.headers },
    requestContext: { requestId: 'bench', http: { method: 'POST', path: '/mcp', sourceIp: '203.0.113.7' } },
    body: request.body,
    isBase64Encoded: false,
  };
}

interface ChildRun {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly importMs: number;
  readonly discoverMs: number;
  readonly toolsListMs: number;
  readonly tools: number;
}

/** The child: import, answer both events, check them, report one line, exit (open sockets do not hold it). */
const childScript = (file: string, events: unknown[]) => `
const t0 = performance.now();
const { handler } = await import(${JSON.stringify(file)});
const t1 = performance.now();
const discover = await handler(${JSON.stringify(events[0])});
const t2 = performance.now();
const list = await handler(${JSON.stringify(events[1])});
const t3 = performance.now();
const message = (r) => { const d = r.body.split('\\n').find((l) => l.startsWith('data: ')); return JSON.parse(d ? d.slice(6) : r.body); };
const failures = [discover, list].filter((r) => r.statusCode !== 200 || message(r).error).map((r) => r.statusCode + ' ' + r.body.slice(0, 300));
const cpu = process.cpuUsage();
process.stdout.write('\\nBENCH ' + JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, importMs: t1 - t0, discoverMs: t2 - t1, toolsListMs: t3 - t2, tools: failures.length ? 0 : message(list).result.tools.length, failures }) + '\\n');
process.exit(0);
`;

async function runChild(file: string, env: NodeJS.ProcessEnv, events: unknown[]): Promise<ChildRun> {
  const t0 = performance.now();
  const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', childScript(file, events)], { env, maxBuffer: 16 * 1024 * 1024 });
  const wallMs = performance.now() - t0;
  const line = stdout.split('\n').find((l) => l.startsWith('BENCH '));
  if (!line) throw new Error(`cold start of ${file} printed no result:\n${stdout.slice(-2000)}`);
  const result = JSON.parse(line.slice(6));
  if (result.failures.length > 0) throw new Error(`cold start of ${file} was answered with errors: ${result.failures.join('\n')}`);
  return { wallMs, ...result };
}

/**
 * `node bench/cold-start.ts`: this measurement alone, without a sandbox — answering discovery and
 * tools/list never reaches a management cluster, so the kubeconfig named need not exist.
 */
if (import.meta.main) {
  const { createBenchKey } = await import('./access.ts');
  const { ms, ratio } = await import('./stats.ts');
  const dataDir = join(repoRoot, '.capi-mcp', 'bench-cold-start');
  const key = await createBenchKey(join(dataDir, 'auth'));
  const env = {
    CAPI_MCP_MANAGEMENT_CLUSTERS: JSON.stringify([{ name: 'bench', kubeconfig: join(dataDir, 'kubeconfig') }]),
    CAPI_MCP_READ_ONLY: 'false',
    CAPI_MCP_API_KEYS_FILE: key.storeFile,
    CAPI_MCP_LOG_FILE: join(dataDir, 'server.log'),
  };
  const runs = Number(process.env.BENCH_RUNS ?? 12);
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
  const { capi, hello, helloStackless } = await measureColdStart({ outDir: join(dataDir, 'bundles'), key, env, runs });
  for (const [name, side] of Object.entries({ capi, hello, 'hello, stackless release': helloStackless })) {
    const split = `import ${side.importMs.toFixed(0)} / discover ${side.discoverMs.toFixed(0)} / tools/list ${side.toolsListMs.toFixed(0)} ms, CPU ${ms(side.cpu)}`;
    const sizes = `index.mjs ${kib(side.bundleBytes)}, loaded ${kib(side.loadedBytes)} of ${kib(side.totalBytes)}`;
    console.log(`${name.padEnd(24)} ${ms(side.wall)}  ${split}  ${sizes}`);
  }
  console.log(`ratio ${ratio(capi.wall, hello.wall, 1.3)}; of CPU time ${ratio(capi.cpu, hello.cpu)}`);
  console.log(`like for like, against the hello server with the stackless release: ${ratio(capi.wall, helloStackless.wall, 1.3)}; of CPU time ${ratio(capi.cpu, helloStackless.cpu)}`);
  console.log(`largest in capi's bundle: ${capi.largest.map((l) => `${l.module} ${(l.bytes / 1024).toFixed(0)} KiB`).join(', ')}`);
}
