/**
 * The canary scan, run after every file that serves MCP: `npm test`'s runner starts it after every other
 * file (test/support/file-durations.json names it `last`; under `node --test` alone it sorts last of the
 * files that serve MCP), so when it starts every other file has started; files run side by side, so it
 * provokes the server while they finish and scans once every other file of the run has ended
 * (test/support/runner.ts).
 * The whole run authenticated with one canary API key (test/support/auth.ts) against servers holding
 * the sandbox's admin kubeconfig, and left its evidence in the run's capture (test/support/capture.ts):
 * server logs and audit records, what the test processes printed while a server ran, every answer the
 * tests received (by SDK clients, task payloads included; by JSON-RPC sent by hand; from the Lambda
 * handler), and the execution stores of the local engines. Here the server is first provoked into
 * handling secrets directly — as arguments that end up in audit records and in the API server's own
 * error messages, through every route (SDK client, by hand, the Lambda handler), as broken Authorization
 * headers, and as a secret-looking ClusterClass variable in a create that really starts and is followed
 * as a task — and then everything is scanned twice: by pattern for anything shaped like a credential,
 * and for the exact secrets this run knows (the canary, the admin and workload kubeconfigs' keys,
 * ServiceAccount tokens). Any occurrence fails the run. Each place must hold something, and each file
 * that served MCP must have left the answers it is known to receive, so a scan cannot pass by reading
 * nothing; this holds after a single file as after the whole suite, since this file feeds every place
 * itself.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createHmac, randomBytes } from 'node:crypto';
import { parse } from 'yaml';
import { generateKey, parseKey } from '../../shared/auth/api-key.ts';
import { z } from 'zod';
import { authHeaders, testApiKey, testAuthPaths } from '../support/auth.ts';
import { capturePaths, runMarker, testFileName, testRunId, type AnswerRoute } from '../support/capture.ts';
import { connectV1, connectV2, lambdaHandler, modernRpc, startTestServer, textOf } from '../support/mcp.ts';
import { inMemoryCreateArgs } from '../support/clusters.ts';
import { testSandbox, useNamespace } from '../support/sandbox.ts';
import { untilOtherTestFilesEnd } from '../support/runner.ts';
import { eventually } from '../support/wait.ts';

/** Where a match starts and the text it matched. */
type Finder = (text: string) => Iterable<{ index?: number; 0: string }>;

/**
 * A JWT (ServiceAccount tokens are JWTs): what `/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\./` matches —
 * a base64url header starting `{"`, a payload, the separator before the signature — found in linear time.
 *
 * Note: as a regular expression it is quadratic on runs like "-eyJ-eyJ…", and the run's capture holds
 * such a run on purpose (request-limits sends an 80 KB one). Within one dot-separated run, the first
 * "eyJ" at a word boundary leaves the longest header, so only it is tried.
 */
function* jwts(text: string): Generator<{ index: number; 0: string }> {
  const runs = /[A-Za-z0-9_.-]+/g;
  for (const run of text.matchAll(runs)) {
    const segments = run[0].split('.');
    let offset = run.index;
    for (let i = 0; i + 2 < segments.length; offset += segments[i]!.length + 1, i++) {
      const header = segments[i]!;
      let at = header.startsWith('eyJ') ? 0 : header.indexOf('-eyJ') + 1;
      // "_" is a word character: "_eyJ" is no boundary, so look on for "-eyJ".
      if (at < 0 || (at === 0 && !header.startsWith('eyJ'))) continue;
      if (header.length - at - 3 >= 5 && segments[i + 1]!.length >= 5) yield { index: offset + at, 0: `${header.slice(at)}.${segments[i + 1]}.` };
    }
  }
}

/**
 * Credential shapes. Each leaves out its redacted form (`capi_<id>_[REDACTED]`, `Bearer [REDACTED]`,
 * `client-key-data: [REDACTED]`), which names a secret without holding it.
 */
const patterns: [string, RegExp | Finder][] = [
  ['a JWT', jwts],
  // A key's public id may appear; 16+ secret characters after it may not (the whole secret is 43).
  ['an API key with its secret', /capi_[a-z2-7]{12}_[A-Za-z0-9_-]{16,}/g],
  // An opaque token of 16+ characters after "Bearer", e.g. not the words "Bearer token".
  ['a Bearer token', /\bBearer\s+(?!\[REDACTED\])[A-Za-z0-9._~+/=-]{16,}/gi],
  ['an EKS token', /\bk8s-aws-v1\.[A-Za-z0-9_-]{16,}/g],
  ['a PEM key or certificate', /-----BEGIN [A-Z0-9 ]*(KEY|CERTIFICATE)-----/g],
  // "-----BEGIN" in base64 at each of the three alignments: the *-data fields of a kubeconfig.
  ['a base64 PEM block', /LS0tLS1CRUdJTi|tLS0tQkVHSU4|LS0tLUJFR0lO/g],
  ['a client-key-data value', /client-key-data\\?["']?\s*[:=]\s*\\?["']?(?!\[REDACTED\])[A-Za-z0-9+/=]{16,}/g],
];

const canary = testApiKey();
const canarySecret = parseKey(canary)!.secret;
const adminKubeconfig = parse(readFileSync(testSandbox().paths.kubeconfig, 'utf8'));
const adminUser = adminKubeconfig.users[0].user as Record<string, string>;
const adminKeyPem = Buffer.from(adminUser['client-key-data']!, 'base64').toString('utf8');

/** A JWT-shaped value (HS256 over a made-up ServiceAccount claim) and an unknown API key, as a caller could paste them. */
const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const fakeJwtBody = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: 'system:serviceaccount:canary:default', n: randomBytes(8).toString('hex') })}`;
const fakeJwt = `${fakeJwtBody}.${createHmac('sha256', randomBytes(32)).update(fakeJwtBody).digest('base64url')}`;
const strayKey = generateKey().token;

const ns = await useNamespace('canary', { withClusterClass: true });
const url = await startTestServer();
const lambda = await lambdaHandler({}, 'canary');
const errorTexts: string[] = [];
/** Answers of the real create's get_operation calls, and its operation id. */
const operationAnswers: string[] = [];
let operationId = '';
let workloadKubeconfigVerdict = '';

before(async () => {
  const client = await connectV2(url);
  const provocations: [string, Record<string, unknown>][] = [
    // The API server echoes a bad selector in its error; the tool passes that error on.
    ['list_clusters', { label_selector: `x in (${canary})` }],
    // Variables are free-form: the audit record carries them.
    ['create_cluster', { namespace: ns.name, name: 'canary-1', cluster_class: 'no-such-class', kubernetes_version: 'v1.35.0', variables: { token: canary, pem: adminKeyPem } }],
    ['delete_cluster', { namespace: ns.name, name: 'canary-1', confirm: canary.slice(0, 200) }],
    ['get_operation', { operation_id: canary.slice(0, 80) }],
  ];
  for (const [name, args] of provocations) {
    const result = await client.callTool({ name, arguments: args }).catch((error: Error) => ({ content: [{ type: 'text', text: error.message }] }));
    errorTexts.push(textOf(result));
  }
  // The same through the other routes: by hand, and the Lambda handler (a 2025-11-25 call as an HTTP API event).
  const selector = provocations[0]!;
  errorTexts.push(JSON.stringify((await modernRpc(url, authHeaders().authorization, 'tools/call', { name: selector[0], arguments: selector[1] }, selector[0])).body));
  const fromLambda = await lambda({
    version: '2.0',
    rawPath: '/mcp',
    headers: { host: 'abc.execute-api.eu-west-1.amazonaws.com', 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...authHeaders() },
    requestContext: { requestId: 'canary', http: { method: 'POST', sourceIp: '203.0.113.77' } },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: selector[0], arguments: selector[1] } }),
    isBase64Encoded: false,
  });
  errorTexts.push(fromLambda.body);
  // A line of the canary's own while its server runs: the copy of the process output is live.
  console.log(`[canary] provocations sent to ${url.host} and to the Lambda handler`);

  // A create that passes every check and starts an execution, carrying secret-looking values in string
  // variables of a copy of the in-memory class (the original declares none).
  const base: any = await ns.objects.read({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'ClusterClass', metadata: { name: 'in-memory', namespace: ns.name } });
  const stringVariable = (name: string) => ({ name, required: false, schema: { openAPIV3Schema: { type: 'string', maxLength: 1000 } } });
  await ns.objects.create({
    apiVersion: base.apiVersion,
    kind: 'ClusterClass',
    metadata: { name: 'in-memory-canary', namespace: ns.name },
    spec: { ...base.spec, variables: [stringVariable('note'), stringVariable('motd')] },
  } as never);
  const created = await client.callTool({
    name: 'create_cluster',
    arguments: inMemoryCreateArgs(ns.name, 'canary-2', { cluster_class: 'in-memory-canary', variables: { note: fakeJwt, motd: strayKey } }),
  });
  assert.equal(created.isError, undefined, textOf(created));
  operationId = created.structuredContent.operation_id;
  const status = await eventually(`operation ${operationId} started`, async () => {
    const answer = await client.callTool({ name: 'get_operation', arguments: { operation_id: operationId } });
    operationAnswers.push(JSON.stringify(answer));
    return { done: answer.structuredContent?.status !== undefined, value: answer.structuredContent?.status as string, seen: textOf(answer) };
  });
  if (status === 'RUNNING') {
    // The workload kubeconfig exists once the control plane is initialized: read it through the tool
    // (the capture keeps only whether it is one kubeconfig), and take its credentials as needles below.
    await eventually('the canary cluster\'s kubeconfig Secret', async () => {
      const secret = await ns.core.readNamespacedSecret({ namespace: ns.name, name: 'canary-2-kubeconfig' }).catch(() => undefined);
      return { done: secret !== undefined, value: undefined, seen: 'no Secret yet' };
    }, { timeoutMs: 180_000, intervalMs: 2000 });
    const kubeconfig = await client.callTool({ name: 'get_cluster_kubeconfig', arguments: { namespace: ns.name, name: 'canary-2' } });
    workloadKubeconfigVerdict = kubeconfig.isError ? textOf(kubeconfig) : 'returned';
    operationAnswers.push(JSON.stringify(await client.callTool({ name: 'get_operation', arguments: { operation_id: operationId } })));
    // The operation as a task: tasks/get of 2025-11-25 (an SDK client's request) and 2026-07-28 (by hand).
    const v1 = (await connectV1(url)) as unknown as { request(request: unknown, schema: unknown): Promise<unknown>; close(): Promise<void> };
    operationAnswers.push(JSON.stringify(await v1.request({ method: 'tasks/get', params: { taskId: operationId } }, z.record(z.string(), z.unknown()))));
    await v1.close();
    const tasksExtension = { 'io.modelcontextprotocol/clientCapabilities': { extensions: { 'io.modelcontextprotocol/tasks': {} } } };
    operationAnswers.push(JSON.stringify((await modernRpc(url, authHeaders().authorization, 'tasks/get', { taskId: operationId, _meta: tasksExtension }, operationId)).body));
    await client.callTool({ name: 'cancel_operation', arguments: { operation_id: operationId } });
  }
  await client.close();
  // A near-miss of the canary in the header: refused, and the refusal is logged.
  await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${canary}x`, 'content-type': 'application/json' }, body: '{}' });
});

// The scans read what the whole run left: every other file must have ended.
before(() => untilOtherTestFilesEnd());

/** The exact secrets of this run: the canary, the admin kubeconfig, every workload kubeconfig and ServiceAccount token the sandbox holds. */
async function needles(): Promise<[string, string][]> {
  const found: [string, string][] = [
    ['the canary API key', canary],
    ['the canary secret', canarySecret],
    ['the admin client-key-data', adminUser['client-key-data']!],
    ['a line of the admin private key', adminKeyPem.split('\n')[2]!],
    ['the JWT-shaped variable', fakeJwt],
    ['the stray API key secret', parseKey(strayKey)!.secret],
  ];
  const secrets = (await ns.core.listSecretForAllNamespaces()).items;
  for (const secret of secrets) {
    const where = `${secret.metadata?.namespace}/${secret.metadata?.name}`;
    if (secret.type === 'kubernetes.io/service-account-token' && secret.data?.token) {
      found.push([`ServiceAccount token ${where}`, Buffer.from(secret.data.token, 'base64').toString('utf8')]);
    }
    if (secret.metadata?.name?.endsWith('-kubeconfig') && secret.data?.value) {
      const doc = parse(Buffer.from(secret.data.value, 'base64').toString('utf8'));
      for (const { user } of doc?.users ?? []) {
        if (user?.token) found.push([`the token of workload kubeconfig ${where}`, user.token]);
        if (user?.['client-key-data']) {
          found.push([`the client-key-data of workload kubeconfig ${where}`, user['client-key-data']]);
          found.push([`a line of the private key of workload kubeconfig ${where}`, Buffer.from(user['client-key-data'], 'base64').toString('utf8').split('\n')[2]!]);
        }
      }
    }
  }
  return found;
}

/**
 * An execution record's text, with the one legitimate place of the canary create's variable values
 * masked: the workflow input holds the Cluster to apply, and a variable the caller set is part of that
 * Cluster (as it is of the Cluster object itself), so the record must carry it verbatim. Only the exact
 * values sent, only as `value` of an item of `spec.topology.variables`; anywhere else they are a leak.
 */
function maskOwnVariables(text: string): string {
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    return text;
  }
  const sent = new Set([fakeJwt, strayKey]);
  const visit = (node: any, path: string): void => {
    if (!node || typeof node !== 'object') return;
    if (path.endsWith('.topology.variables') && Array.isArray(node)) {
      for (const item of node) if (sent.has(item?.value)) item.value = '[the caller\'s variable]';
    }
    for (const [key, child] of Object.entries(node)) visit(child, `${path}.${key}`);
  };
  visit(record, '');
  return JSON.stringify(record, null, 1);
}

/** " (file, route, method or tool)" of a recorded answer's line; nothing for other text. */
function answerOrigin(line: string): string {
  try {
    const { file, via, method, tool } = JSON.parse(line);
    return file && via ? ` (${file}, ${via}, ${tool ?? method})` : '';
  } catch {
    return '';
  }
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The places answers are recorded by route, named as the scan reports them. */
const answerPlaces: [AnswerRoute, string][] = [
  ['sdk client', 'answers SDK clients received (tool results, task payloads, lists, errors)'],
  ['raw JSON-RPC', 'JSON-RPC answers read by hand'],
  ['Lambda handler', 'Lambda handler responses'],
];

/**
 * Answers some files are known to receive by a route other than a tool call, asserted recorded when the
 * file served MCP in this run: the places a scan once missed.
 */
const knownAnswers: [file: string, what: string, is: (entry: any) => boolean][] = [
  ['mcp-tasks.test.ts', 'tasks/get answers of an SDK client', (e) => e.via === 'sdk client' && e.method === 'tasks/get'],
  ['mcp-tasks.test.ts', 'tasks/result answers of an SDK client', (e) => e.via === 'sdk client' && e.method === 'tasks/result'],
  ['mcp-tasks.test.ts', 'tasks/list answers of an SDK client', (e) => e.via === 'sdk client' && e.method === 'tasks/list'],
  ['mcp-tasks.test.ts', '2026-07-28 task answers sent by hand', (e) => e.via === 'raw JSON-RPC' && /^tasks\//.test(e.method ?? '')],
  ['sfn-engine.test.ts', 'tasks/get answers of an SDK client', (e) => e.via === 'sdk client' && e.method === 'tasks/get'],
  ['lambda-handler.test.ts', 'answers of the local adapter it compares with, read by hand', (e) => e.via === 'raw JSON-RPC'],
];

describe('the canary', () => {
  const paths = capturePaths();
  const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
  const executionFiles = () => read(paths.executionDirs).split('\n').filter(Boolean).flatMap(filesUnder);
  const lines = (text: string) => text.split('\n').filter(Boolean);
  /** The recorded answers, each line with its parsed entry. */
  const answers = () => lines(read(paths.toolResults)).map((line) => ({ line, entry: JSON.parse(line) }));
  const served = () => lines(read(paths.served)).map((line) => JSON.parse(line) as { file: string; front: string });
  /** Every place this run left text, by name: its text, and how many records (lines, files, texts) it holds. */
  const places = (): [string, string, number][] => {
    const recorded = answers();
    const files = executionFiles();
    return [
      ['captured logs and audit records', read(paths.log), lines(read(paths.log)).length],
      ['process output while servers ran', read(paths.output), lines(read(paths.output)).length],
      ...answerPlaces.map(([route, where]): [string, string, number] => {
        const ofRoute = recorded.filter((a) => a.entry.via === route).map((a) => a.line);
        return [where, ofRoute.join('\n'), ofRoute.length];
      }),
      ['execution stores', files.map((f) => maskOwnVariables(read(f))).join('\n'), files.length],
      ['the key store', read(testAuthPaths.keyStore), 1],
      ['error texts of the provocations', errorTexts.join('\n'), errorTexts.length],
      ['answers about the started create (get_operation, tasks/get)', operationAnswers.join('\n'), operationAnswers.length],
    ];
  };

  it('every place holds something, and every route this file used recorded its answers', (t) => {
    assert.ok(read(paths.output).includes('[canary] provocations sent'), 'the canary\'s own line was copied from its output');
    for (const [where, text, count] of places()) {
      t.diagnostic(`${where}: ${text.length} bytes, ${count} records`);
      assert.ok(text.length > 0 && count > 0, `${where} is empty`);
    }
    const mine = answers().map((a) => a.entry).filter((e) => e.file === testFileName());
    assert.ok(mine.some((e) => e.tool === 'cancel_operation'), 'tool results of this file were recorded');
    for (const [route] of answerPlaces) assert.ok(mine.some((e) => e.via === route), `this file's answers by ${route} were recorded`);
    assert.ok(mine.some((e) => e.via === 'sdk client' && e.method === 'tasks/get'), 'its tasks/get answer was recorded');
  });

  it('every file that served MCP left the answers it is known to receive', (t) => {
    const recorded = answers().map((a) => a.entry);
    const missing: string[] = [];
    const ran = new Set(served().map((s) => s.file));
    for (const file of ran) {
      const fronts = served().filter((s) => s.file === file).map((s) => s.front);
      const ofFile = recorded.filter((e) => e.file === file);
      const byRoute = answerPlaces.map(([route]) => `${route} ${ofFile.filter((e) => e.via === route).length}`).join(', ');
      t.diagnostic(`${file} served through the ${fronts.join(' and the ')}; answers recorded: ${byRoute}`);
      // A Lambda handler answers only in-process: every answer a file got from it went through the recorder.
      if (fronts.includes('Lambda handler') && !ofFile.some((e) => e.via === 'Lambda handler')) missing.push(`${file}: Lambda handler responses`);
    }
    for (const [file, what, is] of knownAnswers) {
      assert.ok(existsSync(join(import.meta.dirname, file)), `${file} exists (the table names real files)`);
      if (!ran.has(file)) continue;
      const count = recorded.filter((e) => e.file === file && is(e)).length;
      t.diagnostic(`${file}: ${what}: ${count}`);
      if (count === 0) missing.push(`${file}: ${what}`);
    }
    assert.deepEqual(missing, []);
  });

  it("the capture holds this run's records and only them (so the scans below can fail)", () => {
    const lines = read(paths.log).split('\n').filter(Boolean);
    assert.equal(lines[0], runMarker(testRunId()), 'the capture opens with this run\'s marker');
    assert.equal(lines.filter((l) => l.includes('capiMcpTestRun')).length, 1, 'one run per capture');
    const audits = lines.filter((l) => l.includes('"audit":true'));
    assert.ok(audits.length >= 8, `${audits.length} audit records captured`);
    assert.ok(lines.some((l) => l.includes(parseKey(canary)!.id)), 'records name the canary key by its public id');
    assert.ok(lines.some((l) => l.includes('"request refused"')), 'the refused near-miss was logged');
  });

  it('the create really started an execution, whose record is among those scanned', () => {
    assert.ok(operationId, 'the create returned an operation');
    const record = executionFiles().find((f) => f.endsWith(`${operationId}.json`));
    assert.ok(record, `the record of ${operationId} is in a listed execution store`);
    // The secret-looking variable reached the execution (so the scan of the store had something to find).
    assert.ok(readFileSync(record, 'utf8').includes(fakeJwt), 'the record carries the variable');
    assert.equal(workloadKubeconfigVerdict, 'returned', 'get_cluster_kubeconfig answered for the running cluster');
  });

  it('every get_cluster_kubeconfig result of the run was exactly a kubeconfig', () => {
    const verdicts = answers().map((a) => a.entry).filter((e) => e.tool === 'get_cluster_kubeconfig' && 'kubeconfig' in e);
    assert.ok(verdicts.length >= 1, 'the canary\'s own call was recorded');
    assert.deepEqual(verdicts.filter((e) => e.kubeconfig !== 'kubeconfig'), []);
  });

  it('no credential-shaped text appears in any place the run left text', (t) => {
    const found: string[] = [];
    for (const [where, text, count] of places()) {
      t.diagnostic(`scanned ${where}: ${text.length} bytes, ${count} records`);
      for (const [what, pattern] of patterns) {
        for (const match of typeof pattern === 'function' ? pattern(text) : text.matchAll(pattern)) {
          // The report names the line (and for an answer, who received it how), not the secret: the test output is a place too.
          const at = text.slice(0, match.index).split('\n');
          found.push(`${what} in ${where}, line ${at.length}${answerOrigin(text.split('\n')[at.length - 1]!)}: ${match[0].slice(0, 12)}…`);
        }
      }
    }
    t.diagnostic(`places: ${places().length}, patterns: ${patterns.length}`);
    assert.deepEqual(found, []);
  });

  it("none of this run's secrets appears in any place the run left text", async (t) => {
    const secrets = await needles();
    t.diagnostic(`needles: ${secrets.length} (${secrets.filter(([what]) => what.includes('workload')).length} from workload kubeconfigs, ${secrets.filter(([what]) => what.startsWith('ServiceAccount')).length} ServiceAccount tokens)`);
    assert.ok(secrets.some(([what]) => what.includes(`${ns.name}/canary-2-kubeconfig`)), 'the canary cluster\'s kubeconfig is a needle');
    const found: string[] = [];
    for (const [what, needle] of secrets) {
      assert.ok(needle.length >= 20, `${what} is distinctive`);
      for (const [where, text] of places()) if (text.includes(needle)) found.push(`${what} found in ${where}`);
    }
    assert.deepEqual(found, []);
  });
});
