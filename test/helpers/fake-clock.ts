import type { Clock } from '../../src/clock.js';

/**
 * A {@link Clock} that moves only when a test says so. Monotonic time starts at 0; wall time is
 * monotonic time plus an offset, as in the system clock, and a wall-clock step takes effect only
 * on {@link calibrate}, as it would in production.
 */
export class FakeClock implements Clock {
  private nowMs = 0;
  private offsetMs: number;
  private pendingOffsetMs: number;

  /**
   * @param wallStartMs - Wall-clock epoch milliseconds at monotonic 0.
   * @default 1_700_000_000_000, the start of a second
   */
  constructor(wallStartMs = 1_700_000_000_000) {
    this.offsetMs = wallStartMs;
    this.pendingOffsetMs = wallStartMs;
  }

  monotonicMs(): number {
    return this.nowMs;
  }

  wallMsAt(monotonicMs: number): number {
    return this.offsetMs + monotonicMs;
  }

  wallMs(): number {
    return this.pendingOffsetMs + this.nowMs;
  }

  calibrate(): void {
    this.offsetMs = this.pendingOffsetMs;
  }

  /** Moves time forward by `ms` milliseconds. */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError(`advance takes a duration >= 0; received ${ms}`);
    this.nowMs += ms;
  }

  /** Steps the wall clock by `ms` (negative steps back); seen by `wallMsAt` after calibrate(). */
  stepWall(ms: number): void {
    this.pendingOffsetMs += ms;
  }
}
