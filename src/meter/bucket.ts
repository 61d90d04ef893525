import { newSketch, type DDSketch } from '../protocol/sketch.js';
import type { RecordDraft } from '../protocol/types.js';
import { addDuration } from './duration-sketch.js';
import { encodeDurations, newSketchLike, resetSketch } from './sketch-reuse.js';
import { errorKindOf, OTHER_ERROR_KIND } from './error-kind.js';

/** The length of a bucket: one wall-clock second. */
export const BUCKET_MS = 1000;

/**
 * One series' calls within one wall-clock second. The sketch keeps the count, sum, min and max
 * of durations, so the bucket adds only what a sketch cannot: failures and their kinds. Once
 * drained, a bucket may be {@link reset} and {@link start}ed on a later second.
 */
export class Bucket {
  // Why this exists: V8 holds the hidden classes (maps) that objects reach by adding properties
  // only while some object still uses them. Buckets are reused, but a series idle through a drain
  // lets its spare buckets go, so an idle meter may hold none: the next bucket and its sketch
  // would get fresh maps, and all optimized code that embedded the old ones would be thrown away.
  // This bucket lives as long as the process, with each field in the representation a busy
  // bucket reaches, so the maps stay and the hot path stays compiled.
  private static readonly mapKeeper: Bucket = Bucket.primed();

  /** Epoch milliseconds of the start of the second. */
  t = 0;
  /** Epoch milliseconds of the start of the next second; calls from then on go elsewhere. */
  endMs = 0;
  /** Durations of the calls in milliseconds. */
  readonly sketch: DDSketch;
  /** Calls that threw or rejected. */
  errors = 0;
  /**
   * The next bucket in its series' list of closed seconds or of spares; a bucket is in one list
   * at most.
   *
   * @internal
   */
  next: Bucket | undefined = undefined;
  // Made on the first failure that has a kind, so buckets of healthy series stay small.
  private kinds: Map<string, number> | undefined;

  /**
   * @param wallMs - Any epoch millisecond inside the second the bucket covers.
   * @param like - A bucket of the same series, whose bin layout the new sketch starts with, so
   *   that it need not grow its bins again to the span the series' durations take.
   */
  constructor(wallMs: number, like?: Bucket) {
    this.sketch = like === undefined ? newSketch() : newSketchLike(like.sketch);
    this.start(wallMs);
  }

  /**
   * Moves an empty bucket to the second that holds `wallMs` (epoch milliseconds).
   *
   * @param wallMs - Any epoch millisecond inside the second the bucket is to cover.
   */
  start(wallMs: number): void {
    this.t = Math.floor(wallMs / BUCKET_MS) * BUCKET_MS;
    this.endMs = this.t + BUCKET_MS;
  }

  /**
   * Empties the bucket once its draft is made, so that it counts a later second as a new bucket
   * would, once {@link start}ed there.
   *
   * @returns False, with the bucket left as it was, when it is not to be reused: its sketch grew
   *   too large to keep (see `resetSketch`).
   */
  reset(): boolean {
    if (!resetSketch(this.sketch)) return false;

    this.errors = 0;
    this.kinds?.clear();

    return true;
  }

  /** Tells whether a call that ended at `wallMs` (epoch milliseconds) falls in this bucket. */
  covers(wallMs: number): boolean {
    return wallMs >= this.t && wallMs < this.endMs;
  }

  /**
   * Counts one failure under its kind, or under `"other"` once `maxKinds` distinct kinds are
   * held. The failure itself is counted in {@link errors} by the caller.
   */
  addKind(error: unknown, maxKinds: number): void {
    const kinds = (this.kinds ??= new Map());
    const key = errorKindOf(error);
    const seen = kinds.get(key);
    if (seen !== undefined) {
      kinds.set(key, seen + 1);
      return;
    }

    // "other" itself is not one of the bounded kinds, so a full bucket holds maxKinds + 1 keys.
    const bounded = kinds.has(OTHER_ERROR_KIND) ? kinds.size - 1 : kinds.size;
    const target = bounded < maxKinds ? key : OTHER_ERROR_KIND;
    kinds.set(target, (kinds.get(target) ?? 0) + 1);
  }

  /**
   * Makes the record of this bucket.
   *
   * @param gateway - The series' gateway.
   * @param endpoint - The series' endpoint.
   * @param tags - The series' tags; copied, so the caller may keep its object.
   */
  toDraft(gateway: string, endpoint: string, tags: Readonly<Record<string, string>>): RecordDraft {
    const { sketch } = this;
    const draft: RecordDraft = {
      t: this.t,
      gateway,
      endpoint,
      tags: { ...tags },
      count: sketch.count,
      errors: this.errors,
      duration_sum_ms: sketch.sum,
      duration_min_ms: sketch.min,
      duration_max_ms: sketch.max,
      sketch: '',
      error_kinds: this.kinds === undefined ? {} : Object.fromEntries(this.kinds),
    };
    // Attaches the bins too, which the write-ahead log stores instead of the text.
    draft.sketch = encodeDurations(draft, sketch);

    return draft;
  }

  private static primed(): Bucket {
    const bucket = new Bucket(1_000_000_000_000.5);
    addDuration(bucket.sketch, 0.5);
    addDuration(bucket.sketch, 0);
    bucket.errors++;
    bucket.addKind(new Error('primed'), 1);

    return bucket;
  }
}
