/**
 * Tokens (o200k_base, js-tiktoken) an agent pays for capi-mcp's tools/list, per tool and in total, split
 * into description, input schema and output schema so a trim can aim where the tokens are. Every tool is
 * counted, the workflow ones too (they are listed only where a workflow engine is present).
 *
 * `node bench/tokens.ts` prints the table; bench/run.ts counts the answer of its live server the same way.
 */
import { createMcpHandler } from '@modelcontextprotocol/server';
import { getEncoding } from 'js-tiktoken';
import { serverCaller } from '../shared/auth/scopes.ts';
import { silentLog } from '../shared/observability/log.ts';
import { noMetrics } from '../shared/observability/metrics.ts';
import { createMcpServer } from '../shared/mcp/server.ts';
import type { WorkflowEngine } from '../shared/workflows/engine.ts';

const encoder = getEncoding('o200k_base');

/** Tokens of a value as the agent reads it: its compact JSON. */
export const tokensOf = (value: unknown): number => encoder.encode(typeof value === 'string' ? value : JSON.stringify(value)).length;

export interface ToolTokens {
  readonly name: string;
  readonly total: number;
  readonly description: number;
  readonly input: number;
  readonly output: number;
}

/** Per-tool tokens of a tools/list answer's `tools`; the sum of totals plus the brackets is the whole. */
export function toolTokens(tools: readonly Record<string, unknown>[]): ToolTokens[] {
  return tools.map((tool) => ({
    name: String(tool.name),
    total: tokensOf(tool),
    description: tokensOf(tool.description ?? ''),
    input: tokensOf(tool.inputSchema ?? {}),
    output: tokensOf(tool.outputSchema ?? {}),
  }));
}

/**
 * The `tools` of a 2026-07-28 tools/list answered in-process by the real server factory, with every tool
 * listed: a stand-in workflow engine satisfies `requires: ['workflows']` (listing never calls it).
 */
export async function listAllTools(): Promise<Record<string, unknown>[]> {
  const unused = () => Promise.reject(new Error('not called while listing'));
  const workflows: WorkflowEngine = { start: unused, describe: unused, list: unused, stop: unused };
  const deps = { clusters: { names: [], client: () => { throw new Error('not called while listing'); } }, now: () => new Date(), log: silentLog, metrics: noMetrics, workflows };
  const handler = createMcpHandler(() => createMcpServer(deps, { readOnly: false, disableDestructive: false }, { caller: serverCaller, requestId: 'bench' }));
  const response = await handler.fetch(
    new Request('http://localhost/mcp', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/list',
        params: {
          _meta: {
            'io.modelcontextprotocol/protocolVersion': '2026-07-28',
            'io.modelcontextprotocol/clientInfo': { name: 'capi-mcp-tokens', version: '1.0.0' },
            'io.modelcontextprotocol/clientCapabilities': {},
          },
        },
      }),
    }),
  );
  const text = await response.text();
  const data = text.split('\n').find((l) => l.startsWith('data: '));
  const message = JSON.parse(data ? data.slice(6) : text);
  if (!message.result?.tools) throw new Error(`tools/list failed (${response.status}): ${text.slice(0, 500)}`);
  return message.result.tools;
}

if (import.meta.main) {
  const tools = await listAllTools();
  const rows = toolTokens(tools);
  console.log(`| tool | total | description | input | output |\n| --- | --: | --: | --: | --: |`);
  for (const r of rows) console.log(`| ${r.name} | ${r.total} | ${r.description} | ${r.input} | ${r.output} |`);
  const sum = (k: keyof Omit<ToolTokens, 'name'>) => rows.reduce((n, r) => n + r[k], 0);
  console.log(`| all ${rows.length} (tools/list) | ${tokensOf(tools)} | ${sum('description')} | ${sum('input')} | ${sum('output')} |`);
}
