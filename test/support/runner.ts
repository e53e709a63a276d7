/**
 * What a test file can know about the run it is part of. The runner (test/support/run-files.ts, over node's
 * test runner) starts one child process per file (the file as its last argument), in its order, at most
 * --concurrency at a time, and the files file-durations.json names `last` after every other; so when the
 * canary (test/integration/zz-canary.test.ts), which must scan what the whole run left, starts, every other
 * file has been started, and the run's files still at work are exactly the runner's other children: it
 * waits on them. (`node --test` alone starts files in path order, where the canary sorts last of the files
 * that serve MCP.)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { eventually } from './wait.ts';

interface Proc {
  readonly pid: number;
  readonly ppid: number;
  /** The last argument of its command line: for a test file's process, the file. */
  readonly lastArg: string;
}

/**
 * The test files the runner that started this process is still running, besides this one; none when
 * this process is not a test runner's child (a file run as a plain script).
 */
export function otherRunningTestFiles(): string[] {
  // Note: the runner marks its children so; a file run as `node x.test.ts` has no runner to ask about.
  if (!process.env.NODE_TEST_CONTEXT?.startsWith('child')) return [];
  return processes()
    .filter((p) => p.ppid === process.ppid && p.pid !== process.pid && /\.(test|aws)\.[cm]?[jt]s$/.test(p.lastArg))
    .map((p) => p.lastArg);
}

/** Waits until the runner's other test files have ended (a whole run can take half an hour on 2 cores). */
export async function untilOtherTestFilesEnd(timeoutMs = 45 * 60_000): Promise<void> {
  await eventually('the run\'s other test files to end', async () => {
    const running = otherRunningTestFiles();
    return { done: running.length === 0, value: undefined, seen: `still running: ${running.join(', ')}` };
  }, { timeoutMs, intervalMs: 1000 });
}

/** Every process: from /proc where there is one (Linux), else from ps (macOS). */
function processes(): Proc[] {
  if (existsSync('/proc/self/stat')) {
    return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).flatMap((pid) => {
      try {
        // The command name, in parentheses, may itself hold spaces and parentheses: fields follow the last ")".
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
        return [{ pid: Number(pid), ppid, lastArg: args.at(-1) ?? '' }];
      } catch {
        return []; // ended while we looked
      }
    });
  }
  return execFileSync('ps', ['-A', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' }).split('\n').flatMap((line) => {
    const match = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    return match ? [{ pid: Number(match[1]), ppid: Number(match[2]), lastArg: match[3]!.trim().split(/\s+/).at(-1) ?? '' }] : [];
  });
}
