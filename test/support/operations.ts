/** Following an operation through MCP, as an agent does: get_operation until it is no longer RUNNING. */
import { eventually } from './wait.ts';
import { textOf, type TestClient } from './mcp.ts';

/** The operation's last view once it has ended (any status but RUNNING). */
export function followOperation(client: TestClient, operationId: string, timeoutMs = 300_000): Promise<any> {
  return eventually(`operation ${operationId} to end`, async () => {
    const result = await client.callTool({ name: 'get_operation', arguments: { operation_id: operationId } });
    return { done: result.structuredContent.status !== 'RUNNING', value: result.structuredContent, seen: textOf(result) };
  }, { timeoutMs, intervalMs: 2000 });
}
