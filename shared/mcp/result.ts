/**
 * The one place where handler outcomes become MCP tool results. A CapiMcpError becomes an `isError`
 * result whose text says what failed and what to do next; anything else is reported as an internal
 * error by message only (never a stack trace).
 */
import type { CallToolResult } from '@modelcontextprotocol/server';
import { CapiMcpError, ErrorCode, messageOf } from '../errors.ts';
import type { ToolDefinition, ToolDeps } from './tool.ts';

export async function runTool(tool: ToolDefinition, args: unknown, deps: ToolDeps): Promise<CallToolResult> {
  try {
    const output = await tool.handler(args as never, deps);
    return { content: [{ type: 'text', text: output.text }], structuredContent: output.structured as Record<string, unknown> };
  } catch (error) {
    return errorResult(tool.name, error);
  }
}

export function errorResult(toolName: string, error: unknown): CallToolResult {
  const e = error instanceof CapiMcpError ? error : new CapiMcpError(ErrorCode.Upstream, `${toolName} failed: ${messageOf(error)}`);
  const text = `${e.code}: ${e.message}${e.hint ? `\nNext: ${e.hint}` : ''}`;
  return { content: [{ type: 'text', text }], isError: true };
}
