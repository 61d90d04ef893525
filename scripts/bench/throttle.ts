import type { Section } from './section.js';

/**
 * Section 2, held open until throttling lands. The harness has its place in the run order and
 * the report; it measures nothing yet, so it reports no figures rather than made-up ones.
 *
 * When `src/throttle/` exists, this becomes: admission cost per call (admitted and rejected,
 * one key and 100 keys) against the bare call and the clock floor, each case in a fresh child
 * like the hot path; and accuracy, calls admitted per window against the configured rate under
 * a steady and a bursty load.
 */
export function throttleSection(): Section {
  return {
    title: '2. Throttling: admission cost and accuracy',
    body: `**Not measured yet: this section lands with throttling.** There is no throttle in
\`src/\` to measure, so there are no figures here. When it lands, the harness will time the
admission decision per call (admitted and rejected, one key and 100 keys) beside the bare call
and the clock floor, each case in a fresh process as in section 1, and check accuracy: calls
admitted per window against the configured rate, under steady and bursty load.`,
    targets: [],
  };
}
