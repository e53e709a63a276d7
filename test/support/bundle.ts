/**
 * A built server bundle (`npm run build:container`'s index.mjs) started as its own process, as the image
 * runs it: its JSON log lines collected, and the start awaited until it logs "serving".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface RunningBundle {
  readonly process: ChildProcess;
  /** The "serving" log line (its port among its fields). */
  readonly serving: Record<string, any>;
  /** Every JSON log line written so far, and those still to come. */
  readonly logs: Record<string, any>[];
  readonly exited: Promise<number | null>;
}

export interface BundleOptions {
  readonly cwd?: string;
  /** Told of the process as soon as it exists, so the caller can stop it whatever happens next. */
  readonly started?: (child: ChildProcess) => void;
  /** Where its output goes, line by line on stdout and as it comes on stderr (default: this process's stderr). */
  readonly output?: (text: string) => void;
}

/** Starts `entry` with `env` (and nothing else of this process's environment) and waits until it serves. */
export async function startBundle(entry: string, env: NodeJS.ProcessEnv, { cwd, started, output = (text) => process.stderr.write(text) }: BundleOptions = {}): Promise<RunningBundle> {
  const child = spawn(process.execPath, ['--enable-source-maps', entry], { env, stdio: ['ignore', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
  started?.(child);
  const logs: Record<string, any>[] = [];
  // Note: 'close', not 'exit': it comes once stdout has ended too, so `logs` then holds the last line written.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    output(chunk.toString('utf8'));
  });
  const serving = await new Promise<Record<string, any>>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output(`${line}\n`);
      try {
        const record = JSON.parse(line);
        logs.push(record);
        if (record.message === 'serving') resolve(record);
      } catch {
        // Not a log line; passed on to the output only.
      }
    });
    void exited.then((code) => reject(new Error(`the server exited (${code}) before serving: ${stderr}`)));
  });
  return { process: child, serving, logs, exited };
}
