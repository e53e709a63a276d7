/**
 * A key limited to namespaces learns nothing about clusters elsewhere — not from rows, not from counts,
 * not from texts, not from cursors. The sandbox holds clusters in two allowed namespaces and a hidden
 * third (and whatever other test files create meanwhile); a limited key, and an unlimited key behind the
 * server-wide CAPI_MCP_ALLOWED_NAMESPACES, page through list_clusters at several page sizes over HTTP.
 * Every response's raw bytes and every decoded cursor are searched for the hidden names. Cursors are
 * sealed: replayed by another key, with other arguments, or tampered with, they are refused.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKey } from '../../shared/auth/key-admin.ts';
import { FileKeyStore } from '../../shared/auth/key-store.ts';
import { stuckCluster } from '../support/clusters.ts';
import { modernRpc, startTestServer } from '../support/mcp.ts';
import { useNamespace } from '../support/sandbox.ts';

const a = await useNamespace('lim-a');
const b = await useNamespace('lim-b');
const hidden = await useNamespace('lim-hidden');
const tag = randomBytes(3).toString('hex');
const allowed = {
  [a.name]: ['a-one', 'a-three', 'a-two'],
  [b.name]: ['b-one', 'b-two'],
};
const hiddenClusters = [`hid-${tag}-0`, `hid-${tag}-1`, `hid-${tag}-2`];
/** Every string that would tell the limited key something about the hidden namespace. */
const needles = [hidden.name, ...hiddenClusters, tag];
const expected = Object.entries(allowed).flatMap(([ns, names]) => names.map((n) => `${ns}/${n}`)).sort();

const keyFile = join(mkdtempSync(join(tmpdir(), 'capi-mcp-limit-keys-')), 'api-keys.json');
const keyStore = new FileKeyStore(keyFile);
const keys = {
  limited: (await createKey(keyStore, { name: 'limited', scopes: ['read'], namespaces: [b.name, a.name] })).token,
  twin: (await createKey(keyStore, { name: 'twin', scopes: ['read'], namespaces: [a.name, b.name] })).token,
  admin: (await createKey(keyStore, { name: 'admin', scopes: ['admin'] })).token,
};
const url = await startTestServer({ workflows: false, env: { CAPI_MCP_API_KEYS_FILE: keyFile } });
const serverWide = await startTestServer({ workflows: false, env: { CAPI_MCP_API_KEYS_FILE: keyFile, CAPI_MCP_ALLOWED_NAMESPACES: `${a.name},${b.name}` } });

before(async () => {
  const team = { team: `t-${tag}` };
  await Promise.all([
    ...Object.entries(allowed).flatMap(([ns, names]) => names.map((n) => (ns === a.name ? a : b).objects.create(stuckCluster(ns, n, team)))),
    ...hiddenClusters.map((n) => hidden.objects.create(stuckCluster(hidden.name, n, team))),
  ]);
});

interface Page {
  readonly raw: string;
  readonly isError: boolean;
  readonly text: string;
  readonly rows: string[];
  readonly scanned: number;
  readonly cursor: string | undefined;
}

async function listPage(endpoint: URL, token: string, args: Record<string, unknown>): Promise<Page> {
  const { status, body } = await modernRpc(endpoint, `Bearer ${token}`, 'tools/call', { name: 'list_clusters', arguments: args }, 'list_clusters');
  assert.equal(status, 200, JSON.stringify(body));
  const result = body.result;
  const structured = result.structuredContent ?? {};
  return {
    raw: JSON.stringify(body),
    isError: result.isError === true,
    text: result.content?.[0]?.text ?? '',
    rows: (structured.clusters ?? []).map((c: { namespace: string; name: string }) => `${c.namespace}/${c.name}`),
    scanned: structured.scanned ?? 0,
    cursor: structured.next_cursor,
  };
}

/** Every text a cursor decodes to: base64url, and any base64 run inside that, two levels deep (a continue token inside JSON). */
function decodings(cursor: string | undefined): string[] {
  if (!cursor) return [];
  const texts = [Buffer.from(cursor, 'base64url').toString('latin1')];
  for (let level = 0; level < 2; level++) {
    for (const text of [...texts]) {
      for (const run of text.match(/[A-Za-z0-9_\-+/=]{8,}/g) ?? []) texts.push(Buffer.from(run, 'base64').toString('latin1'));
    }
  }
  return texts;
}

/** Fails if any hidden name is in the response bytes or in the cursor, however it is decoded. */
function assertNothingHidden(page: Page): void {
  for (const needle of needles) {
    assert.ok(!page.raw.includes(needle), `response names ${needle}: ${page.raw}`);
    for (const decoded of decodings(page.cursor)) assert.ok(!decoded.includes(needle), `cursor decodes to ${decoded}`);
  }
}

async function walk(endpoint: URL, token: string, args: Record<string, unknown>) {
  const pages: Page[] = [];
  let cursor: string | undefined;
  do {
    const page = await listPage(endpoint, token, { ...args, ...(cursor ? { cursor } : {}) });
    assert.equal(page.isError, false, page.text);
    assertNothingHidden(page);
    pages.push(page);
    cursor = page.cursor;
    assert.ok(pages.length <= 50, 'the walk ends');
  } while (cursor);
  return { pages, rows: pages.flatMap((p) => p.rows), scanned: pages.reduce((n, p) => n + p.scanned, 0) };
}

describe('list_clusters for a key limited to two namespaces', () => {
  for (const limit of [1, 2, 3, 4, 50]) {
    it(`pages of ${limit} hold exactly the allowed clusters, count only them, and never name the hidden namespace`, async () => {
      const { pages, rows, scanned } = await walk(url, keys.limited, { limit });
      assert.deepEqual([...rows].sort(), expected);
      assert.equal(new Set(rows).size, rows.length, 'no cluster twice');
      assert.equal(scanned, expected.length, 'scanned counts only what the key may see');
      for (const page of pages) {
        assert.ok(page.rows.length >= 1 && page.rows.length <= limit, `page of ${page.rows.length} with limit ${limit}`);
        assert.ok(page.rows.every((r) => r.startsWith(`${a.name}/`) || r.startsWith(`${b.name}/`)), page.rows.join(','));
      }
      assert.equal(pages.length, Math.ceil(expected.length / limit), 'a page spans namespaces rather than ending early');
    });
  }

  it('a label selector and a phase filter page the same way', async () => {
    const selected = await walk(url, keys.limited, { limit: 2, label_selector: `team=t-${tag}` });
    assert.deepEqual([...selected.rows].sort(), expected);
    assert.equal(selected.scanned, expected.length);
    const failed = await walk(url, keys.limited, { limit: 2, phase: 'Failed' });
    assert.deepEqual(failed.rows, []);
    assert.equal(failed.scanned, expected.length, 'the phase filter counts after the namespace limit');
  });

  it('a cursor is opaque: it decodes to no name and no continue token at all', async () => {
    const page = await listPage(url, keys.limited, { limit: 1 });
    for (const decoded of decodings(page.cursor)) {
      for (const plain of [a.name, b.name, 'start', 'a-one', 'a-three', 'a-two']) assert.ok(!decoded.includes(plain), `cursor carries "${plain}"`);
    }
  });

  it('an explicit namespace outside the key is refused as before, without a word about its clusters', async () => {
    const page = await listPage(url, keys.limited, { namespace: hidden.name });
    assert.equal(page.isError, true);
    assert.match(page.text, /^Forbidden: API key \w+ may not use namespace/);
    for (const name of hiddenClusters) assert.ok(!page.raw.includes(name));
  });
});

describe('sealed cursors', () => {
  let cursor: string;
  before(async () => {
    cursor = (await listPage(url, keys.limited, { limit: 1 })).cursor!;
  });

  it('continue the listing they came from', async () => {
    const next = await listPage(url, keys.limited, { limit: 1, cursor });
    assert.equal(next.isError, false, next.text);
    assert.equal(next.rows.length, 1);
  });

  it('are refused when another key replays them, even one with the same namespaces', async () => {
    const page = await listPage(url, keys.twin, { limit: 1, cursor });
    assert.equal(page.isError, true);
    assert.match(page.text, /^InvalidInput: cursor was issued to another API key/);
  });

  for (const [what, args] of [
    ['another limit', { limit: 2 }],
    ['a label selector', { limit: 1, label_selector: `team=t-${tag}` }],
    ['a phase', { limit: 1, phase: 'Pending' }],
    ['a namespace', { limit: 1, namespace: a.name }],
  ] as const) {
    it(`are refused with ${what}`, async () => {
      const page = await listPage(url, keys.limited, { ...args, cursor });
      assert.equal(page.isError, true);
      assert.match(page.text, /^InvalidInput: cursor belongs to a listing with other arguments/);
    });
  }

  it('are refused when tampered with, truncated, or forged in the old plain format', async () => {
    const middle = Math.floor(cursor.length / 2);
    const flipped = `${cursor.slice(0, middle)}${cursor[middle] === 'A' ? 'B' : 'A'}${cursor.slice(middle + 1)}`;
    const forged = Buffer.from(JSON.stringify({ continueToken: 'eyJzdGFydCI6IngifQ', query: JSON.stringify(['', '', '', 1]) })).toString('base64url');
    for (const bad of [flipped, cursor.slice(0, -4), forged, 'bm90LWEtY3Vyc29y']) {
      const page = await listPage(url, keys.limited, { limit: 1, cursor: bad });
      assert.equal(page.isError, true, bad);
      assert.match(page.text, /^InvalidInput: cursor is not one that list_clusters returned/);
    }
  });
});

describe('the server-wide namespace limit', () => {
  it('pages an unlimited key through the allowed namespaces only', async () => {
    for (const limit of [1, 3]) {
      const { rows, scanned } = await walk(serverWide, keys.admin, { limit });
      assert.deepEqual([...rows].sort(), expected);
      assert.equal(scanned, expected.length);
    }
  });

  it('leaves the same key unlimited on a server without it', async () => {
    const page = await listPage(url, keys.admin, { namespace: hidden.name });
    assert.deepEqual([...page.rows].sort(), hiddenClusters.map((n) => `${hidden.name}/${n}`));
  });
});
