/**
 * How a sandbox tells that its processes answer: HTTP(S) status probes with short timeouts, a wait that
 * fails as soon as the process it waits for has exited, and a check that its ports are free before `up`.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KeyPairFiles } from './pki.ts';
import type { SandboxPorts } from './layout.ts';

/**
 * HTTP status of a GET over TLS with the sandbox CA of `pkiDir`, as the admin unless `identity` is
 * given; 0 when nothing answers (or the sandbox has no CA yet).
 */
export async function httpsStatus(url: string, pkiDir: string, identity?: KeyPairFiles): Promise<number> {
  if (!existsSync(join(pkiDir, 'ca.crt'))) return 0;
  const id = identity ?? { cert: join(pkiDir, 'admin.crt'), key: join(pkiDir, 'admin.key') };
  const [ca, cert, key] = await Promise.all([readFile(join(pkiDir, 'ca.crt')), readFile(id.cert), readFile(id.key)]);
  return new Promise((resolveStatus) => {
    const req = request(url, { ca, cert, key, timeout: 2000 }, (res) => {
      res.resume();
      resolveStatus(res.statusCode ?? 0);
    });
    req.on('error', () => resolveStatus(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** HTTP status of a plain GET; 0 when nothing answers within 2 s. */
export async function httpStatus(url: string): Promise<number> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).status;
  } catch {
    return 0;
  }
}

/** What {@link waitFor} asks of the process it waits for. */
export interface StartingProcess {
  readonly name: string;
  /** Whether the process still runs (the binary it was started as). */
  running(): Promise<boolean>;
  /** The last lines of its log, for the error. */
  logTail(): Promise<string>;
}

/** Polls `ready` until it holds; fails at once, with the log's tail, when the process exits. */
export async function waitFor(proc: StartingProcess, ready: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ready()) return;
    if (!(await proc.running())) throw new Error(`${proc.name} exited during start-up:\n${await proc.logTail()}`);
    if (Date.now() > deadline) throw new Error(`${proc.name} did not become ready in ${timeoutMs / 1000}s:\n${await proc.logTail()}`);
    await sleep(250);
  }
}

/** Fails fast, naming the port, when something else (often another sandbox) holds one of ours. */
export async function assertPortsFree(ports: SandboxPorts, extra: readonly number[] = []): Promise<void> {
  const wanted = [ports.apiServer, ports.etcdClient, ports.etcdPeer, ports.controllerManager, ports.inMemory.debug, ...extra];
  for (const m of Object.values(ports.managers)) wanted.push(m.webhook, m.health, m.diagnostics);
  await assertSomePortsFree(wanted);
}

/** {@link assertPortsFree} for some ports of a block only: those a profile added to a running sandbox takes. */
export async function assertSomePortsFree(wanted: readonly number[]): Promise<void> {
  for (const port of wanted) {
    const free = await new Promise<boolean>((resolveFree) => {
      const probe = createServer();
      probe.once('error', () => resolveFree(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolveFree(true)));
    });
    if (!free) {
      throw new Error(
        `port ${port} on 127.0.0.1 is in use (another sandbox with the same port base?); stop it or choose another --port-base / CAPI_MCP_SANDBOX_PORT_BASE`,
      );
    }
  }
}
