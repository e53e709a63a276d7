/**
 * Third-party clients against the local adapter: the official MCP conformance suite (version pinned in
 * package.json) with a checked-in baseline of expected failures, each explained in the baseline file, and
 * the MCP Inspector CLI as a smoke test.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../sandbox/layout.ts';
import { tools } from '../../shared/mcp/registry.ts';
import { authHeaders } from '../support/auth.ts';
import { stuckCluster } from '../support/clusters.ts';
import { authenticatingProxy, startTestServer } from '../support/mcp.ts';
import { useNamespace } from '../support/sandbox.ts';

const execFileAsync = promisify(execFile);
const ns = await useNamespace('conformance');
await ns.objects.create(stuckCluster(ns.name, 'inspected'));
const url = await startTestServer();
/** Runs an npm bin with this process's Node (24), whatever `node` is first on PATH. */
const runBin = (name: string, args: string[], options: { env?: NodeJS.ProcessEnv } = {}) =>
  execFileAsync(process.execPath, [join(repoRoot, 'node_modules', '.bin', name), ...args], { maxBuffer: 32 * 1024 * 1024, ...options });
const scratch = mkdtempSync(join(tmpdir(), 'capi-mcp-conformance-'));

describe('the MCP conformance suite', () => {
  it('passes every scenario outside the explained baseline, and the baseline is not stale', async () => {
    const baseline = join(repoRoot, 'test', 'conformance', 'expected-failures.yml');
    let stdout = '';
    try {
      // The suite cannot send headers; a loopback proxy adds the API key, as any real client would.
      const proxied = await authenticatingProxy(url);
      ({ stdout } = await runBin('conformance', ['server', '--url', proxied.href, '--expected-failures', baseline, '-o', scratch]));
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      assert.fail(`conformance exited ${e.code}:\n${e.stdout?.split('=== SUMMARY ===')[1] ?? e.stderr?.slice(-2000)}`);
    }
    assert.match(stdout, /Baseline check passed: all failures are expected/);
    for (const scenario of ['server-initialize', 'ping', 'tools-list', 'resources-list', 'dns-rebinding-protection']) {
      assert.match(stdout, new RegExp(`✓ ${scenario}: [1-9]\\d* passed, 0 failed`), scenario);
    }
  });
});

describe('the MCP Inspector CLI', () => {
  const inspector = (args: string[]) =>
    runBin('mcp-inspector', ['--cli', url.href, '--header', `Authorization: ${authHeaders().authorization}`, ...args], { env: { ...process.env, MCP_CATALOG_PATH: join(scratch, 'mcp.json') } });

  it('lists the tools', async () => {
    const { stdout } = await inspector(['--method', 'tools/list']);
    const names = (JSON.parse(stdout).tools as { name: string }[]).map((t) => t.name).sort();
    assert.deepEqual(names, tools.map((t) => t.name).sort());
  });

  it('calls list_clusters', async () => {
    const { stdout } = await inspector(['--method', 'tools/call', '--tool-name', 'list_clusters', '--tool-arg', `namespace=${ns.name}`, '--tool-arg', 'limit=1']);
    const result = JSON.parse(stdout);
    assert.equal(result.isError, undefined, stdout);
    assert.deepEqual(result.structuredContent.clusters.map((c: { namespace: string; name: string }) => `${c.namespace}/${c.name}`), [`${ns.name}/inspected`]);
  });
});
