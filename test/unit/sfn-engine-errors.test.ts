/**
 * How SfnWorkflowEngine reports Step Functions' own failures: the real AWS SDK client against a local
 * HTTPS-less endpoint that answers as Step Functions does when it throttles (400 ThrottlingException)
 * or fails (500). After the SDK's own retries, the agent must read an Upstream failure that says to
 * retry — never "Internal: … a bug in capi-mcp", which is what a foreign exception becomes.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SFNClient } from '@aws-sdk/client-sfn';
import { CapiMcpError, ErrorCode } from '../../shared/errors.ts';
import { SfnWorkflowEngine } from '../../shared/workflows/sfn-engine.ts';

const machineArn = 'arn:aws:states:eu-west-1:111122223333:stateMachine:ClusterOperation';

/** A Step Functions endpoint that answers every call with `status` and the error `type`, counting calls. */
async function failingStepFunctions(status: number, type: string) {
  let calls = 0;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    request.on('end', () => {
      calls++;
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': `${type};Sender` });
      response.end(JSON.stringify({ __type: `com.amazonaws.swf.service.v2.model#${type}`, message: `${type} from the test endpoint` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => server.close());
  const client = new SFNClient({
    region: 'eu-west-1',
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 2,
    // Note: no backoff wait between the SDK's attempts, so the test takes milliseconds.
    retryStrategy: undefined,
  });
  return { engine: new SfnWorkflowEngine({ client, stateMachineArn: machineArn }), calls: () => calls };
}

const input = { operation: { action: 'delete', namespace: 'team-a', name: 'web' }, timeoutSeconds: 60, pollSeconds: 5 } as const;

describe("Step Functions' failures reach the agent as Upstream, saying to retry", () => {
  const cases: { what: string; status: number; type: string; call: (engine: SfnWorkflowEngine) => Promise<unknown>; message: RegExp }[] = [
    { what: 'a throttled DescribeExecution', status: 400, type: 'ThrottlingException', call: (e) => e.describe('delete_team-a_web_0123456789abcdef'), message: /^failed to describe execution delete_team-a_web_0123456789abcdef: .*Step Functions is throttling/ },
    { what: 'a throttled StartExecution', status: 400, type: 'ThrottlingException', call: (e) => e.start('delete_team-a_web_0123456789abcdef', input as never), message: /^failed to start execution .*Step Functions is throttling/ },
    { what: 'a throttled ListExecutions', status: 400, type: 'ThrottlingException', call: (e) => e.list({ limit: 5 }), message: /^failed to list executions: .*Step Functions is throttling/ },
    { what: 'a failing StopExecution', status: 500, type: 'InternalServerError', call: (e) => e.stop('delete_team-a_web_0123456789abcdef', 'test'), message: /^failed to stop execution / },
  ];
  for (const { what, status, type, call, message } of cases) {
    it(`${what} (${status} ${type})`, async () => {
      const { engine, calls } = await failingStepFunctions(status, type);
      await assert.rejects(call(engine), (error: unknown) => {
        assert.ok(error instanceof CapiMcpError, `a CapiMcpError, not ${(error as Error).constructor.name}: ${(error as Error).message}`);
        assert.equal(error.code, ErrorCode.Upstream);
        assert.match(error.message, message);
        assert.match(error.hint ?? '', /retry/);
        return true;
      });
      assert.ok(calls() >= 1);
    });
  }
});
