import type { Clock } from '../../../src/clock.js';

/**
 * A clock for producing a backlog faster than real time. The driver scripts each call: the
 * wrapper's first read returns the call's start, and every read after it the call's end, until
 * the next call is scripted. Calls are scripted in order of their end, as a real meter sees
 * them, however long each one took.
 */
export class ScriptedClock implements Clock {
  private nowMs = 0;
  private startMs = NaN;

  /** @param wallStartMs - Wall-clock epoch milliseconds at monotonic 0. */
  constructor(private readonly wallStartMs: number) {}

  /** The next call starts at `startMs` and ends at `endMs` (monotonic milliseconds). */
  scriptCall(startMs: number, endMs: number): void {
    this.startMs = startMs;
    this.nowMs = endMs;
  }

  monotonicMs(): number {
    const startMs = this.startMs;
    if (Number.isNaN(startMs)) return this.nowMs;
    this.startMs = NaN;

    return startMs;
  }

  wallMsAt(monotonicMs: number): number {
    return this.wallStartMs + monotonicMs;
  }

  wallMs(): number {
    return this.wallStartMs + this.nowMs;
  }

  calibrate(): void {}
}
