/**
 * Polling for tests against real controllers: convergence takes seconds to a minute, so tests wait for
 * a condition and, when it never holds, fail with the last state they observed rather than a bare timeout.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface Observation<T> {
  /** True when the awaited state is reached. */
  readonly done: boolean;
  readonly value: T;
  /** What the test saw, for the failure message. */
  readonly seen: string;
}

/** Polls `observe` every `intervalMs` until it reports done; throws with the last observation after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  observe: () => Promise<Observation<T>>,
  { timeoutMs = 180_000, intervalMs = 1000 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = 'nothing observed yet';
  for (;;) {
    try {
      const observation = await observe();
      if (observation.done) return observation.value;
      last = observation.seen;
    } catch (error) {
      last = `error: ${(error as Error).message}`;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}; last seen: ${last}`);
    await sleep(intervalMs);
  }
}

/**
 * `read`'s value once two reads `intervalMs` apart agree: the controllers have stopped writing for now.
 * For a test that asserts a call changed nothing (resourceVersions before and after): right after an
 * operation converges the controllers still settle status (a Machine's Available follows its Ready), and a
 * write of theirs inside the call's window is not the call's.
 */
export async function settled<T>(what: string, read: () => Promise<T>, { timeoutMs = 60_000, intervalMs = 2000 } = {}): Promise<T> {
  let last = JSON.stringify(await read());
  // Note: eventually observes at once; without this pause the first two reads were milliseconds apart,
  // and a controller's write 2 s later fell inside the window of the call under test (seen in CI).
  await sleep(intervalMs);
  return eventually(`${what} to settle`, async () => {
    const value = await read();
    const now = JSON.stringify(value);
    const done = now === last;
    last = now;
    return { done, value, seen: now.slice(0, 500) };
  }, { timeoutMs, intervalMs });
}

/**
 * What a write other than the controllers' status updates changes in an object: its generation (any spec
 * change), its deletion, and the entries of every field manager but the status writers'. A call that
 * "changed nothing" keeps this of every object, while the controllers go on patching status (a Machine's
 * conditions follow its Node every few seconds) and so move its resourceVersion.
 */
export function writtenState(o: { metadata?: any }): string {
  const m = o.metadata ?? {};
  const managers = ((m.managedFields ?? []) as { manager?: string; operation?: string; subresource?: string; time?: string }[])
    .filter((f) => f.subresource !== 'status')
    .map((f) => `${f.manager}/${f.operation}@${f.time}`)
    .sort();
  return JSON.stringify({ generation: m.generation, deleting: m.deletionTimestamp ?? null, labels: m.labels ?? {}, annotations: m.annotations ?? {}, managers });
}

/** A duration for a test's diagnostics: "12.4s". */
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
