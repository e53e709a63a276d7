/**
 * The MCP Lambda as deployed with a state machine: the handler, invoked in-process with API Gateway
 * events, starts and follows operations as Step Functions executions through @aws-sdk/client-sfn. The
 * AWS boundary is moto's Step Functions (a real local endpoint; its executions stay RUNNING, since
 * running the steps is the local engine's and sfn-engine.test.ts's business); the management cluster is
 * the test sandbox, which validates the create with a server-side dry run.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateStateMachineCommand, DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { synthesizeWorkflow } from '../../infra/lib/definition.ts';
import { tools } from '../../shared/mcp/registry.ts';
import { authHeaders } from '../support/auth.ts';
import { lambdaHandler } from '../support/mcp.ts';
import { motoAccountId, motoClient, motoRegion, startMoto } from '../support/moto.ts';
import { useNamespace } from '../support/sandbox.ts';

const moto = await startMoto();
after(() => moto.stop());
const sfn = motoClient(SFNClient, moto);
const { definition, stepFunctionArn } = synthesizeWorkflow();
const machine = await sfn.send(
  new CreateStateMachineCommand({
    name: 'ClusterOperation',
    definition: JSON.stringify(definition).replaceAll(stepFunctionArn, `arn:aws:lambda:${motoRegion}:${motoAccountId}:function:capi-mcp-step`),
    roleArn: `arn:aws:iam::${motoAccountId}:role/capi-mcp-workflows`,
  }),
);

const handler = await lambdaHandler({
  CAPI_MCP_STATE_MACHINE_ARN: machine.stateMachineArn!,
  AWS_ENDPOINT_URL_SFN: moto.endpoint,
  AWS_REGION: motoRegion,
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
});
const ns = await useNamespace('lambda-wf', { withClusterClass: true });

/** One 2025-11-25 JSON-RPC call as an HTTP API event; the single SSE event's message back. */
async function invoke(method: string, params: Record<string, unknown>): Promise<any> {
  const result = await handler({
    version: '2.0',
    rawPath: '/mcp',
    headers: { host: 'abc.execute-api.eu-west-1.amazonaws.com', 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...authHeaders() },
    requestContext: { requestId: 'r', http: { method: 'POST', sourceIp: '203.0.113.9' } },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    isBase64Encoded: false,
  });
  assert.equal(result.statusCode, 200, result.body);
  return JSON.parse(result.body.split('\n').find((l: string) => l.startsWith('data: '))!.slice(6));
}
const callTool = async (name: string, args: Record<string, unknown>) => (await invoke('tools/call', { name, arguments: args })).result;

const create = {
  namespace: ns.name,
  name: 'sfn-1',
  cluster_class: 'in-memory',
  kubernetes_version: 'v1.35.0',
  control_plane_replicas: 1,
  workers: [{ class: 'default-worker', name: 'md-0', replicas: 1 }],
};

describe('the MCP Lambda with a state machine', () => {
  let operationId: string;

  it('offers every tool, the operation ones included', async () => {
    const { result } = await invoke('tools/list', {});
    assert.deepEqual(result.tools.map((t: { name: string }) => t.name).sort(), tools.map((t) => t.name).sort());
  });

  it('starts create_cluster as a Step Functions execution whose input is the operation', async () => {
    const started = await callTool('create_cluster', create);
    assert.equal(started.isError, undefined, JSON.stringify(started));
    operationId = started.structuredContent.operation_id;
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn: `${machine.stateMachineArn!.replace(':stateMachine:', ':execution:')}:${operationId}` }));
    assert.equal(execution.status, 'RUNNING');
    const { operation } = JSON.parse(execution.input!);
    assert.deepEqual([operation.action, operation.namespace, operation.name], ['create', ns.name, 'sfn-1']);
  });

  it('joins the running execution when the same request comes again (StartExecution name semantics)', async () => {
    const again = await callTool('create_cluster', create);
    assert.equal(again.structuredContent.operation_id, operationId);
  });

  it('follows it with get_operation and list_operations, and cancels it', async () => {
    const view = (await callTool('get_operation', { operation_id: operationId })).structuredContent;
    assert.equal(view.status, 'RUNNING');
    const listed = (await callTool('list_operations', { namespace: ns.name })).structuredContent.operations;
    assert.deepEqual(listed.map((o: { operation_id: string }) => o.operation_id), [operationId]);
    const cancelled = await callTool('cancel_operation', { operation_id: operationId });
    assert.equal(cancelled.isError, undefined, JSON.stringify(cancelled));
    assert.equal(cancelled.structuredContent.status, 'ABORTED');
  });

  it('refuses an invalid create before any execution starts', async () => {
    const refused = await callTool('create_cluster', { ...create, name: 'sfn-2', cluster_class: 'no-such-class' });
    assert.equal(refused.isError, true);
    const listed = (await callTool('list_operations', { namespace: ns.name })).structuredContent.operations;
    assert.ok(!listed.some((o: { cluster?: string; operation_id: string }) => o.operation_id.includes('sfn-2')), JSON.stringify(listed));
  });
});
