/**
 * The Node front door's shutdown (shared/http/node-adapter.ts), over real sockets: a drain lets the requests
 * in flight finish and take no new ones; past its grace period it cuts what is left.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, Agent } from 'node:http';
import { loadServingConfig } from '../../shared/config/config.ts';
import { clientAddressBehind } from '../../shared/http/client-address.ts';
import { listen } from '../../shared/http/node-adapter.ts';

/** A handler whose `/slow` answers when the test releases it; anything else answers at once. */
function slowHandler() {
  const waiting: (() => void)[] = [];
  let arrived: () => void = () => {};
  const someArrived = new Promise<void>((resolve) => (arrived = resolve));
  const handler = async (request: Request) => {
    if (new URL(request.url).pathname === '/slow') {
      arrived();
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
    return Response.json({ path: new URL(request.url).pathname });
  };
  return { handler, someArrived, release: () => waiting.splice(0).forEach((r) => r()) };
}

/** GET `url` on `agent`: the status, body and Connection header, or the error's code when the connection failed. */
function get(url: string, agent: Agent, headers: Record<string, string> = {}): Promise<{ status?: number; body?: string; connection?: string; error?: string }> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { agent, headers }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body, ...(res.headers.connection ? { connection: res.headers.connection } : {}) }));
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end();
  });
}

describe('listen: requests', () => {
  it('routes by the request line alone: a Host header that looks like a path chooses nothing', async () => {
    const server = await listen(async (request) => Response.json({ path: new URL(request.url).pathname, host: request.headers.get('host') }), '127.0.0.1', 0);
    const answer = await get(`${server.url}/mcp`, new Agent(), { host: 'localhost/readyz#' });
    assert.deepEqual(JSON.parse(answer.body ?? '{}'), { path: '/mcp', host: 'localhost/readyz#' });
    await server.close();
  });

  it('answers a request it cannot serve with a 500 that echoes nothing of it', async () => {
    const server = await listen(async () => {
      throw new Error('echo: Bearer secret-token-of-the-caller');
    }, '127.0.0.1', 0);
    const answer = await get(`${server.url}/mcp`, new Agent());
    assert.deepEqual([answer.status, answer.body], [500, JSON.stringify({ error: 'internal error' })]);
    await server.close();
  });

  it('gives the handler the client a trusted proxy forwarded for, and the peer itself otherwise', async () => {
    const echo = async (_: Request, meta?: { sourceIp?: string }) => Response.json({ sourceIp: meta?.sourceIp });
    const behindProxy = await listen(echo, '127.0.0.1', 0, { clientAddress: clientAddressBehind(loadServingConfig({ CAPI_MCP_TRUSTED_PROXIES: '127.0.0.0/8' }).trustedProxies) });
    const direct = await listen(echo, '127.0.0.1', 0);
    const forwarded = { 'x-forwarded-for': '198.51.100.1' };
    assert.deepEqual(JSON.parse((await get(`${behindProxy.url}/`, new Agent(), forwarded)).body!), { sourceIp: '198.51.100.1' });
    assert.deepEqual(JSON.parse((await get(`${direct.url}/`, new Agent(), forwarded)).body!), { sourceIp: '127.0.0.1' });
    await Promise.all([behindProxy.close(), direct.close()]);
  });

  it('listens on every address, IPv4 included, when given no host', async () => {
    const server = await listen(async () => Response.json({ ok: true }), undefined, 0);
    assert.equal((await get(`http://127.0.0.1:${server.port}/`, new Agent())).status, 200);
    await server.close();
  });
});

describe('listen: drain', () => {
  it('lets a request in flight finish, answering it with Connection: close, closes idle keep-alive connections at once and refuses new ones', async () => {
    const { handler, someArrived, release } = slowHandler();
    const server = await listen(handler, '127.0.0.1', 0);
    // An idle keep-alive connection, left open by a finished request on an agent of its own.
    const idleAgent = new Agent({ keepAlive: true });
    assert.equal((await get(`${server.url}/fast`, idleAgent)).status, 200);
    const [idleSocket] = Object.values(idleAgent.freeSockets).flat();
    assert.ok(idleSocket, 'the agent keeps the connection');
    const idleClosed = new Promise<void>((resolve) => idleSocket!.once('close', () => resolve()));
    const busyAgent = new Agent({ keepAlive: true });
    const inFlight = get(`${server.url}/slow`, busyAgent);
    await someArrived;
    const drained = server.drain(10_000);
    // The idle connection goes while the slow request still runs.
    await idleClosed;
    // Note: a fresh agent, so the new request cannot ride on a connection drain leaves open.
    assert.match((await get(`${server.url}/fast`, new Agent()))?.error ?? 'answered', /ECONNREFUSED/);
    release();
    assert.deepEqual(await inFlight, { status: 200, body: JSON.stringify({ path: '/slow' }), connection: 'close' });
    assert.deepEqual(await drained, { inFlightCut: 0 });
    idleAgent.destroy();
    busyAgent.destroy();
  });

  it('cuts a request still running when the grace period ends, and says how many it cut', async () => {
    const { handler, someArrived, release } = slowHandler();
    const server = await listen(handler, '127.0.0.1', 0);
    const agent = new Agent();
    const inFlight = get(`${server.url}/slow`, agent);
    await someArrived;
    assert.deepEqual(await server.drain(200), { inFlightCut: 1 });
    assert.match((await inFlight).error ?? 'answered', /ECONNRESET|socket hang up/);
    release();
  });

  it('ends at once when nothing is in flight', async () => {
    const server = await listen(async () => Response.json({}), '127.0.0.1', 0);
    const t0 = Date.now();
    assert.deepEqual(await server.drain(60_000), { inFlightCut: 0 });
    assert.ok(Date.now() - t0 < 30_000, 'did not wait for the grace period');
  });
});
