/**
 * When a rate counts as kept up. Apart from the ladder itself so that the harness can read
 * them without loading an agent.
 */

/** The default batch size is 100; two batches waiting is the most a log that keeps up holds. */
export const BOUNDED_PENDING = 200;

/** The share of the rate the calls made must reach. */
export const KEPT_UP_SHARE = 0.95;
