/**
 * `npm start`: the embedded default. Serves the MCP endpoint on http://127.0.0.1:8080/mcp (CAPI_MCP_PORT)
 * against the management cluster of KUBECONFIG / CAPI_MCP_MANAGEMENT_CLUSTERS, or — when neither is set —
 * against the local sandbox management cluster, which it brings up (or reuses). A sandbox this process
 * started is stopped on exit; one that was already running is left running.
 */
import { loadConfig } from '../shared/config/config.ts';
import { mcpPath } from '../shared/http/web-handler.ts';
import { optionsFromEnv } from '../sandbox/layout.ts';
import { Sandbox } from '../sandbox/sandbox.ts';
import { join } from 'node:path';
import { startLocalServer } from './server.ts';
import { openLocalWorkflows } from './workflows.ts';

const log = (line: string) => console.log(line);
const env = { ...process.env };
let sandbox: Sandbox | undefined;
let startedSandbox = false;

if (!env.KUBECONFIG && !env.CAPI_MCP_MANAGEMENT_CLUSTERS) {
  sandbox = new Sandbox(optionsFromEnv());
  startedSandbox = !(await sandbox.status()).healthy;
  const status = await sandbox.up((line) => log(`[sandbox] ${line}`));
  env.CAPI_MCP_MANAGEMENT_CLUSTERS = JSON.stringify([{ name: 'sandbox', kubeconfig: status.kubeconfig }]);
  log(`[sandbox] management cluster ${status.apiServer} (kubeconfig: ${status.kubeconfig})`);
}

const config = loadConfig(env);
const port = Number(env.CAPI_MCP_PORT ?? 8080);
const dataDir = optionsFromEnv().dataDir;
const { engine: workflows, resumed } = await openLocalWorkflows(config, join(dataDir, 'executions'), Number(env.CAPI_MCP_LOCAL_TIME_SCALE ?? 1));
if (resumed.length > 0) log(`resumed ${resumed.length} running operation(s): ${resumed.join(', ')}`);
const server = await startLocalServer(config, { port, workflows });
log(`capi-mcp serving ${server.url}${mcpPath} (management clusters: ${config.managementClusters.map((c) => c.name).join(', ')})`);
log(`connect: claude mcp add --transport http capi ${server.url}${mcpPath}`);
log('press Ctrl-C to stop');

async function stop(signal: string): Promise<void> {
  await server.close();
  if (sandbox && startedSandbox) {
    log(`${signal}: stopping the sandbox`);
    await sandbox.down();
  }
  process.exit(0);
}
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));
