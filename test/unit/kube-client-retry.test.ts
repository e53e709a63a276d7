/**
 * shared/kube/client.ts: a LIST the API server answers with 504 "Too large resource version" (its watch
 * cache behind the continue token's resourceVersion) is retried, as client-go's reflector does, and the
 * Timeout reaches the caller only when the cache stays behind. Against a local HTTPS server that answers
 * as kube-apiserver does, through the real client-node stack.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensurePki } from '../../sandbox/pki.ts';
import { CapiMcpError } from '../../shared/errors.ts';
import { kubeClientFrom, type KubeClient } from '../../shared/kube/client.ts';
import { Kinds } from '../../shared/kube/kinds.ts';

/** How many 504s the server still gives before it answers; the requests it saw. */
let lagging = 0;
const seen: string[] = [];
const tooLarge = {
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  message: 'Too large resource version: 1205, current: 1201',
  reason: 'Timeout',
  details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 },
  code: 504,
};

let kube: KubeClient;
let server: ReturnType<typeof createServer>;

before(async () => {
  const pki = await ensurePki(join(mkdtempSync(join(tmpdir(), 'capi-mcp-retry-')), 'pki'), ['api']);
  server = createServer({ cert: readFileSync(join(pki.webhookDirs.api!, 'tls.crt')), key: readFileSync(join(pki.webhookDirs.api!, 'tls.key')) }, (req, res) => {
    seen.push(req.url ?? '');
    res.writeHead(lagging > 0 ? 504 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(lagging-- > 0 ? tooLarge : { kind: 'ClusterList', apiVersion: 'cluster.x-k8s.io/v1beta2', metadata: {}, items: [{ metadata: { name: 'c1', namespace: 'ns' } }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const server_ = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const caData = readFileSync(pki.ca.cert).toString('base64');
  kube = await kubeClientFrom((kc) =>
    kc.loadFromOptions({ clusters: [{ name: 'c', server: server_, caData, skipTLSVerify: false }], users: [{ name: 'u', token: 't' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' }),
  );
});
after(() => server.close());

describe('KubeClient.list when the watch cache lags', () => {
  it('retries a continued page the API server answered "Too large resource version", and returns it', async () => {
    [lagging, seen.length] = [2, 0];
    const page = await kube.list(Kinds.Cluster, { namespace: 'ns', continueToken: 'abc', limit: 1 });
    assert.deepEqual(page.items.map((c) => c.metadata.name), ['c1']);
    assert.equal(seen.length, 3, 'two 504s, then the page');
    assert.ok(seen.every((url) => url.includes('continue=abc')), 'each retry continues from the same token');
  });

  it('gives up after three tries with the Timeout and its reason', async () => {
    [lagging, seen.length] = [10, 0];
    await assert.rejects(kube.list(Kinds.Cluster, { namespace: 'ns', continueToken: 'abc' }), (error: unknown) => {
      assert.ok(error instanceof CapiMcpError);
      assert.equal(error.code, 'Timeout');
      assert.match(error.message, /Too large resource version/);
      return true;
    });
    assert.equal(seen.length, 3);
  });
});
