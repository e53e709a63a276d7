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
import { newCursorSecret } from '../shared/auth/key-store.ts';
import { loadConfig } from '../shared/config/config.ts';
import { createDeps } from '../shared/deps.ts';
import { silentLog } from '../shared/observability/log.ts';
import { cursorsFor } from '../shared/mcp/cursor.ts';
import { createMcpServer } from '../shared/mcp/server.ts';
import type { WorkflowEngine } from '../shared/workflows/engine.ts';
import { modernRequest, rpcMessage } from './access.ts';

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
  // Note: management clusters are connected on first use, and listing uses none; the path is never read.
  const deps = { ...createDeps(loadConfig({ KUBECONFIG: '/nonexistent/kubeconfig' })), log: silentLog, workflows };
  const handler = createMcpHandler(() => createMcpServer(deps, { readOnly: false, disableDestructive: false }, { caller: serverCaller, requestId: 'bench', cursors: cursorsFor(newCursorSecret(), serverCaller.keyId) }));
  const { headers, body } = modernRequest(undefined, 'tools/list');
  const response = await handler.fetch(new Request('http://localhost/mcp', { method: 'POST', headers, body }));
  const text = await response.text();
  const message = rpcMessage(text);
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
