/**
 * `npm test`: the AWS path first (`npm run test:aws`: the test sandbox with its AWS profile, CAPA's manager
 * against moto), the sandbox kept, then every other test (`npm run test:main`) on that same sandbox, whose
 * global setup removes the profile in place (about 7 s, no restart). One line at the end counts both runs.
 *
 * Note: two runs, not one: the AWS profile costs the API server CAPA's watches and webhooks, and CAPA's build
 * (about 6 minutes cold, cached after) must not compete with the suite for the machine's two cores; run first,
 * it does neither while the main suite runs. A sandbox this command started is stopped at the end unless
 * CAPI_MCP_KEEP_TEST_SANDBOX=1, as `npm run test:main` alone does.
 */
import { spawn } from 'node:child_process';
import { testSandbox } from './sandbox.ts';
import { countsOf, failuresOf } from './suite-output.ts';

interface Outcome {
  readonly passed: number;
  readonly failed: number;
  readonly code: number;
  /** The run's "failing tests" section, repeated at the end. */
  readonly failures?: string;
}

/** Runs `npm run <script>`, its output passed through as it comes, and reads the test runner's counts from it. */
function run(script: string, env: NodeJS.ProcessEnv): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', script], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let tail = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      // Note: enough for the closing failing-tests section, which ends the output.
      tail = (tail + chunk.toString('utf8')).slice(-1024 * 1024);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const failures = failuresOf(tail);
      resolve({ ...countsOf(tail), code: code ?? 1, ...(failures ? { failures } : {}) });
    });
  });
}

const sandbox = testSandbox();
const wasRunning = (await sandbox.status()).healthy;
const aws = await run('test:aws', { ...process.env, CAPI_MCP_TEST_AWS: '1', CAPI_MCP_KEEP_TEST_SANDBOX: '1' });
const main = await run('test:main', { ...process.env, CAPI_MCP_TEST_AWS: '', CAPI_MCP_KEEP_TEST_SANDBOX: '1' });
if (!wasRunning && process.env.CAPI_MCP_KEEP_TEST_SANDBOX !== '1') await sandbox.down();

for (const [script, outcome] of [['test:aws', aws], ['test:main', main]] as const) {
  if (outcome.failures) console.log(`\nnpm run ${script}, its failures again:\n${outcome.failures}`);
}
const passed = aws.passed + main.passed;
// A run that failed without a test failing (a global setup that threw) counts as one failure.
const failed = aws.failed + main.failed + (aws.code !== 0 && aws.failed === 0 ? 1 : 0) + (main.code !== 0 && main.failed === 0 ? 1 : 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
