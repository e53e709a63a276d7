/**
 * The container's entry point (deploy/container/Dockerfile, the Helm chart's pod): the same web handler as
 * the Lambda, served by Node on the pod's address, and — read-write — the same state machine run by the
 * local workflow engine, its executions kept in CAPI_MCP_EXECUTIONS_DIR (a persistent volume), so an
 * operation running when the pod stops is resumed by the next one. In a pod without a kubeconfig it manages
 * the cluster it runs in as its ServiceAccount (shared/config/config.ts); API keys come from the file a
 * mounted Secret provides (CAPI_MCP_API_KEYS_FILE), read again as the key cache expires.
 *
 * On SIGTERM it drains: no new connections, the requests in flight finish (CAPI_MCP_DRAIN_SECONDS), then it
 * exits; a running operation's record stays RUNNING on the volume and the next start resumes it (at its
 * Wait when its Apply had ended, else from the idempotent Apply). Logs are JSON lines on stdout.
 */
import { readFile } from 'node:fs/promises';
import { loadConfig, loadServingConfig, requireKeyStore } from '../../shared/config/config.ts';
import { mcpPath } from '../../shared/http/web-handler.ts';
import type { RunningServer } from '../../shared/http/node-adapter.ts';
import { openLocalWorkflows, processDeps, startNodeServer } from '../../shared/http/node-server.ts';
import { makeReaderReleaseErrorWithoutStack } from '../../shared/http/stackless-release.ts';
import { createLog } from '../../shared/observability/log.ts';

makeReaderReleaseErrorWithoutStack();

const config = loadConfig();
const serving = loadServingConfig();
const log = createLog({ level: config.logLevel, ...(config.logFile ? { file: config.logFile } : {}) });

// Note: before anything runs, so a stop while starting (resumed operations already applying) ends at once:
// what was running stays RUNNING on the volume for the next start. A second signal while draining changes nothing.
let server: RunningServer | undefined;
let stopping: Promise<void> | undefined;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    stopping ??= server ? drain(server, signal) : Promise.resolve(process.exit(0));
  });
}

// Every setting checked before the first operation resumes: a misconfigured pod must not apply on each restart.
requireKeyStore(config);
if (!config.readOnly && !serving.executionsDir) {
  throw new Error('Environment variable CAPI_MCP_EXECUTIONS_DIR is required for a read-write server: its operations are kept there (a persistent volume in a pod)');
}
// Note: a read-only server starts no operation, so it runs no engine and needs no volume (the chart may
// then run several replicas).
// One set of clients for the server and the engine's steps.
const shared = processDeps(config);
const opened = !config.readOnly && serving.executionsDir ? await openLocalWorkflows(config, serving.executionsDir, await synthesizedWorkflow(), 1, shared.deps) : undefined;
if (opened && opened.resumed.length > 0) log.info('resumed running operations', { operations: opened.resumed });
if (opened && opened.unreadable.length > 0) log.warn('execution records set aside as unreadable', { files: opened.unreadable });

server = await startNodeServer(config, {
  host: serving.host,
  port: serving.port,
  allowedHosts: config.allowedHosts,
  allowedOrigins: [],
  ...(serving.trustedProxies ? { trustedProxies: serving.trustedProxies } : {}),
  ...(opened ? { workflows: opened.engine } : {}),
  shared,
});
log.info('serving', {
  url: `${server.url}${mcpPath}`,
  port: server.port,
  managementClusters: config.managementClusters.map((c) => c.name),
  readOnly: config.readOnly,
});

async function drain(listening: RunningServer, signal: string): Promise<void> {
  log.info('draining', { signal, drainSeconds: serving.drainSeconds });
  const { inFlightCut } = await listening.drain(serving.drainSeconds * 1000);
  const running = opened ? (await opened.engine.list({ status: 'RUNNING' })).map((r) => r.name) : [];
  // Note: nothing to stop: each record is written whole (synced, then renamed) at every step, and the next
  // start resumes what is RUNNING (at its Wait when its Apply had ended).
  log.info('stopped', { signal, inFlightCut, runningOperationsLeftForTheNextStart: running });
  process.exit(0);
}

/**
 * The state machine's definition as the build synthesized it (deploy/container/build.ts writes it beside
 * the bundle): the container carries no CDK.
 */
async function synthesizedWorkflow(): Promise<{ definition: Record<string, any>; stepFunctionArn: string }> {
  const file = new URL('./workflow.json', import.meta.url);
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`the state machine's definition ${file.pathname} is missing or unreadable (npm run build:container writes it): ${(error as Error).message}`);
  }
}
