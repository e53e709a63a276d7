/**
 * The server fails closed when its API-key store cannot be read (SECURITY.md, "API keys"): over HTTP, a
 * request with a well-formed key gets 503 with `Retry-After` and a fixed body — never 200, never 401 —
 * from the local adapter whose key file is a directory, not JSON or not a key document, and from the
 * Lambda handler whose secret does not exist or is scheduled for deletion (Secrets Manager on moto).
 * A server that read a good store keeps serving its last copy when the store breaks, until that copy is
 * two TTLs old (one TTL of its own, one more), then answers 503; it serves again once the store can be
 * read. That case runs at the real 30-s TTL of a server built as `npm start` builds it.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateSecretCommand, DeleteSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { generateKey } from '../../shared/auth/api-key.ts';
import { createKey } from '../../shared/auth/key-admin.ts';
import { FileKeyStore, SecretsManagerKeyStore } from '../../shared/auth/key-store.ts';
import { modernRequest, startTestServer, testServerEnv } from '../support/mcp.ts';
import { motoAccountId, motoClient, motoRegion, startMoto } from '../support/moto.ts';

const moto = await startMoto();
after(() => moto.stop());
// The Lambda builds its own Secrets Manager client from the environment, as in AWS.
Object.assign(process.env, testServerEnv(), {
  AWS_ENDPOINT_URL_SECRETS_MANAGER: moto.endpoint,
  AWS_REGION: motoRegion,
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
});
const secretsManager = motoClient(SecretsManagerClient, moto);

/** A good store of this file's own, with one key. */
const goodStore = join(mkdtempSync(join(tmpdir(), 'capi-store-down-')), 'api-keys.json');
const holder = await createKey(new FileKeyStore(goodStore), { name: 'holder', scopes: ['read'] });
const goodText = readFileSync(goodStore, 'utf8');
/** Well-formed, but in no store. */
const stranger = generateKey().token;

/** What SECURITY.md and web-handler.ts promise a caller while the store cannot be read. */
const unavailableBody = { error: 'temporarily_unavailable', error_description: 'the API key store cannot be read; retry shortly' };

interface Answer {
  readonly status: number;
  readonly retryAfter: string | null | undefined;
  readonly body: string;
}

const toolsList = (token: string) => modernRequest(`Bearer ${token}`, 'tools/list');

async function overHttp(url: URL, token: string): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', ...toolsList(token) });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.text() };
}

/** 503, Retry-After in whole seconds, the documented body and nothing about where the store is. */
function assertUnavailable(answer: Answer, where: string): void {
  assert.equal(answer.status, 503, `HTTP ${answer.status}: ${answer.body}`);
  assert.match(answer.retryAfter ?? '', /^[1-9]\d*$/, `Retry-After: ${answer.retryAfter}`);
  assert.deepEqual(JSON.parse(answer.body), unavailableBody);
  assert.ok(!answer.body.includes(where), 'the body does not name the store');
}

describe('the local adapter whose key file cannot be read', () => {
  const broken: [string, (path: string) => void][] = [
    ['is a directory', (path) => mkdirSync(path)],
    ['is not JSON', (path) => writeFileSync(path, goodText.slice(0, goodText.length / 2))],
    ['is JSON but not a key document', (path) => writeFileSync(path, JSON.stringify({ version: 2, keys: 'all' }))],
  ];
  for (const [what, breakIt] of broken) {
    it(`answers 503 with Retry-After to a valid and an unknown key when the path ${what}`, async () => {
      const path = join(mkdtempSync(join(tmpdir(), 'capi-store-down-')), 'api-keys.json');
      breakIt(path);
      const url = await startTestServer({ workflows: false, env: { CAPI_MCP_API_KEYS_FILE: path } });
      for (const token of [holder.token, stranger, holder.token]) assertUnavailable(await overHttp(url, token), path);
    });
  }
});

type Handler = (event: unknown) => Promise<{ statusCode: number; headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean }>;

/** A fresh Lambda container whose key store is the secret `secretArn`: the handler module evaluated anew. */
async function lambdaContainer(name: string, secretArn: string): Promise<(token: string) => Promise<Answer>> {
  // Note: the handler reads its configuration when the module is evaluated, as a container does at init.
  Object.assign(process.env, { CAPI_MCP_API_KEYS_SECRET_ARN: secretArn, CAPI_MCP_API_KEYS_FILE: '' });
  const { handler } = (await import(`../../functions/mcp/handler.ts?store-down=${name}`)) as { handler: Handler };
  return async (token) => {
    const { headers, body } = toolsList(token);
    const result = await handler({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/mcp',
      rawQueryString: '',
      headers: { host: 'abc123.execute-api.eu-west-1.amazonaws.com', 'x-forwarded-proto': 'https', ...headers },
      requestContext: { requestId: `store-down-${name}`, http: { method: 'POST', path: '/mcp', protocol: 'HTTP/1.1', sourceIp: '198.51.100.7', userAgent: 'test' } },
      body,
      isBase64Encoded: false,
    });
    const text = result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64').toString() : (result.body ?? '');
    return { status: result.statusCode, retryAfter: result.headers?.['retry-after'], body: text };
  };
}

describe('the Lambda handler whose key secret cannot be read', () => {
  it('answers 503 with Retry-After when the secret does not exist', async () => {
    const arn = `arn:aws:secretsmanager:${motoRegion}:${motoAccountId}:secret:capi-mcp/never-created-AbCdEf`;
    const send = await lambdaContainer('missing', arn);
    for (const token of [holder.token, stranger]) assertUnavailable(await send(token), arn);
  });

  it('answers 503 with Retry-After when the secret is scheduled for deletion, after serving it', async () => {
    const { ARN: arn } = await secretsManager.send(new CreateSecretCommand({ Name: 'capi-mcp/store-down', SecretString: '{}' }));
    const key = await createKey(new SecretsManagerKeyStore(secretsManager, arn!), { name: 'lambda-holder', scopes: ['read'] });
    // Proves the container reads this secret: a key in it gets in before the deletion.
    assert.equal((await (await lambdaContainer('before-deletion', arn!))(key.token)).status, 200);
    await secretsManager.send(new DeleteSecretCommand({ SecretId: arn!, RecoveryWindowInDays: 7 }));
    const send = await lambdaContainer('deleted', arn!);
    for (const token of [key.token, stranger]) assertUnavailable(await send(token), arn!);
  });
});

describe('a server whose store breaks after it was read, at the real 30-s TTL', () => {
  it('serves the valid key from its last copy until the copy is two TTLs old, then answers 503, and serves again once the store is readable', async () => {
    const ttlMs = 30_000;
    const path = join(mkdtempSync(join(tmpdir(), 'capi-store-down-')), 'api-keys.json');
    writeFileSync(path, goodText);
    // Note: no `auth` options: the Authenticator's defaults, as local/start.ts and the Lambda build it.
    const url = await startTestServer({ workflows: false, env: { CAPI_MCP_API_KEYS_FILE: path } });
    const sentFirst = Date.now();
    assert.equal((await overHttp(url, holder.token)).status, 200);
    // The copy was read between these two instants.
    const answeredFirst = Date.now();
    writeFileSync(path, '{ "version": 1, "keys": [ ');

    const seen: { sent: number; answered: number; answer: Answer }[] = [];
    while (Date.now() - sentFirst < 2 * ttlMs + 10_000) {
      const sent = Date.now();
      const answer = await overHttp(url, holder.token);
      seen.push({ sent, answered: Date.now(), answer });
      if (answer.status !== 200) break;
      await sleep(sent + 1000 - Date.now());
    }
    const statuses = seen.map((s) => `${((s.sent - sentFirst) / 1000).toFixed(1)}s:${s.answer.status}`).join(' ');
    assert.ok(seen.every((s) => s.answer.status === 200 || s.answer.status === 503), `only 200 or 503: ${statuses}`);
    const refused = seen.find((s) => s.answer.status === 503);
    assert.ok(refused, `503 once the copy is two TTLs old: ${statuses}`);
    assertUnavailable(refused.answer, path);
    // Served while the copy was surely younger than two TTLs (the store unreadable since the first second).
    const served = seen.filter((s) => s.answered < sentFirst + 2 * ttlMs);
    assert.ok(served.every((s) => s.answer.status === 200), `200 until two TTLs: ${statuses}`);
    assert.ok(served.some((s) => s.sent > answeredFirst + ttlMs + 5000), `answers seen after the first TTL had passed: ${statuses}`);
    // Not refused before two TTLs, and refused from the first request sent once the copy was surely that old.
    assert.ok(refused.answered >= sentFirst + 2 * ttlMs, `not refused before two TTLs: ${statuses}`);
    const late = seen.filter((s) => s.sent >= answeredFirst + 2 * ttlMs);
    assert.ok(late.every((s) => s.answer.status === 503), `503 from two TTLs on: ${statuses}`);

    assertUnavailable(await overHttp(url, stranger), path);
    writeFileSync(path, goodText);
    assert.equal((await overHttp(url, holder.token)).status, 200, 'serves again once the store can be read');
    assert.equal((await overHttp(url, stranger)).status, 401);
  });
});
