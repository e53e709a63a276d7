/**
 * Nothing a caller sends can stall the server: request bodies are capped (413 as soon as the cap is
 * passed, without reading on), after the checks that need no body (a wrong Host still gets its Host
 * refusal); tool argument strings and ClusterClass variable values are bounded with an InvalidInput that
 * names them; and a create_cluster whose variable is crafted against the redaction patterns answers in
 * about the time an ordinary one does. Over HTTP against the local adapter, and through the Lambda entry
 * point, against the test sandbox.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { authHeaders } from '../support/auth.ts';
import { modernRpc, startTestServer, testServerEnv } from '../support/mcp.ts';
import { useNamespace } from '../support/sandbox.ts';

Object.assign(process.env, testServerEnv());
const { handler: lambdaHandler } = await import('../../functions/mcp/handler.ts');

const ns = await useNamespace('limits');
const url = await startTestServer();
const mib = 1024 * 1024;

/** A tools/call body for create_cluster, as a 2026-07-28 client sends it. */
function createClusterBody(variables: Record<string, unknown>, clusterClass = 'no-such-class') {
  return JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: {
      name: 'create_cluster',
      arguments: { namespace: ns.name, name: 'limits', cluster_class: clusterClass, kubernetes_version: 'v1.35.0', variables },
      _meta: {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientInfo': { name: 'capi-mcp-test', version: '1.0.0' },
        'io.modelcontextprotocol/clientCapabilities': {},
      },
    },
  });
}

const rpcHeaders = (method = 'tools/call', name = 'create_cluster') => ({
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2026-07-28',
  'mcp-method': method,
  'mcp-name': name,
  ...authHeaders(),
});

interface RawAnswer {
  /** Everything the server sent before it closed the connection. */
  readonly text: string;
  readonly status: number;
  /** The server closed the connection (rather than the test giving up waiting). */
  readonly closedByServer: boolean;
}

/**
 * One HTTP/1.1 request written by hand on a socket that the client never closes: the head, then `body`
 * in 64 KiB pieces (chunked when `chunked`), and after that nothing more. Collects what the server sends
 * until it closes the connection; gives up after `giveUpMs` (then `closedByServer` is false).
 */
function rawRequest(head: Record<string, string>, body: Buffer, { chunked = false, giveUpMs = 20_000 } = {}): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    const received: Buffer[] = [];
    const finish = (closedByServer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(received).toString('latin1');
      resolve({ text, status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), closedByServer });
    };
    const timer = setTimeout(() => finish(false), giveUpMs);
    socket.on('data', (data) => received.push(data));
    socket.on('close', () => finish(true));
    socket.on('error', () => undefined); // writes after the server closed fail; the answer is what counts
    socket.on('connect', async () => {
      const lines = Object.entries({ ...head, ...(chunked ? { 'transfer-encoding': 'chunked' } : {}) }).map(([k, v]) => `${k}: ${v}`);
      socket.write(`POST ${url.pathname} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
      for (let at = 0; at < body.length && !socket.destroyed && received.length === 0; at += 64 * 1024) {
        const piece = body.subarray(at, at + 64 * 1024);
        const ok = socket.write(chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece);
        if (!ok) await new Promise((r) => socket.once('drain', r).once('close', r));
      }
    });
  });
}

const host = `${url.hostname}:${url.port}`;

describe('request bodies', () => {
  it('a declared 2 MiB body gets 413 at once: the server answers before a byte of it is sent, and closes', async () => {
    const answer = await rawRequest({ host, ...rpcHeaders(), 'content-length': String(2 * mib) }, Buffer.alloc(0));
    assert.equal(answer.status, 413, answer.text.slice(0, 300));
    assert.ok(answer.closedByServer, 'the server closed the connection instead of waiting for the body');
    // The body may come chunked: the JSON is what lies between its outer braces.
    const body = JSON.parse(answer.text.slice(answer.text.indexOf('{'), answer.text.lastIndexOf('}') + 1));
    assert.equal(body.error.code, -32600);
    assert.match(body.error.message, /request body is larger than 1048576 bytes/);
  });

  it('a streamed body without a length gets 413 once it passes 1 MiB, and the rest is never waited for', async () => {
    // 1.5 MiB is sent and then nothing: no last chunk, the connection left open.
    const answer = await rawRequest({ host, ...rpcHeaders() }, Buffer.alloc(1.5 * mib, 0x20), { chunked: true });
    assert.equal(answer.status, 413, answer.text.slice(0, 300));
    assert.ok(answer.closedByServer, 'the server closed the connection');
  });

  it('a 2 MiB body from fetch gets 413, with the JSON-RPC error', async () => {
    const response = await fetch(url, { method: 'POST', headers: rpcHeaders(), body: Buffer.alloc(2 * mib, 0x20) });
    assert.equal(response.status, 413);
    assert.deepEqual(await response.json(), { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'request body is larger than 1048576 bytes' } });
  });

  it('a wrong Host gets its Host refusal, not 413: the Host is checked before the body', async () => {
    const answer = await rawRequest({ host: 'evil.example:80', ...rpcHeaders(), 'content-length': String(2 * mib) }, Buffer.alloc(0));
    assert.equal(answer.status, 403, answer.text.slice(0, 300));
    assert.match(answer.text, /Invalid Host/i);
  });

  it('a streamed body without an API key gets 401 without being read, and the connection closes', async () => {
    const { authorization: _, ...anonymous } = rpcHeaders() as Record<string, string>;
    const answer = await rawRequest({ host, ...anonymous }, Buffer.alloc(1.5 * mib, 0x20), { chunked: true });
    assert.equal(answer.status, 401, answer.text.slice(0, 300));
    assert.ok(answer.closedByServer);
  });

  it('a body just under the cap is served', async () => {
    // Sixteen variables of 64,000 characters, and one more that fills the body to within 1 KiB of the cap.
    const variables: Record<string, string> = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`v${i}`, 'x'.repeat(64_000)]));
    variables.last = 'x'.repeat(mib - 512 - Buffer.byteLength(createClusterBody({ ...variables, last: '' })));
    const body = createClusterBody(variables);
    assert.ok(Buffer.byteLength(body) < mib && Buffer.byteLength(body) > mib - 1024);
    const response = await fetch(url, { method: 'POST', headers: rpcHeaders(), body });
    assert.equal(response.status, 200, await response.clone().text());
    assert.match(((await response.json()) as any).result.content[0].text, /^InvalidInput: ClusterClass .*no-such-class does not exist/);
  });

  it('a Lambda event with a 2 MiB body gets 413 too', async () => {
    const body = createClusterBody({ note: 'x'.repeat(2 * mib) });
    const result = await lambdaHandler({
      httpMethod: 'POST',
      path: '/mcp',
      headers: { Host: 'abc123.execute-api.eu-west-1.amazonaws.com', ...rpcHeaders() },
      body,
      isBase64Encoded: false,
      requestContext: { requestId: 'limits-1' },
    });
    assert.equal(result.statusCode, 413);
    assert.equal(JSON.parse(result.body).error.code, -32600);
  });
});

describe('tool arguments', () => {
  const call = (variables: Record<string, unknown>) => modernRpc(url, authHeaders().authorization, 'tools/call', { name: 'create_cluster', arguments: { namespace: ns.name, name: 'limits', cluster_class: 'no-such-class', kubernetes_version: 'v1.35.0', variables } }, 'create_cluster');

  it('a variable value string over 64 KiB is refused with InvalidInput naming the variable', async () => {
    const { status, body } = await call({ sshKeys: 'a'.repeat(80 * 1024) });
    assert.equal(status, 200);
    assert.equal(body.result.isError, true);
    assert.match(body.result.content[0].text, /^InvalidInput: argument variables\.sshKeys is 81920 bytes; at most 65536/);
  });

  it('a variable value that serializes to over 64 KiB is refused with InvalidInput naming the variable', async () => {
    const { body } = await call({ files: { list: Array.from({ length: 2000 }, (_, i) => ({ path: `/etc/f${i}`, content: 'c'.repeat(30) })) } });
    assert.equal(body.result.isError, true);
    assert.match(body.result.content[0].text, /^InvalidInput: invalid cluster limits-\w+\/limits: variable "files" is \d+ bytes as JSON; at most 65536/);
  });

  it('a value nested deeper than any ClusterClass variable is refused with InvalidInput naming the variable', async () => {
    // Written by hand: 10,000 levels are too deep for JSON.stringify itself.
    const deep = `${'['.repeat(10_000)}"bottom"${']'.repeat(10_000)}`;
    const response = await fetch(url, { method: 'POST', headers: rpcHeaders(), body: createClusterBody({ deep: 'DEEP' }).replace('"DEEP"', deep) });
    const body = (await response.json()) as any;
    assert.equal(body.result.isError, true);
    assert.match(body.result.content[0].text, /^InvalidInput: argument variables\.deep nests deeper than 32 levels/);
  });

  it('values within the bounds pass on to the ClusterClass check', async () => {
    const { body } = await call({ sshKeys: 'a'.repeat(60 * 1024), files: { list: ['small'] } });
    assert.match(body.result.content[0].text, /^InvalidInput: ClusterClass .*no-such-class does not exist/);
  });
});

describe('create_cluster with a variable crafted against redaction', () => {
  /**
   * Wall and CPU milliseconds of the fastest of five calls. Note: the server runs in this process, so its
   * CPU time counts the work a call costs it without the load of other processes on a shared machine,
   * which only ever adds wall time; the comparison is made on CPU time, wall time is reported too.
   */
  async function fastest(call: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
    let wall = Infinity;
    let cpu = Infinity;
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      const startedCpu = process.cpuUsage();
      await call();
      const { user, system } = process.cpuUsage(startedCpu);
      wall = Math.min(wall, performance.now() - started);
      cpu = Math.min(cpu, (user + system) / 1000);
    }
    return { wall, cpu };
  }

  // 80 KB is over the argument bound (refused, yet audited with its arguments redacted); 60 KB is under it
  // and goes on to the ClusterClass check.
  for (const size of [80 * 1024, 60 * 1024]) {
    it(`answers a ${size / 1024} KB "-eyJ" value in about the time an ordinary one takes`, async (t) => {
      const send = (value: string) => () =>
        fetch(url, { method: 'POST', headers: rpcHeaders(), body: createClusterBody({ note: value }) }).then(async (r) => {
          assert.equal(r.status, 200);
          assert.match(((await r.json()) as any).result.content[0].text, /^InvalidInput: /);
        });
      await send('warm-up')();
      const benign = await fastest(send('lorem ipsum '.repeat(size / 12)));
      const limitMs = 10 * benign.cpu + 50;
      const hostile = await fastest(send('-eyJ'.repeat(size / 4)));
      t.diagnostic(
        `create_cluster, ${size / 1024} KB variable: "-eyJ…" ${hostile.wall.toFixed(0)} ms (CPU ${hostile.cpu.toFixed(0)} ms), ordinary ${benign.wall.toFixed(0)} ms (CPU ${benign.cpu.toFixed(0)} ms)`,
      );
      assert.ok(hostile.cpu <= limitMs, `"-eyJ…" took ${hostile.cpu.toFixed(0)} CPU ms, more than 10× an ordinary value (${benign.cpu.toFixed(0)} ms) + 50 ms`);
    });
  }
});
