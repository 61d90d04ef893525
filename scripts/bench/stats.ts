/** A figure measured in several runs: its median and its spread (min to max). */
export interface Figure {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** The value of each run, in run order. */
  readonly runs: readonly number[];
}

/** The median of `values`; NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;

  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Summarizes the runs of one figure. */
export function figure(runs: readonly number[]): Figure {
  return {
    median: median(runs),
    min: runs.length === 0 ? NaN : Math.min(...runs),
    max: runs.length === 0 ? NaN : Math.max(...runs),
    runs: [...runs],
  };
}

/**
 * The ratio `a[i] / b[i]` of each run, summarized. Runs of a pair ran back to back on the same
 * machine, so their ratio cancels much of the noise a shared machine puts into each of them;
 * a ratio of two medians would not.
 */
export function pairRatio(a: readonly number[], b: readonly number[]): Figure {
  const ratios = a.map((value, i) => value / (b[i] as number)).filter(Number.isFinite);

  return figure(ratios);
}

/** `a[i] - b[i]` for each run. */
export function pairDifference(a: readonly number[], b: readonly number[]): number[] {
  return a.map((value, i) => value - (b[i] as number));
}
