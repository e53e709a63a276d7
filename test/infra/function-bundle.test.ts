/**
 * What a cold start of the MCP function loads: the entry chunk of its bundle (infra/lib/function-bundle.ts,
 * as CDK builds it) and the chunks that one imports statically. Discovery and tools/list run nothing of
 * the Kubernetes client, its HTTP client, the Step Functions client, Ajv or the YAML parser, so each must sit in a chunk
 * only an `import()` reaches — loaded by the first tool call that needs it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Metafile } from 'esbuild';
import { bundleFunction, entryFile } from '../../infra/lib/function-bundle.ts';

/** The packages (node_modules names) in the outputs a static import of `entry` loads. */
function packagesLoadedBy(metafile: Metafile, entry: string): Set<string> {
  const loaded = new Set([entry]);
  for (const output of loaded) {
    for (const { path, kind } of metafile.outputs[output]!.imports) if (kind === 'import-statement' && path in metafile.outputs) loaded.add(path);
  }
  const packages = new Set<string>();
  for (const output of loaded) {
    for (const input of Object.keys(metafile.outputs[output]!.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      if (match) packages.add(match[1]!);
    }
  }
  return packages;
}

/** Every package anywhere in the bundle. */
function packagesBundled(metafile: Metafile): Set<string> {
  const packages = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
    if (match) packages.add(match[1]!);
  }
  return packages;
}

describe('the MCP function bundle', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'capi-mcp-bundle-'));
  const metafile = bundleFunction('mcp', outdir);
  const entry = relative(process.cwd(), join(outdir, entryFile));
  const atColdStart = packagesLoadedBy(metafile, entry);
  const bundled = packagesBundled(metafile);
  const zodLocales = Object.keys(metafile.inputs).filter((input) => /zod\/v4\/locales\/(?!index\.js$)/.test(input)).map((input) => input.replace(/.*\//, ''));
  rmSync(outdir, { recursive: true, force: true });

  it('loads the MCP SDK and zod at cold start, as the hello-world server does', () => {
    for (const name of ['@modelcontextprotocol/server', 'zod']) assert.ok(atColdStart.has(name), `${name} is loaded at cold start`);
  });

  it("bundles zod's English messages and no other locale", () => {
    assert.deepEqual(zodLocales, ['en.js']);
  });

  for (const name of ['@kubernetes/client-node', 'undici', '@aws-sdk/client-sfn', 'ajv', 'yaml']) {
    it(`keeps ${name} out of a cold start, in a chunk the first call that needs it loads`, () => {
      assert.ok(bundled.has(name), `${name} is in the bundle`);
      assert.ok(!atColdStart.has(name), `${name} is loaded at cold start`);
    });
  }
});
