/**
 * What test/support/run-suites.ts reads of a `node --test` run's output (the spec reporter): its counts, and
 * its closing "failing tests" section, which run-suites repeats at the very end of `npm test`: CI shows
 * only the tail of a run, and the first run's failures would otherwise scroll away behind the second's.
 */

/** The run's counts from its closing summary lines (the last ones, should the output hold several). */
export function countsOf(output: string): { readonly passed: number; readonly failed: number } {
  const last = (label: string) => Number([...output.matchAll(new RegExp(`^ℹ ${label} (\\d+)$`, 'gm'))].at(-1)?.[1] ?? 0);
  return { passed: last('pass'), failed: last('fail') };
}

/** The reporter's closing "✖ failing tests:" section, up to the summary; undefined when nothing failed. */
export function failuresOf(output: string): string | undefined {
  const start = output.lastIndexOf('\n✖ failing tests:');
  if (start < 0) return undefined;
  const end = output.indexOf('\nℹ tests ', start);
  return output.slice(start + 1, end < 0 ? undefined : end).trimEnd();
}
