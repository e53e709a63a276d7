/** Timing for the bench: medians and 95th percentiles of interleaved runs, and how the table shows them. */
import { performance } from 'node:perf_hooks';

export interface Stats {
  readonly median: number;
  readonly p95: number;
  readonly runs: number;
}

export function statsOf(samples: readonly number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  return { median: at(0.5), p95: at(0.95), runs: sorted.length };
}

/**
 * Times several operations over the same runs, interleaved (A, B, C, A, B, C, …) so that drift in the
 * machine's load — controllers reconciling, GC — falls on every contender alike.
 */
export async function measureTogether<K extends string>(
  fns: Record<K, () => Promise<unknown>>,
  { runs = 20, warmups = 3 }: { runs?: number; warmups?: number } = {},
): Promise<Record<K, Stats>> {
  const names = Object.keys(fns) as K[];
  for (let i = 0; i < warmups; i++) for (const name of names) await fns[name]();
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i < runs; i++) {
    for (const name of names) {
      const t0 = performance.now();
      await fns[name]();
      samples[name].push(performance.now() - t0);
    }
  }
  return Object.fromEntries(names.map((n) => [n, statsOf(samples[n])])) as Record<K, Stats>;
}

export const ms = (s: Stats) => `${s.median.toFixed(1)} ms (p95 ${s.p95.toFixed(1)})`;

/** `a / b` of the medians, with the target when there is one, e.g. "1.12× (target ≤1.2×)". */
export function ratio(a: Stats | number, b: Stats | number, target?: number): string {
  const value = (typeof a === 'number' ? a : a.median) / (typeof b === 'number' ? b : b.median);
  return `${value.toFixed(2)}×${target !== undefined ? ` (target ≤${target}× ${value <= target ? 'met' : 'MISSED'})` : ''}`;
}

export const seconds = (msValue: number) => `${(msValue / 1000).toFixed(1)} s`;
