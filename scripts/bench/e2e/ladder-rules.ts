/**
 * When a rate counts as kept up. Apart from the ladder itself so that the harness can read
 * them without loading an agent.
 */

/** The default batch size is 100; two batches waiting is the most a log that keeps up holds. */
export const BOUNDED_PENDING = 200;

/** The share of the rate the calls made must reach. */
export const KEPT_UP_SHARE = 0.95;

/**
 * Whether a step kept up: the calls reached the rate, the log stayed small, and the collector
 * acknowledged records during the step (a step with no send at all shows nothing of delivery).
 */
export function isKeptUp(
  rate: number,
  achievedPerSecond: number,
  maxPendingLate: number,
  ackedPerSecond: number,
): boolean {
  return (
    achievedPerSecond >= KEPT_UP_SHARE * rate &&
    maxPendingLate <= BOUNDED_PENDING &&
    ackedPerSecond > 0
  );
}
