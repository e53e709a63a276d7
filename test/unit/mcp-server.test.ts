/**
 * shared/mcp/server.ts builds a server per request (stateless), and the SDK converts a registered tool's
 * schemas to JSON Schema on every tools/list: the server hands it stand-ins that convert each schema once
 * per process, so only the first tools/list of a container pays for zod's conversion, and later answers
 * list the same schemas.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tools } from '../../shared/mcp/registry.ts';
import { serve } from '../support/in-process-mcp.ts';

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
});
