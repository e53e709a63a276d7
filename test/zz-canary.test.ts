/**
 * The canary scan, run last (test files run in path order, and this one sorts after every folder).
 * The whole suite authenticated with one canary API key (test/support/auth.ts) against a server holding
 * the sandbox's admin kubeconfig; every log line and audit record any test server wrote went to one
 * capture file. Here the server is first provoked into handling those secrets directly — as tool
 * arguments that end up in audit records and in the API server's own error messages, and as broken
 * Authorization headers — and then the capture file, the key store and every error text returned are
 * scanned for the canary and for the kubeconfig's credentials. Any occurrence fails the run.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseKey } from '../shared/auth/api-key.ts';
import { testApiKey, testAuthPaths } from './support/auth.ts';
import { connectV2, startTestServer, textOf } from './support/mcp.ts';
import { testSandbox, useNamespace } from './support/sandbox.ts';

const canary = testApiKey();
const canarySecret = parseKey(canary)!.secret;
const kubeconfig = parse(readFileSync(testSandbox().paths.kubeconfig, 'utf8'));
const user = kubeconfig.users[0].user as Record<string, string>;
const keyPem = Buffer.from(user['client-key-data']!, 'base64').toString('utf8');
/** Distinctive pieces of each secret: the whole values and a line from the middle of the private key. */
const needles: [string, string][] = [
  ['the canary API key', canary],
  ['the canary secret', canarySecret],
  ['the kubeconfig client-key-data', user['client-key-data']!],
  ['the kubeconfig client-certificate-data', user['client-certificate-data']!],
  ['a line of the kubeconfig private key', keyPem.split('\n')[2]!],
];

const ns = await useNamespace('canary', { withClusterClass: true });
const url = await startTestServer();
const errorTexts: string[] = [];

before(async () => {
  const client = await connectV2(url);
  const provocations: [string, Record<string, unknown>][] = [
    // The API server echoes a bad selector in its error; the tool passes that error on.
    ['list_clusters', { label_selector: `x in (${canary})` }],
    // Variables are free-form: the audit record carries them.
    ['create_cluster', { namespace: ns.name, name: 'canary-1', cluster_class: 'no-such-class', kubernetes_version: 'v1.35.0', variables: { token: canary, pem: keyPem } }],
    ['delete_cluster', { namespace: ns.name, name: 'canary-1', confirm: canary.slice(0, 200) }],
    ['get_operation', { operation_id: canary.slice(0, 80) }],
  ];
  for (const [name, args] of provocations) {
    const result = await client.callTool({ name, arguments: args }).catch((error: Error) => ({ content: [{ type: 'text', text: error.message }] }));
    errorTexts.push(textOf(result));
  }
  await client.close();
  // A near-miss of the canary in the header: refused, and the refusal is logged.
  await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${canary}x`, 'content-type': 'application/json' }, body: '{}' });
});

describe('the canary', () => {
  const capture = () => readFileSync(testAuthPaths.captureLog, 'utf8');

  it('the capture really holds the suite\'s logs and audit records (so the scan below can fail)', () => {
    const lines = capture().split('\n').filter(Boolean);
    const audits = lines.filter((l) => l.includes('"audit":true'));
    assert.ok(audits.length >= 20, `${audits.length} audit records captured`);
    assert.ok(capture().includes(parseKey(canary)!.id), 'records name the canary key by its public id');
    assert.ok(lines.some((l) => l.includes('"request refused"')), 'the refused near-miss was logged');
  });

  for (const [what, needle] of needles) {
    it(`${what} appears nowhere in captured logs, audit records, the key store or returned errors`, () => {
      assert.ok(needle.length >= 20, `${what} is distinctive`);
      const places: [string, string][] = [
        ['captured logs and audit records', capture()],
        ['the key store', readFileSync(testAuthPaths.keyStore, 'utf8')],
        ['error texts returned to the client', errorTexts.join('\n')],
      ];
      for (const [where, text] of places) assert.equal(text.includes(needle), false, `${what} found in ${where}`);
    });
  }
});
