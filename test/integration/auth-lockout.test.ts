/**
 * Nobody locks a key out but its holder: over HTTP, with the default throttle, failures made with a
 * key's public id from other sources never refuse the holder — in a server that saw the holder verify
 * before and in a fresh one that did not (a new Lambda container) — while a source that brute-forces
 * gets 429 with Retry-After. Both front doors: the local adapter, whose source is the socket's address
 * (clients bind 127.0.0.x), and the Lambda handler invoked in-process with HTTP API events, whose source
 * is the event's sourceIp. Needs no cluster: every request is a tools/list.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKey } from '../../shared/auth/key-admin.ts';
import { FileKeyStore } from '../../shared/auth/key-store.ts';
import { lambdaHandler, modernRequest, startTestServer } from '../support/mcp.ts';

// A store of this file's own: the key under attack is not the run's canary.
const storeFile = join(mkdtempSync(join(tmpdir(), 'capi-lockout-')), 'api-keys.json');
const holder = await createKey(new FileKeyStore(storeFile), { name: 'holder', scopes: ['read'] });
const wrongSecret = `capi_${holder.record.id}_${'W'.repeat(43)}`;

/** A 2026-07-28 tools/list with `token`, as the HTTP answer's status and Retry-After. */
interface Answer {
  readonly status: number;
  readonly retryAfter: string | undefined;
}

const toolsList = (token: string) => modernRequest(`Bearer ${token}`, 'tools/list');

/** POSTs from `localAddress` (any 127.0.0.x reaches the 127.0.0.1 listener; the server sees that address). */
function fromAddress(url: URL, localAddress: string, token: string): Promise<Answer> {
  const { headers, body } = toolsList(token);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers, localAddress, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A fresh Lambda container: the handler module evaluated anew, with its own authenticator and nothing remembered. */
async function lambdaContainer(name: string): Promise<(sourceIp: string, token: string) => Promise<Answer>> {
  const handler = await lambdaHandler({ CAPI_MCP_API_KEYS_FILE: storeFile }, name);
  return async (sourceIp, token) => {
    const { headers, body } = toolsList(token);
    // As AWS delivers it: more fields than the handler reads.
    const event = {
      version: '2.0' as const,
      routeKey: '$default',
      rawPath: '/mcp',
      rawQueryString: '',
      headers: { host: 'abc123.execute-api.eu-west-1.amazonaws.com', 'x-forwarded-proto': 'https', ...headers },
      requestContext: { requestId: `lockout-${name}`, http: { method: 'POST', path: '/mcp', protocol: 'HTTP/1.1', sourceIp, userAgent: 'test' } },
      body,
      isBase64Encoded: false,
    };
    const result = await handler(event);
    return { status: result.statusCode, retryAfter: result.headers?.['retry-after'] };
  };
}

type Send = (source: string, token: string) => Promise<Answer>;

/** 50 failures with the holder's id from five sources, ten each; the holder (if given) asks after each ten. */
async function attack(send: Send, attackers: readonly string[], holderSource?: string): Promise<number[]> {
  const holderStatuses: number[] = [];
  for (const attacker of attackers) {
    for (let i = 0; i < 10; i++) {
      const answer = await send(attacker, wrongSecret);
      assert.ok(answer.status === 401 || answer.status === 429, `attacker ${attacker}: HTTP ${answer.status}`);
      if (holderSource !== undefined && i === 9) holderStatuses.push((await send(holderSource, holder.token)).status);
    }
  }
  return holderStatuses;
}

/** A source that keeps guessing: 401 for its first ten, then 429 with a Retry-After of at most the window. */
async function bruteForce(send: Send, source: string): Promise<void> {
  const statuses = [];
  for (let i = 0; i < 10; i++) statuses.push((await send(source, wrongSecret)).status);
  assert.deepEqual(statuses, Array(10).fill(401));
  const throttled = await send(source, wrongSecret);
  assert.equal(throttled.status, 429);
  assert.ok(Number(throttled.retryAfter) >= 1 && Number(throttled.retryAfter) <= 60, `Retry-After: ${throttled.retryAfter}`);
  const rightSecret = await send(source, holder.token);
  assert.equal(rightSecret.status, 429, 'a throttled source may test no more guesses, not even the right one');
}

describe('the local adapter, with the default throttle', () => {
  const attackers = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'];

  it('keeps answering the holder 200 while 50 failures with its key id come from five other sources', async () => {
    const url = await startTestServer({ workflows: false, env: { CAPI_MCP_API_KEYS_FILE: storeFile } });
    const send: Send = (source, token) => fromAddress(url, source, token);
    assert.equal((await send('127.0.0.1', holder.token)).status, 200);
    assert.deepEqual(await attack(send, attackers, '127.0.0.1'), Array(5).fill(200));
  });

  it('lets the holder in on its first request to a fresh server whose key id was attacked first', async () => {
    const url = await startTestServer({ workflows: false, env: { CAPI_MCP_API_KEYS_FILE: storeFile } });
    const send: Send = (source, token) => fromAddress(url, source, token);
    await attack(send, attackers);
    assert.equal((await send('127.0.0.1', holder.token)).status, 200);
  });

  it('answers a brute-forcing source 429 with Retry-After', async () => {
    const url = await startTestServer({ workflows: false, env: { CAPI_MCP_API_KEYS_FILE: storeFile } });
    await bruteForce((source, token) => fromAddress(url, source, token), '127.0.0.9');
  });
});

describe('the Lambda handler with API Gateway events, with the default throttle', () => {
  const attackers = ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4', '203.0.113.5'];

  it('keeps answering the holder 200 while 50 failures with its key id come from five other source IPs', async () => {
    const send = await lambdaContainer('warm');
    assert.equal((await send('198.51.100.1', holder.token)).status, 200);
    assert.deepEqual(await attack(send, attackers, '198.51.100.1'), Array(5).fill(200));
  });

  it('lets the holder in on the first request a fresh container gets from it, after 50 failures with its key id from elsewhere', async () => {
    const send = await lambdaContainer('fresh');
    await attack(send, attackers);
    assert.equal((await send('198.51.100.1', holder.token)).status, 200);
  });

  it('answers a brute-forcing source IP 429 with Retry-After', async () => {
    await bruteForce(await lambdaContainer('brute'), '203.0.113.99');
  });
});
