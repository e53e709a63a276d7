/**
 * shared/mcp/server.ts builds a server per request (stateless), and the SDK converts a registered tool's
 * schemas to JSON Schema on every tools/list: the server hands it stand-ins that convert each schema once
 * per process, so only the first tools/list of a container pays for zod's conversion, and later answers
 * list the same schemas. A bundle carries the conversions (CAPI_MCP_LISTED_JSON_SCHEMAS, defined by
 * infra/lib/function-bundle.ts from listedJsonSchemas), and then even the first converts nothing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../sandbox/layout.ts';
import { tools } from '../../shared/mcp/registry.ts';
import { serve } from '../support/in-process-mcp.ts';

const execFileAsync = promisify(execFile);

/** Counts calls of every tool's input and output JSON Schema converters (zod's own, wrapped in place). */
function countConversions(): { readonly count: () => number } {
  let calls = 0;
  for (const tool of tools) {
    for (const schema of [tool.inputSchema, tool.outputSchema]) {
      const converters = schema['~standard'].jsonSchema;
      for (const io of ['input', 'output'] as const) {
        const convert = converters[io];
        if ((convert as { counted?: boolean }).counted) continue;
        const counted = Object.assign((options: Parameters<typeof convert>[0]) => (calls++, convert(options)), { counted: true });
        (converters as { -readonly [K in typeof io]: typeof convert })[io] = counted;
      }
    }
  }
  return { count: () => calls };
}

describe('createMcpServer', () => {
  it("converts the tools' schemas for tools/list once per process, however many requests list them", async () => {
    const conversions = countConversions();
    const { modern } = serve({ caller: { scopes: ['admin'] } });
    const first = await modern('tools/list', {});
    const afterFirst = conversions.count();
    const second = await modern('tools/list', {});
    const third = await modern('tools/list', {});
    assert.ok(first.json.result.tools.length > 10, 'tools are listed');
    assert.ok(afterFirst > 0, 'the first tools/list converts');
    assert.equal(conversions.count(), afterFirst, 'later tools/list requests convert nothing');
    assert.deepEqual(second.json.result, first.json.result);
    assert.deepEqual(third.json.result, first.json.result);
  });

  it('converts nothing, even for the first tools/list, when the bundle defines the conversions', async () => {
    // A fresh process, as a Lambda container is; the constant is a global here, as esbuild's define makes it.
    const script = `import { tools } from ${JSON.stringify(join(repoRoot, 'shared', 'mcp', 'registry.ts'))};
import { listedJsonSchemas } from ${JSON.stringify(join(repoRoot, 'shared', 'mcp', 'server.ts'))};
import { serve } from ${JSON.stringify(join(repoRoot, 'test', 'support', 'in-process-mcp.ts'))};
globalThis.CAPI_MCP_LISTED_JSON_SCHEMAS = JSON.stringify(listedJsonSchemas());
let conversions = 0;
for (const tool of tools) for (const schema of [tool.inputSchema, tool.outputSchema]) {
  const converters = schema['~standard'].jsonSchema;
  for (const io of ['input', 'output']) { const convert = converters[io]; converters[io] = (options) => (conversions++, convert(options)); }
}
const { modern } = serve({ caller: { scopes: ['admin'] } });
const listed = (await modern('tools/list', {})).json.result.tools;
process.stdout.write('\\nRESULT ' + JSON.stringify({ conversions, listed: listed.length }) + '\\n');`;
    const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, env: { PATH: process.env.PATH } });
    assert.deepEqual(JSON.parse(/^RESULT (.*)$/m.exec(stdout)![1]!), { conversions: 0, listed: tools.length });
  });
});
