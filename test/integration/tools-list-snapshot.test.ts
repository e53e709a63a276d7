/**
 * The whole `tools/list` answer — names, titles, descriptions, input and output schemas, annotations,
 * execution and _meta — as a key of each scope set sees it over HTTP, and as any key sees it on a
 * read-only server, in both protocol eras, compared with the snapshots checked in under
 * test/snapshots/tools-list/ (kubernetes-mcp-server's testdata/toolsets-*-tools.json). Any change to what
 * an agent is shown becomes a reviewed diff. UPDATE_SNAPSHOTS=1 rewrites the snapshots from the live answers.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKey } from '../../shared/auth/key-admin.ts';
import { FileKeyStore } from '../../shared/auth/key-store.ts';
import type { Scope } from '../../shared/auth/scopes.ts';
import { testAuthPaths } from '../support/auth.ts';
import { getEncoding } from 'js-tiktoken';
import { connectV1, connectV2, startTestServer, type TestClient } from '../support/mcp.ts';

const snapshotDir = join(import.meta.dirname, '..', 'snapshots', 'tools-list');
const update = process.env.UPDATE_SNAPSHOTS === '1';

const scopeSets: readonly (readonly Scope[])[] = [['read'], ['read', 'kubeconfig'], ['read', 'write'], ['admin']];

// Every key is minted before the first request: the server re-reads the key store at most every 30 s.
const store = new FileKeyStore(testAuthPaths.keyStore);
const tokens = new Map<string, string>();
for (const scopes of scopeSets) tokens.set(scopes.join('+'), (await createKey(store, { name: `snapshot-${scopes.join('-')}`, scopes: [...scopes] })).token);

const readWrite = await startTestServer();
const readOnly = await startTestServer({ env: { CAPI_MCP_READ_ONLY: 'true' } });

const eras = [
  ['2025', connectV1],
  ['2026', connectV2],
] as const;

/** A client's tools/list with its cursor, as both SDKs take and return it. */
type ToolsPage = { readonly tools: unknown[]; readonly nextCursor?: string } & Record<string, unknown>;
type PagedLister = { listTools(params?: { cursor?: string }): Promise<ToolsPage> };

/** Every page of tools/list, as one answer: the first page's fields, all tools. */
async function listAll(testClient: TestClient) {
  const client = testClient as unknown as PagedLister;
  const first = await client.listTools();
  const tools = [...first.tools];
  for (let cursor = first.nextCursor; cursor; ) {
    const page = await client.listTools({ cursor });
    tools.push(...page.tools);
    cursor = page.nextCursor;
  }
  const { nextCursor: _, ...rest } = first;
  return { ...rest, tools };
}

function compareWithSnapshot(file: string, live: unknown) {
  const path = join(snapshotDir, file);
  const text = `${JSON.stringify(live, null, 2)}\n`;
  if (update) {
    mkdirSync(snapshotDir, { recursive: true });
    writeFileSync(path, text);
    return;
  }
  assert.ok(existsSync(path), `no snapshot ${path}: run this file with UPDATE_SNAPSHOTS=1 and review the new file`);
  // Compared as text, line by line: the failure shows the changed lines of the JSON a reviewer would see.
  assert.deepEqual(text.split('\n'), readFileSync(path, 'utf8').split('\n'), `tools/list differs from test/snapshots/tools-list/${file}; if the change is intended, rerun with UPDATE_SNAPSHOTS=1 and commit the snapshot`);
}

for (const [era, connect] of eras) {
  describe(`tools/list in the ${era} protocol era`, () => {
    for (const scopes of scopeSets) {
      const set = scopes.join('+');
      it(`matches the snapshot for a key with scopes ${scopes.join(', ')}`, async () => {
        const client = await connect(readWrite, tokens.get(set));
        try {
          compareWithSnapshot(`${set}.${era}.json`, await listAll(client));
        } finally {
          await client.close();
        }
      });
    }

    it('costs an admin key at most 3,500 tokens (o200k_base), every tool listed (issue 14\'s budget)', async (t) => {
      const client = await connect(readWrite, tokens.get('admin'));
      try {
        const { tools } = await listAll(client);
        const counted = getEncoding('o200k_base').encode(JSON.stringify(tools)).length;
        t.diagnostic(`tools/list: ${tools.length} tools, ${counted} tokens`);
        assert.ok(counted <= 3500, `tools/list costs ${counted} tokens, over the 3,500 budget`);
      } finally {
        await client.close();
      }
    });

    it('matches the read-only snapshot on a server started with CAPI_MCP_READ_ONLY=true (an admin key)', async () => {
      const client = await connect(readOnly, tokens.get('admin'));
      try {
        compareWithSnapshot(`read-only.${era}.json`, await listAll(client));
      } finally {
        await client.close();
      }
    });
  });
}
