import { systemClock, type Clock } from '../clock.js';
import { ConfigError } from '../errors.js';
import type { RecordDraft } from '../protocol/types.js';
import { Series, type SeriesOwner } from './series.js';

/** Options of a {@link Meter}. */
export interface MeterOptions {
  /**
   * Where time comes from: durations from its monotonic reading, the second a call lands in
   * from its wall time at the call's end.
   * @default systemClock
   */
  clock?: Clock;
  /**
   * Distinct failure kinds kept per record; further kinds are counted under `"other"`. An
   * integer from 0 (every failure under `"other"`) to 1000.
   * @default 20
   */
  maxErrorKinds?: number;
  /**
   * Distinct series kept; calls of any further series fold into the one overflow series
   * ({@link OVERFLOW_NAME} as gateway and endpoint), so memory stays bounded whatever names the
   * host makes up. A whole number from 1 to 1,000,000.
   * @default 10000
   */
  maxSeries?: number;
  /** Called once, when the first series beyond `maxSeries` is asked for. */
  onOverflow?: () => void;
}

/** The default of {@link MeterOptions.maxErrorKinds}. */
export const DEFAULT_MAX_ERROR_KINDS = 20;
const MAX_MAX_ERROR_KINDS = 1000;
/** The default of {@link MeterOptions.maxSeries}. */
export const DEFAULT_MAX_SERIES = 10_000;
const MAX_MAX_SERIES = 1_000_000;
/** Gateway and endpoint of the series that calls beyond `maxSeries` fold into. */
export const OVERFLOW_NAME = '__tps_overflow__';

/**
 * Counts calls per series and wall-clock second, and hands them over as record drafts. All
 * state lives in memory; the meter does no I/O.
 *
 * @example
 * ```ts
 * const meter = new Meter();
 * const series = meter.series('payments', 'charge');
 * const start = systemClock.monotonicMs();
 * series.record(start, systemClock.monotonicMs(), false);
 * const drafts = meter.drain(); // one draft with count 1
 * ```
 */
export class Meter implements SeriesOwner {
  /** The clock of every series of this meter. */
  readonly clock: Clock;
  /** Distinct failure kinds kept per record; see {@link MeterOptions.maxErrorKinds}. */
  readonly maxErrorKinds: number;
  /**
   * Whether calls are recorded. When false (agent closed, or metrics turned off), recording is a
   * no-op and wrappers run their function unmeasured; what was recorded before can still be
   * drained.
   */
  isEnabled = true;
  // Series without tags, by gateway then endpoint: looking one up builds no string, so that
  // track() and re-resolving wrappers stay cheap in the common case.
  private readonly untagged = new Map<string, Map<string, Series>>();
  // Series with tags, by the JSON of [gateway, endpoint, sorted tag pairs]: unambiguous whatever
  // characters the names hold.
  private readonly tagged = new Map<string, Series>();
  private dirty: Series[] = [];
  // The series the last drain visited: the ones that may hold spare buckets.
  private drained: Series[] = [];
  private count = 0;
  private readonly maxSeries: number;
  private readonly onOverflow: (() => void) | undefined;
  private overflow: Series | undefined;
  private overflowed = 0;

  /**
   * @param options - See {@link MeterOptions}.
   * @throws {@link ConfigError} when `maxErrorKinds` is not an integer from 0 to 1000, or
   *   `maxSeries` not one from 1 to 1,000,000.
   */
  constructor(options: MeterOptions = {}) {
    this.maxErrorKinds = checkWhole(
      'maxErrorKinds',
      options.maxErrorKinds ?? DEFAULT_MAX_ERROR_KINDS,
      0,
      MAX_MAX_ERROR_KINDS,
    );
    this.maxSeries = checkWhole(
      'maxSeries',
      options.maxSeries ?? DEFAULT_MAX_SERIES,
      1,
      MAX_MAX_SERIES,
    );
    this.clock = options.clock ?? systemClock;
    this.onOverflow = options.onOverflow;
  }

  /**
   * How many series the meter holds, the overflow series not included. Series are never
   * forgotten, so this only grows, up to `maxSeries`.
   */
  get seriesCount(): number {
    return this.count;
  }

  /** Calls drained from the overflow series so far: calls whose own series was over the cap. */
  get overflowedCalls(): number {
    return this.overflowed;
  }

  /**
   * Returns the series of a gateway, endpoint and tag set, creating it on first use. Tags in any
   * key order name the same series.
   *
   * @param gateway - The gateway name.
   * @param endpoint - The endpoint name.
   * @param tags - String tags; copied, so the caller may reuse its object.
   * @returns The series; the same object for the same arguments.
   */
  series(gateway: string, endpoint: string, tags?: Readonly<Record<string, string>>): Series {
    const sorted = sortTags(tags);
    if (sorted === undefined) return this.untaggedSeries(gateway, endpoint);

    const key = JSON.stringify([gateway, endpoint, sorted]);
    let series = this.tagged.get(key);
    if (series === undefined) {
      if (this.count >= this.maxSeries) return this.overflowSeries();
      series = new Series(this, gateway, endpoint, Object.fromEntries(sorted));
      this.tagged.set(key, series);
      this.count++;
    }

    return series;
  }

  /**
   * Hands over every bucket with calls since the last drain, including the second still open,
   * and resets them. Records are additive, so later calls of that same second come in a later
   * drain as a second part.
   *
   * @returns One draft per series and second with calls, in no particular order across series.
   */
  drain(): RecordDraft[] {
    // Before the drain clears their marks: the series idle since the last drain keep no spares.
    for (const series of this.drained) series.releaseIdleSpares();

    const dirty = this.dirty;
    this.dirty = [];
    this.drained = dirty;
    const out: RecordDraft[] = [];
    for (const series of dirty) {
      const from = out.length;
      series.drainInto(out);
      if (series === this.overflow) {
        for (let i = from; i < out.length; i++) this.overflowed += out[i]!.count;
      }
    }

    return out;
  }

  private untaggedSeries(gateway: string, endpoint: string): Series {
    let byEndpoint = this.untagged.get(gateway);
    if (byEndpoint === undefined) {
      byEndpoint = new Map();
      this.untagged.set(gateway, byEndpoint);
    }

    let series = byEndpoint.get(endpoint);
    if (series === undefined) {
      if (this.count >= this.maxSeries) return this.overflowSeries();
      series = new Series(this, gateway, endpoint, {});
      byEndpoint.set(endpoint, series);
      this.count++;
    }

    return series;
  }

  private overflowSeries(): Series {
    if (this.overflow === undefined) {
      this.overflow = new Series(this, OVERFLOW_NAME, OVERFLOW_NAME, {});
      this.onOverflow?.();
    }

    return this.overflow;
  }

  /**
   * Called by a series on its first call since the last drain, so that a drain visits only the
   * series with calls.
   *
   * @internal
   */
  markDirty(series: Series): void {
    this.dirty.push(series);
  }
}

// Sorted [key, value] pairs, or undefined for no tags, so tagless lookups stay string-free.
function sortTags(
  tags: Readonly<Record<string, string>> | undefined,
): [string, string][] | undefined {
  if (tags === undefined) return undefined;
  const entries = Object.entries(tags);
  if (entries.length === 0) return undefined;

  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function checkWhole(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(
      field,
      `${field} must be an integer from ${min} to ${max}; received ${String(value)}`,
    );
  }

  return value;
}
