/**
 * The test runs' global setup (test/support/run-files.ts `--global-setup`, or `node --test --test-global-setup`):
 * brings the test sandbox up once for the whole run. A sandbox this
 * run started is stopped at the end (set CAPI_MCP_KEEP_TEST_SANDBOX=1 to keep it for the next run); one
 * that was already running is left as it was. It also creates the canary API key (test/support/auth.ts) and
 * opens this run's capture (test/support/capture.ts), and builds the pinned Helm the chart tests run if this
 * machine has none (once, here: two test files building it side by side would write one file).
 */
import { ensureHelm } from '../../sandbox/helm.ts';
import { prepareTestAuth } from './auth.ts';
import { startTestRun } from './capture.ts';
import { testSandbox } from './sandbox.ts';

let startedHere = false;

export async function globalSetup(): Promise<void> {
  await prepareTestAuth();
  startTestRun();
  const sandbox = testSandbox();
  startedHere = !(await sandbox.status()).healthy;
  const t0 = Date.now();
  await sandbox.up((line) => console.log(`[sandbox] ${line}`));
  console.log(`[sandbox] test sandbox ${startedHere ? 'started' : 'reused'} in ${((Date.now() - t0) / 1000).toFixed(1)}s at ${sandbox.apiServerUrl}`);
  await ensureHelm((line) => console.log(`[helm] ${line}`));
}

export async function globalTeardown(): Promise<void> {
  if (startedHere && process.env.CAPI_MCP_KEEP_TEST_SANDBOX !== '1') {
    // Note: silent on purpose — the test runner's summary must stay the last lines of `npm test`.
    await testSandbox().down();
  }
}
