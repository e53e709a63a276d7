/**
 * The Node front door's shutdown (shared/http/node-adapter.ts), over real sockets: a drain lets the requests
 * in flight finish and take no new ones; past its grace period it cuts what is left.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, Agent } from 'node:http';
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

/** GET `url` on `agent`: the status and body, or the error's code when the connection failed. */
function get(url: string, agent: Agent): Promise<{ status?: number; body?: string; error?: string }> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { agent }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end();
  });
}

describe('listen: drain', () => {
  it('lets a request in flight finish, closes idle keep-alive connections and refuses new ones', async () => {
    const { handler, someArrived, release } = slowHandler();
    const server = await listen(handler, '127.0.0.1', 0);
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    // An idle keep-alive connection, left open by a finished request.
    assert.equal((await get(`${server.url}/fast`, agent)).status, 200);
    const inFlight = get(`${server.url}/slow`, agent);
    await someArrived;
    const drained = server.drain(10_000);
    // Note: a fresh agent, so the new request cannot ride on the idle connection drain closes.
    assert.match((await get(`${server.url}/fast`, new Agent()))?.error ?? 'answered', /ECONNREFUSED/);
    release();
    assert.deepEqual(await inFlight, { status: 200, body: JSON.stringify({ path: '/slow' }) });
    assert.deepEqual(await drained, { inFlightCut: 0 });
    agent.destroy();
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
