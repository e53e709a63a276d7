/**
 * `npm start`: the embedded default. Without KUBECONFIG it brings up the local sandbox management
 * cluster (reusing a healthy one) and keeps it running until Ctrl-C; a sandbox this process started is
 * stopped on exit, one that was already running is left running.
 */
import { optionsFromEnv } from '../sandbox/layout.ts';
import { Sandbox } from '../sandbox/sandbox.ts';

const log = (line: string) => console.log(`[sandbox] ${line}`);

if (process.env.KUBECONFIG) {
  console.log(`using the management cluster of KUBECONFIG=${process.env.KUBECONFIG}; no sandbox started`);
} else {
  const sandbox = new Sandbox(optionsFromEnv());
  const startedHere = !(await sandbox.status()).healthy;
  const status = await sandbox.up(log);
  log(`management cluster: ${status.apiServer} (kubeconfig: ${status.kubeconfig})`);
  log('press Ctrl-C to stop');
  const stop = async (signal: string) => {
    if (startedHere) {
      log(`${signal}: stopping the sandbox`);
      await sandbox.down();
    }
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  setInterval(() => undefined, 1 << 30);
}
