import type { Clock } from '../clock.js';
import { getDefaultMeterHost, type MeterHost } from './default-host.js';
import type { Meter } from './meter.js';
import type { ResolvedMeasureOptions } from './options.js';
import type { Series } from './series.js';

/**
 * The per-wrapper state of the hot path: which series calls go to, resolved once and again only
 * when the host's meter changes. Nothing here allocates per call on a known series.
 *
 * Every method swallows its own failures: measuring must never break the host's call.
 */
export class CallRecorder {
  private readonly gateway: string;
  private readonly endpoint: string;
  private readonly tags: Readonly<Record<string, string>> | undefined;
  private readonly trackErrors: boolean;
  private readonly agent: MeterHost | undefined;
  // The meter the cached series belongs to; compared on each call to notice a new host.
  private meter: Meter | undefined;
  private series: Series | undefined;
  private clock: Clock | undefined;

  /**
   * @param options - Validated options of the wrapper.
   * @param endpoint - The endpoint, already defaulted from the function's name.
   */
  constructor(options: ResolvedMeasureOptions, endpoint: string) {
    this.gateway = options.gateway;
    this.endpoint = endpoint;
    this.tags = options.tags;
    this.trackErrors = options.trackErrors;
    this.agent = options.agent;
  }

  /**
   * Decides whether a call is to be measured, resolving the series if the host's meter changed.
   *
   * @returns The clock to read the call's start from, or `undefined` when the call is not to
   *   be measured (no host, a disabled meter, or a failure while resolving the series).
   */
  ready(): Clock | undefined {
    // An object, not the start time, is returned: a double returned from a function that is not
    // inlined is boxed, one allocation per call.
    try {
      // Read per call, not captured at wrap time: decorators run before any agent exists.
      const host = this.agent ?? getDefaultMeterHost();
      if (host === undefined) return undefined;
      const meter = host.meter;
      if (!meter.isEnabled) return undefined;
      if (meter !== this.meter) this.resolve(meter);

      return this.clock;
    } catch {
      return undefined;
    }
  }

  /**
   * The monotonic start of the sync call about to be ended, stored by the wrapper right before
   * {@link end}. A field rather than an argument: when V8 does not inline `end` into the
   * wrapper's caller, a double argument is boxed, one allocation per call, while a double field
   * is written in place. No other code runs between the store and `end`, so nested and
   * concurrent calls cannot mix their starts up.
   */
  startMs = NaN;

  /** Ends the sync call that began at {@link startMs}. */
  end(failed: boolean, error: unknown): void {
    // finish() inlined by hand: passing startMs on as an argument would box it.
    try {
      const series = this.series as Series;
      series.callStartMs = this.startMs;
      series.callEndMs = (this.clock as Clock).monotonicMs();
      series.commit(failed, failed && this.trackErrors, error);
    } catch {
      // Never break the host: a failing clock or series loses this one measurement only.
    }
  }

  /**
   * Ends an async call begun at `startMs` when its promise settles.
   *
   * @returns A promise that settles with the same value or error as `promise`, so a rejection
   *   nobody handles stays unhandled.
   */
  settle<T>(promise: Promise<T>, startMs: number): Promise<T> {
    // Captured now: the wrapper may resolve another series before this promise settles.
    const { series, clock, trackErrors } = this;
    try {
      return promise.then(
        (value) => {
          finish(series, clock, trackErrors, startMs, false, undefined);
          return value;
        },
        (error: unknown) => {
          finish(series, clock, trackErrors, startMs, true, error);
          throw error;
        },
      );
    } catch {
      // Only a Promise subclass with a throwing `then` gets here; hand back the host's promise.
      return promise;
    }
  }

  private resolve(meter: Meter): void {
    // Cleared first, so that a throwing series() leaves no half-updated cache behind.
    this.meter = undefined;
    this.series = meter.series(this.gateway, this.endpoint, this.tags);
    this.clock = meter.clock;
    this.meter = meter;
  }
}

function finish(
  series: Series | undefined,
  clock: Clock | undefined,
  trackErrors: boolean,
  startMs: number,
  failed: boolean,
  error: unknown,
): void {
  try {
    const target = series as Series;
    target.callStartMs = startMs;
    target.callEndMs = (clock as Clock).monotonicMs();
    target.commit(failed, failed && trackErrors, error);
  } catch {
    // Never break the host: a failing clock or series loses this one measurement only.
  }
}
