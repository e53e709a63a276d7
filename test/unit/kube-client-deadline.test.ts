/**
 * shared/kube/client.ts and connection.ts: a call's deadline aborts its HTTP request. A call the API
 * server does not answer in time rejects with Timeout, and the connection it was using is closed then,
 * so a timed-out call holds no socket and reads nothing more. Against a local HTTPS server that stalls,
 * through the real client-node stack, for a management-cluster client and a workload-cluster client
 * (pinned endpoint).
 *
 * Note: timed, as it must be: the server has to see its socket closed within a second after the deadline.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensurePki } from '../../sandbox/pki.ts';
import { CapiMcpError } from '../../shared/errors.ts';
import { kubeClientFrom, type KubeClient, type KubeClientOptions } from '../../shared/kube/client.ts';
import { Kinds } from '../../shared/kube/kinds.ts';

const deadlineMs = 500;
/** How long after the deadline the server may still see the socket open. */
const closeWithinMs = 1000;

/** How the server stalls: no answer at all, or the status line and half a body, then nothing; or it answers. */
type Stall = 'no answer' | 'half a body' | 'none';
let stall: Stall = 'no answer';
/** The socket of each request the server got, in order. */
const sockets: Socket[] = [];

let server: Server;
let origin: string;
let ca: string;

before(async () => {
  const pki = await ensurePki(join(mkdtempSync(join(tmpdir(), 'capi-mcp-deadline-')), 'pki'), ['api']);
  server = createServer({ cert: readFileSync(join(pki.webhookDirs.api!, 'tls.crt')), key: readFileSync(join(pki.webhookDirs.api!, 'tls.key')) }, (req, res) => {
    sockets.push(req.socket);
    if (stall === 'none') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'ClusterList', apiVersion: 'cluster.x-k8s.io/v1beta2', metadata: {}, items: [{ metadata: { name: 'c1', namespace: 'ns' } }] }));
    } else if (stall === 'half a body') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"kind":"ClusterList","apiVersion":"cluster.x-k8s.io/v1beta2","items":[');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ca = readFileSync(pki.ca.cert, 'utf8');
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const clients: [string, () => KubeClientOptions][] = [
  ['a management-cluster client', () => ({ timeoutMs: deadlineMs })],
  ['a workload-cluster client (pinned endpoint)', () => ({ timeoutMs: deadlineMs, opaqueErrors: true, pinned: { origin, ca } })],
];

/**
 * Calls through each of client-node's API clients: a LIST (CustomObjectsApi) and a server-side apply
 * (KubernetesObjectApi, whose first request is its own discovery of the kind, made without the call's
 * options).
 */
const calls: [string, (kube: KubeClient) => Promise<unknown>][] = [
  ['a LIST', (kube) => kube.list(Kinds.Cluster, { namespace: 'ns' })],
  ['an apply', (kube) => kube.apply({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name: 'c1', namespace: 'ns' } }, { fieldManager: 'capi-mcp' })],
];

/** Resolves with the ms from `since` until `socket` closes, or with Infinity when it stays open `limitMs`. */
function closedAfter(socket: Socket, since: number, limitMs: number): Promise<number> {
  if (socket.destroyed) return Promise.resolve(Date.now() - since);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(Infinity), limitMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - since);
    });
  });
}

/** A KubeClient of the local server, with a token. */
function clientOf(options: KubeClientOptions): Promise<KubeClient> {
  const caData = Buffer.from(ca).toString('base64');
  return kubeClientFrom(
    (kc) =>
      kc.loadFromOptions({
        clusters: [{ name: 'c', server: origin, caData, skipTLSVerify: false }],
        users: [{ name: 'u', token: 't' }],
        contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
        currentContext: 'x',
      }),
    options,
  );
}

const cases = clients.flatMap(([client, options]) =>
  calls.flatMap(([call, run]) => (['no answer', 'half a body'] as const).map((how) => ({ client, options, call, run, how }))),
);

describe('KubeClient call deadline', () => {
  for (const { client, options, call, run, how } of cases) {
    it(`closes the connection of ${call} by ${client} when the API server gives ${how} by the deadline`, async () => {
      // Prepare
      [stall, sockets.length] = [how, 0];
      const kube = await clientOf(options());

      // Act
      await assert.rejects(run(kube), (error: unknown) => {
        assert.ok(error instanceof CapiMcpError);
        assert.equal(error.code, 'Timeout');
        return true;
      });
      const timedOutAt = Date.now();

      // Assess
      assert.equal(sockets.length, 1, 'one request reached the server');
      const closedMs = await closedAfter(sockets[0]!, timedOutAt, closeWithinMs + 500);
      assert.ok(closedMs <= closeWithinMs, `the server saw the socket open ${closedMs === Infinity ? `still ${closeWithinMs + 500}` : closedMs} ms after the deadline`);
    });
  }

  for (const [client, options] of clients) {
    it(`answers the next call of ${client} after one timed out`, async () => {
      // Prepare
      const kube = await clientOf(options());
      stall = 'no answer';
      await assert.rejects(kube.list(Kinds.Cluster, { namespace: 'ns' }), { code: 'Timeout' });

      // Act
      stall = 'none';
      const page = await kube.list(Kinds.Cluster, { namespace: 'ns' });

      // Assess
      assert.deepEqual(page.items.map((c) => c.metadata.name), ['c1']);
    });
  }
});

describe('KubeClient call deadline: what a timed-out call tells the agent', () => {
  it('says a read that timed out changed nothing and can be retried', async () => {
    stall = 'no answer';
    const kube = await clientOf({ timeoutMs: deadlineMs });
    await assert.rejects(kube.list(Kinds.Cluster, { namespace: 'ns' }), (error: unknown) => {
      assert.ok(error instanceof CapiMcpError);
      assert.equal(error.code, 'Timeout');
      assert.match(error.hint ?? '', /changed nothing.*retry/);
      return true;
    });
  });

  it('says a write that timed out may have been made, so the object is read before retrying', async () => {
    stall = 'no answer';
    const kube = await clientOf({ timeoutMs: deadlineMs });
    const cluster = { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name: 'c1', namespace: 'ns' } };
    for (const write of [() => kube.apply(cluster, { fieldManager: 'capi-mcp' }), () => kube.create(cluster, { fieldManager: 'capi-mcp' })]) {
      await assert.rejects(write(), (error: unknown) => {
        assert.ok(error instanceof CapiMcpError);
        assert.equal(error.code, 'Timeout');
        assert.match(error.hint ?? '', /may have been made.*read/);
        return true;
      });
    }
  });
});
