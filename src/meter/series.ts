import type { Clock } from '../clock.js';
import type { RecordDraft } from '../protocol/types.js';
import { Bucket } from './bucket.js';
import { addSlotDuration, durationSlot } from './duration-sketch.js';

// Spare buckets a series keeps between drains; see Series.keepSpare.
const MAX_SPARES = 2;

/**
 * What a series needs from the meter that owns it. The meter implements it; tests may pass their
 * own.
 */
export interface SeriesOwner {
  /** When false, {@link Series.record} does nothing. */
  readonly isEnabled: boolean;
  /** The clock that turns a call's monotonic end into its wall-clock second. */
  readonly clock: Clock;
  /** Distinct error kinds per bucket; further kinds count under `"other"`. */
  readonly maxErrorKinds: number;
  /** Called on a series' first call since the last drain, so drains visit only busy series. */
  markDirty(series: Series): void;
}

/**
 * The calls of one gateway, endpoint and tag set, bucketed by wall-clock second. Get one from
 * `Meter.series()`; a wrapper resolves it once and then calls {@link record} per call.
 */
export class Series {
  /** The gateway, as given to `Meter.series()`. */
  readonly gateway: string;
  /** The endpoint, as given to `Meter.series()`. */
  readonly endpoint: string;
  /** The tags, with keys in sorted order; frozen. */
  readonly tags: Readonly<Record<string, string>>;
  private readonly owner: SeriesOwner;
  // The second calls are landing in now; undefined after a drain until the next call.
  private open: Bucket | undefined;
  // Seconds that ended since the last drain, oldest first, linked through Bucket.next: closing a
  // second allocates nothing.
  private firstClosed: Bucket | undefined;
  private lastClosed: Bucket | undefined;
  // Drained buckets, emptied, for the next seconds to start in; linked through Bucket.next.
  private spares: Bucket | undefined;
  private spareCount = 0;
  private isDirty = false;

  /**
   * Monotonic start and end of the call that {@link commit} records next. Fields rather than
   * arguments: where V8 does not inline a call, each double argument is boxed, one allocation
   * per call, while a double field of a long-lived object is written in place. Callers store
   * them right before `commit`, with no other code in between.
   *
   * @internal
   */
  callStartMs = NaN;
  /** See {@link callStartMs}. @internal */
  callEndMs = NaN;

  /**
   * @param owner - The meter the series belongs to.
   * @param gateway - The gateway name.
   * @param endpoint - The endpoint name.
   * @param tags - Tags with keys already sorted; the series keeps this object, frozen.
   */
  constructor(
    owner: SeriesOwner,
    gateway: string,
    endpoint: string,
    tags: Readonly<Record<string, string>>,
  ) {
    this.owner = owner;
    this.gateway = gateway;
    this.endpoint = endpoint;
    this.tags = Object.freeze(tags);
  }

  /**
   * Records one completed call. Does nothing while the owning meter is disabled.
   *
   * @param startMs - The clock's monotonic milliseconds when the call started.
   * @param endMs - The clock's monotonic milliseconds when the call ended; its wall-clock second
   *   is the bucket the call lands in.
   * @param failed - Whether the call threw or rejected.
   * @param error - What the call threw or rejected with, counted by kind in `error_kinds`. Leave
   *   the argument out to count the failure in `errors` only.
   */
  record(startMs: number, endMs: number, failed: boolean, error?: unknown): void {
    this.callStartMs = startMs;
    this.callEndMs = endMs;
    // arguments.length tells "no kind wanted" from a call that threw undefined.
    this.commit(failed, failed && arguments.length > 3, error);
  }

  /**
   * Records the call in {@link callStartMs} and {@link callEndMs}: {@link record} for wrappers,
   * with the choice of counting a failure by kind made by the caller.
   *
   * @internal
   */
  commit(failed: boolean, countKind: boolean, error: unknown): void {
    const owner = this.owner;
    if (!owner.isEnabled) return;

    const endMs = this.callEndMs;
    const wallMs = owner.clock.wallMsAt(endMs);
    let bucket = this.open;
    if (bucket === undefined || !bucket.covers(wallMs)) bucket = this.rotate(wallMs);

    durationSlot[0] = endMs - this.callStartMs;
    addSlotDuration(bucket.sketch);
    if (failed) {
      bucket.errors++;
      if (countKind) bucket.addKind(error, owner.maxErrorKinds);
    }
  }

  /**
   * Hands over every bucket with calls since the last drain, the open second included, and
   * forgets them, but for two kept emptied for later seconds. A later call in the same second
   * starts a new bucket: records are additive.
   *
   * @param out - The list to push the records onto.
   */
  drainInto(out: RecordDraft[]): void {
    const { gateway, endpoint, tags } = this;
    for (let bucket = this.firstClosed; bucket !== undefined; bucket = bucket.next) {
      out.push(bucket.toDraft(gateway, endpoint, tags));
    }
    if (this.open !== undefined) out.push(this.open.toDraft(gateway, endpoint, tags));

    // Only once every draft is made: keeping a bucket as a spare relinks it.
    let bucket = this.firstClosed;
    while (bucket !== undefined) {
      const next = bucket.next;
      this.keepSpare(bucket);
      bucket = next;
    }
    if (this.open !== undefined) this.keepSpare(this.open);
    this.firstClosed = undefined;
    this.lastClosed = undefined;
    this.open = undefined;
    this.isDirty = false;
  }

  /**
   * Lets the spare buckets go if the series had no call since the last drain, so that a series
   * busy once does not hold their memory for ever. The meter calls it on each drain for the
   * series drained the time before.
   *
   * @internal
   */
  releaseIdleSpares(): void {
    if (this.isDirty) return;

    this.spares = undefined;
    this.spareCount = 0;
  }

  // Two spares cover a busy series between drains a second apart: one for the rest of the
  // second the drain fell in, one for the next second.
  private keepSpare(bucket: Bucket): void {
    if (this.spareCount >= MAX_SPARES || !bucket.reset()) return;

    bucket.next = this.spares;
    this.spares = bucket;
    this.spareCount++;
  }

  // Off the per-call path: runs once per series per second, and on the first call after a drain.
  private rotate(wallMs: number): Bucket {
    const closing = this.open;
    if (closing !== undefined) {
      if (this.lastClosed === undefined) this.firstClosed = closing;
      else this.lastClosed.next = closing;
      this.lastClosed = closing;
    }

    const bucket = this.takeSpare(wallMs, closing);
    this.open = bucket;
    if (!this.isDirty) {
      this.isDirty = true;
      this.owner.markDirty(this);
    }

    return bucket;
  }

  // A spare if there is one; else a new bucket, its bins laid out as the closing one's.
  private takeSpare(wallMs: number, closing: Bucket | undefined): Bucket {
    const spare = this.spares;
    if (spare === undefined) return new Bucket(wallMs, closing);

    this.spares = spare.next;
    this.spareCount--;
    spare.next = undefined;
    spare.start(wallMs);

    return spare;
  }
}
