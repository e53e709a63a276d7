/**
 * The local adapter as `npm start` runs it (local/server.ts with a local workflow engine), in a process
 * of its own so the bench's load generator does not share its event loop. Configured by the environment
 * like the real thing; prints `LISTENING <url>` once it accepts connections.
 */
import { startLocalServer } from '../local/server.ts';
import { openLocalWorkflows } from '../local/workflows.ts';
import { loadConfig } from '../shared/config/config.ts';

const config = loadConfig(process.env);
const { engine } = await openLocalWorkflows(config, process.env.BENCH_EXECUTIONS_DIR ?? '.capi-mcp/bench/serve-executions', 1);
const server = await startLocalServer(config, { port: 0, workflows: engine });
console.log(`LISTENING ${server.url}`);
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
