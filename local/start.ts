/**
 * `npm start`: the embedded default. Serves the MCP endpoint on http://127.0.0.1:8080/mcp (CAPI_MCP_PORT)
 * against the management cluster of KUBECONFIG / CAPI_MCP_MANAGEMENT_CLUSTERS, or — when neither is set —
 * against the local sandbox management cluster, which it brings up (or reuses). A sandbox this process
 * started is stopped on exit; one that was already running is left running.
 */
import { FileKeyStore } from '../shared/auth/key-store.ts';
import { loadConfig, loadServingConfig } from '../shared/config/config.ts';
import { mcpPath } from '../shared/http/web-handler.ts';
import { processDeps } from '../shared/http/node-server.ts';
import { optionsFromEnv } from '../sandbox/layout.ts';
import { Sandbox } from '../sandbox/sandbox.ts';
import { join } from 'node:path';
import { ensureLocalAdminKey } from './local-key.ts';
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
  // The sandbox is a playground: read-write unless said otherwise. A real cluster defaults to read-only.
  env.CAPI_MCP_READ_ONLY ??= 'false';
  log(`[sandbox] management cluster ${status.apiServer} (kubeconfig: ${status.kubeconfig})`);
}

const dataDir = optionsFromEnv().dataDir;
const tokenFile = join(dataDir, 'local-api-key');
if (!env.CAPI_MCP_API_KEYS_SECRET_ARN) env.CAPI_MCP_API_KEYS_FILE ??= join(dataDir, 'api-keys.json');
const config = loadConfig(env);
// Note: the port only; `npm start` binds loopback whatever CAPI_MCP_HOST says (the container's setting).
const { port } = loadServingConfig(env);
if (config.apiKeys?.kind === 'file') {
  const bootstrap = await ensureLocalAdminKey(new FileKeyStore(config.apiKeys.path), tokenFile);
  if (bootstrap.created) {
    log(`created the first API key (admin), shown this once and saved to ${tokenFile} (mode 0600):`);
    log(`  ${bootstrap.token}`);
  }
}
// Note: a read-only server runs no operations, not even those a read-write run left running: resumed, they
// would apply to whatever cluster the configuration now names.
// One set of clients for the server and the engine's steps.
const shared = processDeps(config);
const opened = config.readOnly ? undefined : await openLocalWorkflows(config, join(dataDir, 'executions'), Number(env.CAPI_MCP_LOCAL_TIME_SCALE ?? 1), shared.deps);
if (opened && opened.resumed.length > 0) log(`resumed ${opened.resumed.length} running operation(s): ${opened.resumed.join(', ')}`);
if (opened && opened.unreadable.length > 0) log(`set aside unreadable execution records: ${opened.unreadable.join(', ')}`);
const server = await startLocalServer(config, { port, shared, ...(opened ? { workflows: opened.engine } : {}) });
log(`capi-mcp serving ${server.url}${mcpPath} (management clusters: ${config.managementClusters.map((c) => c.name).join(', ')})`);
log(`${config.readOnly ? 'read-only' : 'read-write'}; API keys: ${config.apiKeys?.kind === 'file' ? config.apiKeys.path : 'Secrets Manager'}`);
log(`connect: claude mcp add --transport http capi ${server.url}${mcpPath} --header "Authorization: Bearer $(cat ${tokenFile})"`);
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
