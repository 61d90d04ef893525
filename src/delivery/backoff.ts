/** Options of {@link backoffDelayMs}. */
export interface BackoffOptions {
  /** Base delay before the first retry, in milliseconds; > 0. @default 200 */
  initialDelayMs: number;
  /** Cap of the base delay, in milliseconds; >= `initialDelayMs`. @default 30000 */
  maxDelayMs: number;
}

/** The defaults of {@link BackoffOptions}. */
export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = {
  initialDelayMs: 200,
  maxDelayMs: 30_000,
};

/**
 * The delay before retry number `retry` (1 for the first): the exponential base
 * `initialDelayMs * 2^(retry - 1)`, capped at `maxDelayMs`, then drawn uniformly from
 * `[base / 2, base]`.
 *
 * The cap applies to the base, before the jitter, so the spread holds at the cap too: agents
 * that lost the collector together stay spread over `[maxDelayMs / 2, maxDelayMs]` and do not
 * knock in step. (cockatiel's decorrelated jitter caps after the draw, so every delay past the
 * cap is exactly `maxDelay`.)
 *
 * @param retry - 1 for the first retry; values below 1 count as 1.
 * @param random - Source of uniform numbers in [0, 1); tests pass their own.
 * @returns Whole milliseconds.
 */
export function backoffDelayMs(
  retry: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  // Past 2^60 the base is far beyond any cap; stopping there keeps it finite.
  const exponent = Math.min(Math.max(retry, 1) - 1, 60);
  const base = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** exponent);

  return Math.round(base / 2 + (random() * base) / 2);
}
