/**
 * shared/mcp/registry.ts and the folder it lists: shared/mcp/tools/ holds one file per tool and nothing
 * else (STYLE.md 1, 2), so the folder reads as the server's tool list. A helper several tools share lives
 * beside it in mcp/ (operations/, arguments.ts), where it is not mistaken for a tool.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { operationOrPlanSchema } from '../../shared/mcp/operations/plan.ts';
import { tools } from '../../shared/mcp/registry.ts';

const toolsDir = join(import.meta.dirname, '..', '..', 'shared', 'mcp', 'tools');

/** The file a tool lives in: its name in kebab case (list_clusters → list-clusters.ts). */
const fileOf = (toolName: string) => `${toolName.replaceAll('_', '-')}.ts`;

describe('shared/mcp/tools/', () => {
  it('holds exactly one file per registered tool, each exporting that tool and nothing else', async () => {
    // Prepare
    const registered = new Map(tools.map((tool) => [tool, tool.name]));
    const problems: string[] = [];

    // Act
    for (const file of readdirSync(toolsDir).sort()) {
      if (!file.endsWith('.ts')) {
        problems.push(`${file}: not a tool module`);
        continue;
      }
      const exported = Object.entries(await import(pathToFileURL(join(toolsDir, file)).href));
      const defined = exported.filter(([, value]) => registered.has(value as never)).map(([, value]) => registered.get(value as never)!);
      const others = exported.filter(([, value]) => !registered.has(value as never)).map(([key]) => key);
      if (defined.length !== 1) problems.push(`${file}: defines ${defined.length} registered tools (${defined.join(', ') || 'none'}), not one`);
      else if (fileOf(defined[0]!) !== file) problems.push(`${file}: defines ${defined[0]}, which belongs in ${fileOf(defined[0]!)}`);
      if (others.length > 0) problems.push(`${file}: exports ${others.join(', ')}, which are not tools (move them out of tools/)`);
    }

    // Assess
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  it('has the file of every registered tool', () => {
    const files = new Set(readdirSync(toolsDir));
    const missing = tools.filter((tool) => !files.has(fileOf(tool.name))).map((tool) => `${tool.name}: no ${fileOf(tool.name)}`);
    assert.deepEqual(missing, [], missing.join('\n'));
  });

  it('registers each tool once, under a name no other tool has', () => {
    assert.equal(new Set(tools).size, tools.length);
    assert.equal(new Set(tools.map((tool) => tool.name)).size, tools.length);
  });
});

describe('startsOperation', () => {
  it('is set on exactly the tools that change something and answer with the operation they started', () => {
    // A tool answering with an operation (or, with dry_run, its plan) while changing something starts one: it
    // must say so, or it would not run as an MCP task; a tool saying so must answer with an operation, or its
    // task has no id.
    const wrong = tools
      .filter((tool) => (tool.startsOperation === true) !== (!tool.annotations.readOnlyHint && tool.outputSchema === operationOrPlanSchema))
      .map((tool) => `${tool.name}: startsOperation ${tool.startsOperation === true}, read-only ${tool.annotations.readOnlyHint}, answers ${tool.outputSchema === operationOrPlanSchema ? 'the operation or its plan' : 'something else'}`);
    assert.deepEqual(wrong, [], wrong.join('\n'));
  });

  it('needs the workflow engine', () => {
    const without = tools.filter((tool) => tool.startsOperation && !tool.requires?.includes('workflows')).map((tool) => tool.name);
    assert.deepEqual(without, []);
  });
});
