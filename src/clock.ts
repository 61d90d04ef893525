import { performance } from 'node:perf_hooks';

/**
 * The one place time comes from. Durations and schedules use the monotonic clock; wall time is
 * derived from it with an offset that is re-read from `Date.now()` at most once per
 * {@link Clock.calibrate}, so that a call on the hot path costs one `performance.now()` read
 * and the bucket a call lands in follows the wall clock within one flush interval.
 */
export interface Clock {
  /** Monotonic milliseconds, for durations and schedules. */
  monotonicMs(): number;
  /** Wall-clock epoch milliseconds for a monotonic reading taken by {@link monotonicMs}. */
  wallMsAt(monotonicMs: number): number;
  /** Wall-clock epoch milliseconds now. */
  wallMs(): number;
  /** Re-reads the wall clock, so that {@link wallMsAt} follows a stepped wall clock. */
  calibrate(): void;
}

/**
 * The clock backed by `performance.now()` and `Date.now()`. `performance` is imported rather
 * than read from the global: on Node 20 the global is a getter that runs on every read, 6% of
 * a measured call's time in `npm run bench`.
 */
export class SystemClock implements Clock {
  private offsetMs = Date.now() - performance.now();

  monotonicMs(): number {
    return performance.now();
  }

  wallMsAt(monotonicMs: number): number {
    return this.offsetMs + monotonicMs;
  }

  wallMs(): number {
    return Date.now();
  }

  calibrate(): void {
    this.offsetMs = Date.now() - performance.now();
  }
}

/** The clock every agent uses unless a test passes its own. */
export const systemClock: Clock = new SystemClock();
