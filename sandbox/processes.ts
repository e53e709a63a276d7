/**
 * Child processes of a sandbox: started detached in their own process group with output to a log file,
 * tracked by pid files that also record the binary, so `down` stops exactly what `up` started and a pid
 * reused by an unrelated process is never signalled.
 */
import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProcessSpec {
  readonly name: string;
  readonly binary: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Inherited variables the process must not see at all: removed, not set empty, since Python's AWS SDK
   * reads an empty AWS_CA_BUNDLE as a broken setting where Go's treats it as unset.
   */
  readonly unset?: readonly string[];
  /**
   * What /proc/<pid>/exe shows, when not `binary`: a venv's python is a symlink to the interpreter, and the
   * venv is only found when started through the link.
   */
  readonly exe?: string;
}

interface PidRecord {
  readonly pid: number;
  readonly binary: string;
  readonly startedAt: string;
}

export interface TrackedProcess extends PidRecord {
  readonly name: string;
  readonly alive: boolean;
}

/** Starts a process detached from this one; its output goes to `<logs>/<name>.log`. */
export async function startProcess(spec: ProcessSpec, pidsDir: string, logsDir: string): Promise<number> {
  await mkdir(pidsDir, { recursive: true });
  await mkdir(logsDir, { recursive: true });
  const log = openSync(join(logsDir, `${spec.name}.log`), 'a');
  try {
    const child = spawn(spec.binary, spec.args, {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...withoutVariables(process.env, spec.unset ?? []), ...spec.env },
    });
    const pid = await new Promise<number>((resolvePid, reject) => {
      child.once('error', (error) => reject(new Error(`failed to start ${spec.name} (${spec.binary}): ${error.message}`)));
      child.once('spawn', () => resolvePid(child.pid!));
    });
    child.unref();
    const record: PidRecord = { pid, binary: spec.exe ?? spec.binary, startedAt: new Date().toISOString() };
    await writeFile(join(pidsDir, `${spec.name}.json`), JSON.stringify(record));
    return pid;
  } finally {
    closeSync(log);
  }
}

/** Every process recorded in `pidsDir`, with whether it still runs the recorded binary. */
export async function trackedProcesses(pidsDir: string): Promise<TrackedProcess[]> {
  if (!existsSync(pidsDir)) return [];
  const out: TrackedProcess[] = [];
  for (const file of (await readdir(pidsDir)).filter((f) => f.endsWith('.json')).sort()) {
    const record = JSON.parse(await readFile(join(pidsDir, file), 'utf8')) as PidRecord;
    out.push({ ...record, name: file.replace(/\.json$/, ''), alive: runsBinary(record.pid, record.binary) });
  }
  return out;
}

/** True when `pid` is alive and is the recorded binary (not a recycled pid). */
export function runsBinary(pid: number, binary: string): boolean {
  try {
    const exe = readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
    if (exe !== binary) return false;
    // A zombie still has /proc/<pid>/exe until reaped; it is not running.
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Stops the recorded processes in reverse start order: SIGTERM to the process group, SIGKILL after
 * `graceMs`. Removes their pid files. Returns the names that were still running.
 */
export async function stopProcesses(pidsDir: string, order: readonly string[], graceMs = 10_000, only?: readonly string[]): Promise<string[]> {
  const tracked = (await trackedProcesses(pidsDir)).filter((p) => !only || only.includes(p.name));
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
  tracked.sort((a, b) => rank(b.name) - rank(a.name));
  const stopped: string[] = [];
  for (const proc of tracked) {
    if (proc.alive) {
      stopped.push(proc.name);
      signal(proc.pid, 'SIGTERM');
      const deadline = Date.now() + graceMs;
      while (runsBinary(proc.pid, proc.binary) && Date.now() < deadline) await sleep(100);
      if (runsBinary(proc.pid, proc.binary)) signal(proc.pid, 'SIGKILL');
      while (runsBinary(proc.pid, proc.binary)) await sleep(50);
      // Note: a process this one started is a zombie until the event loop reaps it (a loaded machine left
      // one behind when `down` returned); waiting here lets it, so nothing of the sandbox outlives `down`.
      const reaped = Date.now() + 2_000;
      while (exists(proc.pid) && Date.now() < reaped) await sleep(20);
    }
    await rm(join(pidsDir, `${proc.name}.json`), { force: true });
  }
  return stopped;
}

/** Whether any process, a zombie included, has this pid. */
function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    // Negative pid: the whole process group, which `detached: true` made the child lead.
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      // Already gone.
    }
  }
}

/** Resident memory of a process in MiB, from /proc (0 when it is gone). */
export function residentMiB(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

/** `env` without the variables `names`. */
export function withoutVariables(env: NodeJS.ProcessEnv, names: readonly string[]): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const name of names) delete out[name];
  return out;
}
