/**
 * shared/observability/tracing.ts in a Lambda environment with tracing on: the Tracer is loaded by the
 * first invocation X-Ray samples, and an AWS SDK client passed through `traced` before then — the Step
 * Functions or Secrets Manager client of a container whose first requests were not sampled — is captured
 * when it loads, so its calls get subsegments from then on. An error thrown out of the handler marks its
 * subsegment as failed without recording the error's text, which can carry what a tenant wrote (the logs
 * have it, redacted). Each case is a fresh Node process, since the Tracer and the X-Ray SDK read their
 * environment once.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../sandbox/layout.ts';

const execFileAsync = promisify(execFile);

/** The X-Ray middleware names on a client made before any invocation, after each of `sampled` invocations. */
async function middlewareAfter(sampled: readonly boolean[]): Promise<string[][]> {
  const script = `import { SFNClient } from '@aws-sdk/client-sfn';
import { traced, tracedHandler } from ${JSON.stringify(join(repoRoot, 'shared', 'observability', 'tracing.ts'))};
const client = traced(new SFNClient({ region: 'eu-west-1' }));
const handler = tracedHandler(async () => 'ok');
const seen = [];
for (const [i, sampled] of ${JSON.stringify(sampled)}.entries()) {
  process.env._X_AMZN_TRACE_ID = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8a0' + i + ';Sampled=' + (sampled ? 1 : 0);
  await handler({});
  seen.push(client.middlewareStack.identify().filter((name) => /xray/i.test(name)));
}
process.stdout.write('\\nSEEN ' + JSON.stringify(seen) + '\\n');`;
  const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      AWS_LAMBDA_FUNCTION_NAME: 'capi-mcp-test',
      LAMBDA_TASK_ROOT: repoRoot,
      _HANDLER: 'index.handler',
      // No daemon listens here: the X-Ray SDK sends UDP and expects no answer.
      AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:9',
      AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
    },
  });
  return JSON.parse(/^SEEN (.*)$/m.exec(stdout)![1]!);
}

describe('traced', () => {
  it('captures a client made before the Tracer loads once a sampled invocation loads it, and not before', async () => {
    const [unsampled, sampled, after] = await middlewareAfter([false, true, false]);
    assert.deepEqual(unsampled, []);
    assert.equal(sampled!.length, 1, `one X-Ray middleware after the sampled invocation: ${JSON.stringify(sampled)}`);
    assert.deepEqual(after, sampled);
  });

});

describe('tracedHandler', () => {
  it("marks a failed invocation's subsegment as an error without the error's message or stack", async () => {
    const daemon = createSocket('udp4');
    const documents: Record<string, any>[] = [];
    daemon.on('message', (message) => documents.push(JSON.parse(message.toString('utf8').split('\n')[1]!)));
    await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
    try {
      const script = `import { tracedHandler } from ${JSON.stringify(join(repoRoot, 'shared', 'observability', 'tracing.ts'))};
const handler = tracedHandler(async () => { throw new Error('tenant-written text in a message'); });
process.env._X_AMZN_TRACE_ID = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8a00;Sampled=1';
const thrown = await handler({}).then(() => 'nothing', (error) => error.message);
await new Promise((resolve) => setTimeout(resolve, 200));
process.stdout.write('\\nTHROWN ' + JSON.stringify(thrown) + '\\n');`;
      const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: repoRoot,
        env: {
          PATH: process.env.PATH,
          AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
          AWS_LAMBDA_FUNCTION_NAME: 'capi-mcp-test',
          LAMBDA_TASK_ROOT: repoRoot,
          _HANDLER: 'index.handler',
          AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${(daemon.address() as AddressInfo).port}`,
          AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
        },
      });
      assert.equal(JSON.parse(/^THROWN (.*)$/m.exec(stdout)![1]!), 'tenant-written text in a message', 'the error still reaches the runtime');
      const handlerSegment = documents.find((d) => d.name === '## index.handler');
      assert.ok(handlerSegment, `a handler subsegment was sent: ${JSON.stringify(documents)}`);
      assert.equal(handlerSegment.error, true);
      assert.doesNotMatch(JSON.stringify(documents), /tenant-written/);
    } finally {
      daemon.close();
    }
  });
});
