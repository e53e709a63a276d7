/**
 * `npm run sandbox -- up | down | status | reset | build | prune`: manages the local sandbox management
 * cluster. Options: --data-dir DIR (default .capi-mcp, or CAPI_MCP_DATA_DIR), --port-base N
 * (default 16000, or CAPI_MCP_SANDBOX_PORT_BASE) and --providers aws (or CAPI_MCP_SANDBOX_PROVIDERS): the
 * opt-in AWS profile, CAPA's manager against a local moto (sandbox/aws.ts).
 */
import { parseArgs } from 'node:util';
import { awsProfile } from './aws.ts';
import { helmTool } from './helm.ts';
import { binaryCache, ensureBinaries, ensureProfileBinaries, profileCache, pruneOtherCaches } from './build.ts';
import { optionsFromEnv, parsePortBase, parseProviders } from './layout.ts';
import { Sandbox, type SandboxStatus } from './sandbox.ts';

const usage = 'usage: npm run sandbox -- up|down|status|reset|build|prune [--data-dir DIR] [--port-base N] [--providers aws]';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    'data-dir': { type: 'string' },
    'port-base': { type: 'string' },
    providers: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
const command = positionals[0];
if (values.help || positionals.length !== 1) {
  console.log(usage);
  process.exit(values.help ? 0 : 2);
}

const defaults = optionsFromEnv();
const sandbox = new Sandbox({
  dataDir: values['data-dir'] ?? defaults.dataDir,
  portBase: values['port-base'] ? parsePortBase(values['port-base']) : defaults.portBase,
  providers: values.providers !== undefined ? parseProviders(values.providers) : defaults.providers,
});
const log = (line: string) => console.log(line);

function print(status: SandboxStatus): void {
  console.log(`phase: ${status.phase}${status.healthy ? ' (healthy)' : ''}`);
  console.log(`api server: ${status.apiServer}`);
  console.log(`kubeconfig: ${status.kubeconfig}`);
  for (const p of status.processes) {
    console.log(`  ${p.name.padEnd(30)} pid ${String(p.pid).padEnd(8)} ${p.alive ? `running, ${p.memoryMiB} MiB` : 'not running'}`);
  }
}

try {
  switch (command) {
    case 'up':
      print(await sandbox.up(log));
      console.log(`try: kubectl --kubeconfig ${sandbox.paths.kubeconfig} get clusterclasses -A`);
      break;
    case 'down': {
      const stopped = await sandbox.down();
      console.log(stopped.length ? `stopped: ${stopped.join(', ')}` : 'nothing was running');
      break;
    }
    case 'status': {
      const status = await sandbox.status();
      print(status);
      process.exitCode = status.healthy ? 0 : 1;
      break;
    }
    case 'reset': {
      const stopped = await sandbox.reset();
      console.log(`${stopped.length ? `stopped: ${stopped.join(', ')}; ` : ''}removed ${sandbox.paths.root}`);
      break;
    }
    case 'build':
      console.log(`binaries: ${(await ensureBinaries(log)).bin}`);
      if (sandbox.profiles.includes('aws')) console.log(`aws profile: ${(await ensureProfileBinaries(awsProfile, log, 'about 6 min on 2 cores')).bin}`);
      break;
    case 'prune': {
      const removed = await pruneOtherCaches([(await binaryCache()).hash, (await profileCache(awsProfile)).hash, (await profileCache(helmTool)).hash]);
      console.log(removed.length ? `removed binaries of other pin sets: ${removed.join(', ')}` : 'no other pin sets cached');
      break;
    }
    default:
      console.error(`unknown command "${command}"\n${usage}`);
      process.exitCode = 2;
  }
} catch (error) {
  console.error(`sandbox ${command} failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
