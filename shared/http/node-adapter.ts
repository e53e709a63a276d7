/**
 * Serves a Web-standard handler from a Node HTTP server: the local front door of `npm start` and of the
 * tests, calling the very same handler the Lambda calls.
 *
 * The request body is handed over as a stream the handler pulls from, so nothing of it is read before the
 * checks that need no body (Host, API key) and never more than the handler's cap (shared/http/body-limit.ts).
 * A body the handler leaves unread is not read on to keep the connection alive: the answer closes it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIPv6, type AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import type { ClientAddress } from './client-address.ts';
import type { WebHandler } from './web-handler.ts';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /** Stops at once, cutting every open connection (tests, `npm start`'s Ctrl-C). */
  close(): Promise<void>;
  /**
   * Stops as a pod should on SIGTERM: no new connections, idle keep-alive ones closed, the requests in
   * flight left to finish for up to `graceMs`, then whatever is left cut. Says how many requests it cut.
   */
  drain(graceMs: number): Promise<{ readonly inFlightCut: number }>;
}

/**
 * Serves `handler` on `port` of `host`; without a host, on every address of the machine, IPv6 and IPv4
 * (Node's default: a pod on an IPv6 or dual-stack network is reached on its IPv6 address).
 */
export async function listen(handler: WebHandler, host: string | undefined, port: number, { clientAddress = (peer) => peer }: { readonly clientAddress?: ClientAddress } = {}): Promise<RunningServer> {
  let inFlight = 0;
  let draining = false;
  const server: Server = createServer((req, res) => {
    inFlight++;
    res.once('close', () => {
      inFlight--;
      // Note: a keep-alive connection turns idle only once its answer is sent; while draining, close it then.
      if (draining) server.closeIdleConnections();
    });
    serve(handler, req, res, () => draining, clientAddress).catch(() => {
      // Note: no message: what failed here is the request itself (a Host the URL parser refuses, a body
      // cut off), and its text is the caller's own, never to be echoed back.
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'internal error' }));
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolveListen());
  });
  const actual = (server.address() as AddressInfo).port;
  const shown = host === undefined ? 'localhost' : isIPv6(host) ? `[${host}]` : host;
  return {
    url: `http://${shown}:${actual}`,
    port: actual,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
    async drain(graceMs) {
      draining = true;
      const closed = new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const inTime = await Promise.race([closed.then(() => true), new Promise<false>((resolveLate) => (timer = setTimeout(() => resolveLate(false), graceMs)))]);
      clearTimeout(timer);
      const inFlightCut = inTime ? 0 : inFlight;
      if (!inTime) server.closeAllConnections();
      await closed;
      return { inFlightCut };
    },
  };
}

/** How long a connection whose body was left unread may stay open after its answer, for the client to read it. */
const lingerMs = 1_000;

/** Answers one request; `draining()` says whether the server is stopping (the connection then closes after the answer). */
async function serve(handler: WebHandler, req: IncomingMessage, res: ServerResponse, draining: () => boolean, clientAddress: ClientAddress): Promise<void> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  // Note: the path and query from the request line only. The Host header stays a header, which the handler
  // checks: built into the URL, a Host such as "localhost/readyz#" would choose the route.
  const { pathname, search } = new URL(req.url ?? '/', 'http://localhost');
  const request = new Request(`http://localhost${pathname}${search}`, {
    method: req.method ?? 'GET',
    headers,
    ...(req.method !== 'GET' && req.method !== 'HEAD' ? { body: pulledBody(req), duplex: 'half' } : {}),
  } as RequestInit);
  const forwardedFor = req.headers['x-forwarded-for'];
  const sourceIp = clientAddress(req.socket.remoteAddress, Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? null));
  const response = await handler(request, { ...(sourceIp ? { sourceIp } : {}) });
  const unread = !req.complete;
  res.writeHead(response.status, { ...Object.fromEntries(response.headers), ...(unread || draining() ? { connection: 'close' } : {}) });
  if (response.body) {
    for await (const chunk of response.body) res.write(chunk);
  }
  res.end();
  if (unread) {
    // Node half-closes after the answer; a client still sending is cut off once it had time to read it.
    res.once('finish', () => setTimeout(() => req.socket.destroy(), lingerMs).unref());
  }
}

/** The request body as a Web stream that reads from the socket only when the handler asks for more. */
function pulledBody(req: Readable): ReadableStream<Uint8Array> {
  let chunks: AsyncIterator<Buffer> | undefined;
  return new ReadableStream(
    {
      async pull(controller) {
        chunks ??= req[Symbol.asyncIterator]();
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
    },
    { highWaterMark: 0 },
  );
}
