/** The request body cap shared by both front doors: a declared length, and a streamed body read no further than the cap. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { declaresTooLarge, maxRequestBodyBytes, payloadTooLarge, withBodyWithinLimit } from '../../shared/http/body-limit.ts';

const piece = 64 * 1024;

/** A body of `pieces` 64 KiB pieces (endless when Infinity), counting how many were pulled. */
function countedBody(pieces: number): { body: ReadableStream<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (pulled === pieces) return controller.close();
        pulled++;
        controller.enqueue(new Uint8Array(piece).fill(0x20));
      },
    },
    { highWaterMark: 0 },
  );
  return { body, pulled: () => pulled };
}

const post = (body: ReadableStream<Uint8Array> | string | undefined, headers: Record<string, string> = {}) =>
  new Request('http://127.0.0.1/mcp', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, ...(body !== undefined ? { body, duplex: 'half' } : {}) } as RequestInit);

describe('declaresTooLarge', () => {
  const table: [string, Record<string, string>, boolean][] = [
    ['no Content-Length (a streamed body)', {}, false],
    ['a length of exactly the cap', { 'content-length': String(maxRequestBodyBytes) }, false],
    ['a length one byte over the cap', { 'content-length': String(maxRequestBodyBytes + 1) }, true],
    ['a length beyond any number', { 'content-length': '9'.repeat(400) }, true],
    ['a length that is no number (left to the streamed cap)', { 'content-length': 'lots' }, false],
  ];
  for (const [name, headers, expected] of table) it(`${expected ? 'refuses' : 'passes'} ${name}`, () => assert.equal(declaresTooLarge(post(undefined, headers)), expected));
});

describe('withBodyWithinLimit', () => {
  it('passes a body of exactly the cap through whole, with its headers', async () => {
    const { body } = countedBody(maxRequestBodyBytes / piece);
    const bounded = await withBodyWithinLimit(post(body, { 'mcp-method': 'tools/call' }));
    assert.ok(bounded);
    assert.equal((await bounded.arrayBuffer()).byteLength, maxRequestBodyBytes);
    assert.equal(bounded.headers.get('mcp-method'), 'tools/call');
    assert.equal(bounded.method, 'POST');
  });

  it('stops at the first piece past the cap of an endless body, reading nothing after it', async () => {
    const { body, pulled } = countedBody(Infinity);
    assert.equal(await withBodyWithinLimit(post(body)), undefined);
    assert.equal(pulled(), maxRequestBodyBytes / piece + 1);
  });

  it('leaves a request without a body as it is', async () => {
    const request = new Request('http://127.0.0.1/mcp', { method: 'GET' });
    assert.equal(await withBodyWithinLimit(request), request);
  });
});

describe('payloadTooLarge', () => {
  it('answers 413 with a JSON-RPC error naming the cap', async () => {
    const response = payloadTooLarge();
    assert.equal(response.status, 413);
    assert.deepEqual(await response.json(), { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'request body is larger than 1048576 bytes' } });
  });
});
