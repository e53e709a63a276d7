/**
 * Throughput of the local adapter (shared/http/node-adapter.ts behind local/server.ts) under bounded
 * loopback load: autocannon with 10 connections sending stateless 2026-07-28 requests, each answer
 * checked to be an HTTP 200 JSON-RPC result that is not a tool error. The server runs in a child
 * process (bench/serve.ts), so the load generator and the server each have a core of the two.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { repoRoot } from '../sandbox/layout.ts';
import { failureOf, modernRequest, type BenchKey } from './access.ts';

export interface Throughput {
  readonly requestsPerSecond: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly mismatches: number;
  readonly errors: number;
}

export interface LocalServerProcess {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts bench/serve.ts with `env` and waits for it to listen. */
export async function startServerProcess(env: NodeJS.ProcessEnv): Promise<LocalServerProcess> {
  const child: ChildProcess = spawn(process.execPath, [join(repoRoot, 'bench', 'serve.ts')], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /LISTENING (\S+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`bench/serve.ts exited (${code}) before listening:\n${output.slice(-2000)}`)));
  });
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** One request shape for `seconds` (after a short unmeasured warm-up), with every answer checked. */
export async function loadTest(url: string, key: BenchKey, method: string, params: Record<string, unknown>, seconds: number): Promise<Throughput> {
  const { headers, body } = modernRequest(key, method, params);
  // Checked once in full, so a wrong request fails with the server's reason rather than as a count.
  const probe = await fetch(url, { method: 'POST', headers, body });
  const failure = failureOf(probe.status, await probe.text());
  if (failure) throw new Error(`${method} ${JSON.stringify(params)} is not answered with a result: ${failure}`);
  // Note: verifyBody is autocannon's (since v7.x), missing from @types/autocannon 7.
  const options = { url, method: 'POST', headers, body, connections: 10, verifyBody: (text: string) => failureOf(200, text) === undefined };
  await autocannon({ ...options, duration: 2 } as autocannon.Options);
  const result = await autocannon({ ...options, duration: seconds } as autocannon.Options);
  return {
    requestsPerSecond: result.requests.average,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    mismatches: (result as unknown as { mismatches: number }).mismatches,
    errors: result.errors + result.timeouts,
  };
}
