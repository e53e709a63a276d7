/**
 * deploy/container/Dockerfile, as far as this machine can take it without a container runtime or a registry
 * to pull its base images from: its build stage's COPY lines laid out in an empty folder (the packages the
 * stage's `npm ci` installs linked in), its build command run there, and what it writes run the way the final
 * stage runs it — from a folder of its own, with no repository and no node_modules around it — to serving.
 * What is not checked here: the base images and `npm ci` itself.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../sandbox/layout.ts';
import { startBundle } from '../support/bundle.ts';

const dockerfile = readFileSync(join(repoRoot, 'deploy', 'container', 'Dockerfile'), 'utf8');
const lines = dockerfile.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
const stages = lines.reduce<string[][]>((all, line) => (line.startsWith('FROM ') ? [...all, [line]] : [...all.slice(0, -1), [...all.at(-1)!, line]]), []);

describe('the container image (deploy/container/Dockerfile)', () => {
  it('has a build stage and a final stage that runs as a numeric non-root user, with no shell in its entry point', () => {
    assert.equal(stages.length, 2);
    const final = stages[1]!;
    assert.match(final[0]!, /^FROM gcr\.io\/distroless\/nodejs24-debian12:nonroot$/);
    assert.ok(final.includes('USER 65532:65532'));
    const entry = final.find((l) => l.startsWith('ENTRYPOINT '));
    assert.deepEqual(JSON.parse(entry!.slice('ENTRYPOINT '.length)), ['/nodejs/bin/node', '--enable-source-maps', '/app/index.mjs']);
    assert.deepEqual(final.filter((l) => l.startsWith('COPY ')), ['COPY --from=build /out /app']);
  });

  it('builds from exactly what its build stage copies; what it builds makes a key and serves on its own, that key opening it', async (t) => {
    const context = mkdtempSync(join(tmpdir(), 'capi-mcp-image-'));
    const build = stages[0]!;
    for (const line of build.filter((l) => l.startsWith('COPY '))) {
      const parts = line.split(/\s+/).slice(1);
      const target = parts.pop()!;
      for (const source of parts) {
        const to = target.endsWith('/') ? join(context, target, source) : join(context, target);
        mkdirSync(dirname(to), { recursive: true });
        cpSync(join(repoRoot, source), to, { recursive: true });
      }
    }
    // What the stage's `npm ci` installs: this checkout's packages, from the same lock file.
    symlinkSync(join(repoRoot, 'node_modules'), join(context, 'node_modules'));
    const run = build.find((l) => l.startsWith('RUN node '))!.slice('RUN '.length).split(/\s+/);
    assert.deepEqual(run.slice(0, 2), ['node', 'deploy/container/build.ts']);
    const out = join(mkdtempSync(join(tmpdir(), 'capi-mcp-image-out-')), 'app');
    await promisify(execFile)(process.execPath, [run[1]!, out], { cwd: context });

    // The first key, as the image makes it without a checkout (its keys.mjs, as the Dockerfile's comment runs it).
    const keysFile = join(mkdtempSync(join(tmpdir(), 'capi-mcp-image-keys-')), 'api-keys.json');
    const made = await promisify(execFile)(process.execPath, [join(out, 'keys.mjs'), 'create', '--name', 'admin', '--scopes', 'read', '--file', keysFile], { cwd: out, env: { PATH: process.env.PATH } });
    const token = made.stdout.trim().split('\n').at(-1)!;
    assert.match(token, /^capi_[a-z2-7]{12}_[A-Za-z0-9_-]{43}$/);

    // The final stage: the output alone, as /app, started by its entry point's arguments.
    const { process: child, serving, exited } = await startBundle(
      join(out, 'index.mjs'),
      { PATH: process.env.PATH, KUBECONFIG: join(context, 'no-kubeconfig'), CAPI_MCP_API_KEYS_FILE: keysFile, CAPI_MCP_HOST: '127.0.0.1', CAPI_MCP_PORT: '0' },
      { cwd: out, started: (started) => t.after(() => started.kill('SIGKILL')) },
    );
    assert.equal(serving.readOnly, true, 'read-only unless told otherwise');
    const health = await fetch(`http://127.0.0.1:${serving.port}/healthz`);
    assert.deepEqual(await health.json(), { status: 'ok' });
    // The key it made opens the MCP endpoint (tools/list needs no management cluster); no key, no entry.
    const listTools = (authorization?: string) =>
      fetch(`http://127.0.0.1:${serving.port}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'image-test', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} } } }),
      });
    assert.equal((await listTools()).status, 401);
    const listed = await listTools(`Bearer ${token}`);
    assert.equal(listed.status, 200);
    assert.match(await listed.text(), /"list_clusters"/);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});
