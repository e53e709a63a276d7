/**
 * shared/kube/management-clusters.ts: a management cluster's kubeconfig may say `disable-compression:
 * true` on its cluster, as kubectl and client-go honour it: then every request asks the API server for an
 * uncompressed answer (`Accept-Encoding: identity`), which on a fast link (loopback, the same VPC) saves
 * the server gzipping each LIST page and the client inflating it; without it the client asks for gzip as
 * client-node always does. Through the real client-node stack against a local server that records what
 * it was asked.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { ensurePki } from '../../sandbox/pki.ts';
import { managementClusters } from '../../shared/kube/management-clusters.ts';
import { Kinds } from '../../shared/kube/kinds.ts';
import { summaryFields } from '../../shared/capi/summary.ts';

/** What each request asked for, in order. */
const acceptEncodings: (string | undefined)[] = [];
let server: Server;
let origin: string;
let caData: string;
const dir = mkdtempSync(join(tmpdir(), 'capi-mcp-mc-'));

before(async () => {
  const pki = await ensurePki(join(dir, 'pki'), ['api']);
  caData = readFileSync(pki.ca.cert).toString('base64');
  server = createServer({ cert: readFileSync(join(pki.webhookDirs.api!, 'tls.crt')), key: readFileSync(join(pki.webhookDirs.api!, 'tls.key')) }, (req, res) => {
    acceptEncodings.push(req.headers['accept-encoding']);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'ClusterList', metadata: {}, items: [] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

/** A kubeconfig file for the local server; `cluster` adds fields to its cluster entry. */
function kubeconfigFile(name: string, cluster: Record<string, unknown>, current = 'here'): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'here', cluster: { server: origin, 'certificate-authority-data': caData, ...cluster } },
      { name: 'elsewhere', cluster: { server: origin, 'certificate-authority-data': caData } },
    ],
    users: [{ name: 'u', user: { token: 'not-a-secret' } }],
    contexts: [{ name: 'here', context: { cluster: 'here', user: 'u' } }, { name: 'elsewhere', context: { cluster: 'elsewhere', user: 'u' } }],
    'current-context': current,
  }));
  return path;
}

/** The Accept-Encoding of each request a plain list and a streamed list (list_clusters' way) make. */
async function encodingsOf(config: { kubeconfig: string; context?: string }): Promise<(string | undefined)[]> {
  acceptEncodings.length = 0;
  const kube = managementClusters([{ name: 'mc', ...config }]).client('mc');
  await kube.list(Kinds.Cluster, { namespace: 'default' });
  await kube.list(Kinds.Cluster, { namespace: 'default', keep: summaryFields });
  return [...acceptEncodings];
}

describe('a management cluster kubeconfig', () => {
  it('with disable-compression: true asks for uncompressed answers on every request', async () => {
    assert.deepEqual(await encodingsOf({ kubeconfig: kubeconfigFile('off', { 'disable-compression': true }) }), ['identity', 'identity']);
  });

  it('without it asks for gzip, as client-node does', async () => {
    const encodings = await encodingsOf({ kubeconfig: kubeconfigFile('default', {}) });
    assert.equal(encodings.length, 2);
    for (const encoding of encodings) assert.match(encoding ?? '', /gzip/);
  });

  it("follows the cluster of the context in use: another cluster's setting does not apply", async () => {
    const path = kubeconfigFile('other', { 'disable-compression': true }, 'elsewhere');
    for (const encoding of await encodingsOf({ kubeconfig: path })) assert.match(encoding ?? '', /gzip/);
    assert.deepEqual(await encodingsOf({ kubeconfig: path, context: 'here' }), ['identity', 'identity']);
  });

  it('with disable-compression: false asks for gzip', async () => {
    for (const encoding of await encodingsOf({ kubeconfig: kubeconfigFile('on', { 'disable-compression': false }) })) assert.match(encoding ?? '', /gzip/);
  });
});
