/**
 * A real local AWS endpoint for tests: moto's server (PyPI `moto[server]`, pinned), one process per
 * caller on 127.0.0.1 and a free port. Tests point AWS SDK clients at it with `motoClientConfig`.
 *
 * moto is installed on demand into the user cache by sandbox/moto.ts, its one home (the sandbox's AWS
 * profile runs the same install).
 *
 * The server never outlives the test process: besides `stop()` and an exit hook, it runs under a
 * watchdog that exits as soon as its stdin closes, which the kernel does when this process dies in any
 * way, SIGKILL included.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureMoto, motoAccountId, motoRegion, motoServerProgram, motoVersion } from '../../sandbox/moto.ts';

export { motoAccountId, motoDir, motoRegion, motoVersion } from '../../sandbox/moto.ts';

export interface Moto {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** Stops the server and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  /** Extra environment for the server (moto reads some settings from it, e.g. SF_EXECUTION_HISTORY_TYPE). */
  readonly env?: Readonly<Record<string, string>>;
  /** Python run before the server starts (tests of moto's server itself change a handler with it). */
  readonly python?: readonly string[];
}

/** Starts a moto server (installing moto first if needed) and resolves once it answers. */
export async function startMoto(options: StartMotoOptions = {}): Promise<Moto> {
  const python = await ensureMoto();
  let lastError: unknown;
  // Note: the port is chosen before moto binds it, so another process may take it in between; moto then
  // exits at once and we try another. Binding port 0 inside moto would avoid that, but moto exports its
  // port as MOTO_PORT and calls itself back on it (Step Functions invoking Lambda), so it must be real.
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await launch(python, await freePort(), options);
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`failed to start moto_server ${motoVersion}: ${(lastError as Error).message}`, { cause: lastError });
}

/** SDK client settings for `moto`: its endpoint, region us-east-1 and the credentials moto accepts. */
export function motoClientConfig(moto: Pick<Moto, 'endpoint'>) {
  return {
    endpoint: moto.endpoint,
    region: motoRegion,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
}

/** An AWS SDK v3 client of any service pointed at `moto`, e.g. `motoClient(SFNClient, moto)`. */
export function motoClient<C>(Client: new (config: ReturnType<typeof motoClientConfig>) => C, moto: Pick<Moto, 'endpoint'>): C {
  return new Client(motoClientConfig(moto));
}

/**
 * Sets moto's server-wide configuration (`/moto-api/config`), e.g.
 * `{ stepfunctions: { execute_state_machine: true }, lambda: { use_docker: false } }`.
 */
export async function configureMoto(moto: Pick<Moto, 'endpoint'>, config: Record<string, unknown>): Promise<void> {
  await motoApi(moto, 'config', config);
}

/** Queues the payloads that the next Lambda invocations return, in order (moto's Docker-free Lambda). */
export async function queueLambdaResults(moto: Pick<Moto, 'endpoint'>, results: readonly unknown[]): Promise<void> {
  await motoApi(moto, 'static/lambda-simple/response', {
    account_id: motoAccountId,
    region: motoRegion,
    results: results.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))),
  });
}

/** Forgets every resource (and queued result) the server holds. */
export async function resetMoto(moto: Pick<Moto, 'endpoint'>): Promise<void> {
  await motoApi(moto, 'reset', {});
}

async function motoApi(moto: Pick<Moto, 'endpoint'>, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${moto.endpoint}/moto-api/${path}`, { method: 'POST', body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`moto-api/${path} answered ${response.status}: ${await response.text()}`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** moto's server program, with a thread that ends the process when stdin reaches EOF. */
const watchdog = [
  'import os, sys, threading',
  'def watch():',
  '    sys.stdin.buffer.read()',
  '    os._exit(0)',
  'threading.Thread(target=watch, daemon=True).start()',
];

async function launch(python: string, port: number, options: StartMotoOptions): Promise<Moto> {
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(python, ['-c', motoServerProgram([...watchdog, ...(options.python ?? [])]), '-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, ...options.env, MOTO_PORT: String(port) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = once(child, 'exit');
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      child.stdin!.destroy();
    })());

  try {
    await waitUntilServing(endpoint, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  // A test that forgets stop() must not hang its process on the server: the watchdog ends it on exit.
  unref(child);
  return { endpoint, stop };
}

async function waitUntilServing(endpoint: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`moto_server exited (${child.exitCode ?? child.signalCode}) before serving: ${output().trim()}`);
    }
    try {
      // moto's own API answers only when it is moto (not another process that took the port).
      const response = await fetch(`${endpoint}/moto-api/data.json`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`moto_server did not answer on ${endpoint} within 30s: ${output().trim()}`);
}

function unref(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
}
