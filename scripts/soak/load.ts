import { measureTps, type Agent } from '../../src/index.js';

/** The gateway every soak call is counted under. */
export const SOAK_GATEWAY = 'soak';

/** How often the generator wakes to make the calls that are due. */
const TICK_MS = 10;

/**
 * Makes calls at a steady rate, spread round-robin over `series` endpoints, until stopped. It
 * counts every call it makes, so the collector's total can be checked against it.
 */
export class LoadGenerator {
  /** Calls made so far. */
  made = 0;
  private readonly calls: (() => number)[];
  private readonly ratePerSecond: number;
  private startedMs = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(agent: Agent, ratePerSecond: number, series: number) {
    this.ratePerSecond = ratePerSecond;
    this.calls = Array.from({ length: series }, (_, i) =>
      measureTps({ gateway: SOAK_GATEWAY, endpoint: `series-${i}`, agent })(() => i),
    );
  }

  /** Starts making calls. */
  start(): void {
    this.startedMs = performance.now();
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  /** Stops making calls; {@link made} is final from here on. */
  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    // Catch up on what is due by the clock, so a slow tick does not lower the rate.
    const due = Math.floor(((performance.now() - this.startedMs) * this.ratePerSecond) / 1000);
    while (this.made < due) {
      this.calls[this.made % this.calls.length]!();
      this.made += 1;
    }
  }
}
