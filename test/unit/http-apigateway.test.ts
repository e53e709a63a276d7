/** API Gateway events ↔ Web Request/Response: the conversions the Lambda entry point relies on. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eventToRequest, responseToResult } from '../../shared/http/apigateway.ts';

const rest = (over: Record<string, unknown> = {}) => ({
  httpMethod: 'POST',
  path: '/mcp',
  headers: { Host: 'api.example.com', 'Content-Type': 'application/json' },
  multiValueHeaders: null,
  queryStringParameters: null,
  multiValueQueryStringParameters: null,
  body: '{"a":1}',
  isBase64Encoded: false,
  ...over,
});

const http2 = (over: Record<string, unknown> = {}) => ({
  version: '2.0' as const,
  rawPath: '/mcp',
  rawQueryString: 'x=1&x=2',
  headers: { host: 'api.example.com', 'content-type': 'application/json' },
  requestContext: { http: { method: 'POST' } },
  body: Buffer.from('{"a":1}').toString('base64'),
  isBase64Encoded: true,
  ...over,
});

describe('eventToRequest', () => {
  it('builds a REST API request with method, host, path and body', async () => {
    const request = eventToRequest(rest());
    assert.equal(request.method, 'POST');
    assert.equal(request.url, 'https://api.example.com/mcp');
    assert.equal(request.headers.get('content-type'), 'application/json');
    assert.equal(await request.text(), '{"a":1}');
  });

  it('keeps repeated REST query parameters and headers', () => {
    const request = eventToRequest(
      rest({ multiValueQueryStringParameters: { q: ['a', 'b'] }, multiValueHeaders: { Host: ['api.example.com'], 'X-Multi': ['1', '2'] } }),
    );
    assert.equal(new URL(request.url).search, '?q=a&q=b');
    assert.equal(request.headers.get('x-multi'), '1, 2');
  });

  it('decodes a base64 HTTP API body and keeps the raw query string', async () => {
    const request = eventToRequest(http2());
    assert.equal(request.url, 'https://api.example.com/mcp?x=1&x=2');
    assert.equal(await request.text(), '{"a":1}');
  });

  it('joins HTTP API cookies into one Cookie header', () => {
    assert.equal(eventToRequest(http2({ cookies: ['a=1', 'b=2'] })).headers.get('cookie'), 'a=1; b=2');
  });

  it('sends no body with a GET', async () => {
    const request = eventToRequest(rest({ httpMethod: 'GET', body: 'ignored' }));
    assert.equal(request.body, null);
  });
});

describe('responseToResult', () => {
  it('returns JSON as text with its headers', async () => {
    const result = await responseToResult(Response.json({ ok: true }, { status: 201 }), rest());
    assert.equal(result.statusCode, 201);
    assert.equal(result.isBase64Encoded, false);
    assert.equal(result.body, '{"ok":true}');
    assert.equal(result.headers['content-type'], 'application/json');
  });

  it('returns an event stream as text', async () => {
    const response = new Response('event: message\ndata: {}\n\n', { headers: { 'content-type': 'text/event-stream' } });
    const result = await responseToResult(response, http2());
    assert.equal(result.isBase64Encoded, false);
    assert.match(result.body, /^event: message/);
  });

  it('base64-encodes a binary body', async () => {
    const bytes = new Uint8Array([0, 255, 1]);
    const result = await responseToResult(new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } }), rest());
    assert.equal(result.isBase64Encoded, true);
    assert.deepEqual([...Buffer.from(result.body, 'base64')], [0, 255, 1]);
  });

  it('returns cookies the way each payload version expects', async () => {
    const response = () => {
      const r = new Response('x', { headers: { 'content-type': 'text/plain' } });
      r.headers.append('set-cookie', 'a=1');
      r.headers.append('set-cookie', 'b=2');
      return r;
    };
    assert.deepEqual((await responseToResult(response(), rest())).multiValueHeaders, { 'set-cookie': ['a=1', 'b=2'] });
    assert.deepEqual((await responseToResult(response(), http2())).cookies, ['a=1', 'b=2']);
  });
});
