import type { Clock } from '../clock.js';

/**
 * The log's own time: the wall clock read once, when the log opens, carried forward by the
 * monotonic clock. Records carry it as `stored_at`, and retention measures age in it.
 *
 * Why not the wall clock itself: NTP or an operator may step it by an hour while the agent runs.
 * A step back would make the records stored after it look an hour younger than they are, and a
 * step forward would let a sweep delete an hour of records that are not old at all. Monotonic
 * time cannot step, so within one run ages are exact. Across restarts the wall clock is the only
 * reference there is: each open re-anchors to it, so a step while the agent is down moves the
 * age of the records stored before it.
 */
export class LogTime {
  private readonly openWallMs: number;
  private readonly openMonotonicMs: number;

  /** Anchors log time to `clock`'s wall time now. */
  constructor(private readonly clock: Clock) {
    this.openWallMs = clock.wallMs();
    this.openMonotonicMs = clock.monotonicMs();
  }

  /** Log time now, in whole epoch milliseconds. */
  nowMs(): number {
    return Math.round(this.openWallMs + (this.clock.monotonicMs() - this.openMonotonicMs));
  }
}
