/**
 * An API outage for one test file alone: a loopback TCP proxy in front of the test sandbox's API
 * server, and a kubeconfig that names it, for the file's own capi-mcp servers. Cutting the proxy resets
 * every connection through it and stops listening, so those servers meet what a stopped API server does
 * to a client (connections reset mid-request, new ones refused) while the controllers and every other
 * test file, running at the same time, keep the real API server.
 *
 * Note: a plain TCP pipe, not an HTTP proxy: TLS runs end to end, so the client still verifies the API
 * server's certificate (issued for 127.0.0.1, which the proxy's address is too; no SNI for an IP) and
 * presents the admin client certificate to it, exactly as without the proxy.
 */
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { closeWhenFileEnds } from './mcp.ts';
import { testSandbox } from './sandbox.ts';

export interface ApiProxy {
  /** A kubeconfig file like the sandbox's admin one, whose server is the proxy. */
  readonly kubeconfig: string;
  /** Connections the proxy has carried to the API server so far. */
  readonly carried: () => number;
  /** Resets every open connection and stops listening: new connections are refused until `restore`. */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
}

/** Starts a proxy to the test sandbox's API server for the calling test file; closed when the file ends. */
export async function startApiProxy(): Promise<ApiProxy> {
  const target = new URL(testSandbox().apiServerUrl);
  const open = new Set<Socket>();
  let carried = 0;
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    carried++;
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      // One side failing ends both, as the TCP connection through a stopped server would.
      socket.on('error', () => resetAll([client, upstream]));
    }
    client.pipe(upstream).pipe(client);
  });
  const listen = async (port: number) => {
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
  };
  await listen(0);
  const { port } = server.address() as { port: number };
  const cut = async () => {
    const closed = once(server, 'close');
    server.close();
    resetAll(open);
    await closed;
  };

  const dir = mkdtempSync(join(tmpdir(), 'capi-mcp-api-proxy-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const doc = parse(readFileSync(testSandbox().paths.kubeconfig, 'utf8'));
  for (const { cluster } of doc.clusters) cluster.server = `https://127.0.0.1:${port}`;
  // It holds the admin client key, as the sandbox's own kubeconfig does: owner-only, and removed with the proxy.
  writeFileSync(kubeconfig, stringify(doc), { mode: 0o600 });

  closeWhenFileEnds(async () => {
    if (server.listening) await cut();
    rmSync(dir, { recursive: true, force: true });
  });
  return { kubeconfig, carried: () => carried, cut, restore: () => listen(port) };
}

/** Ends each socket with a TCP RST, not a FIN: the peer sees ECONNRESET, as when a server dies. */
function resetAll(sockets: Iterable<Socket>): void {
  for (const socket of [...sockets]) if (!socket.destroyed) socket.resetAndDestroy();
}
