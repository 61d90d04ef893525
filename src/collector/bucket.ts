import type { MetricRecord } from '../protocol/types.js';
import { decodeSketch, encodeSketch, newSketch, type DDSketch } from '../protocol/sketch.js';

/** Most distinct error kinds kept per bucket; the rest are counted under {@link OTHER_KIND}. */
export const MAX_ERROR_KINDS = 32;

/** Longest error kind kept, in characters; longer ones are cut to this length. */
export const MAX_ERROR_KIND_LENGTH = 200;

/** The error kind that collects kinds past {@link MAX_ERROR_KINDS}. */
export const OTHER_KIND = 'other';

/** The error kind of a failed per-call metric whose `error` is null or empty. */
export const UNKNOWN_KIND = 'unknown';

/** A bucket as stored in LevelDB (JSON). */
export interface StoredBucket {
  count: number;
  errors: number;
  sumMs: number;
  /** Null while no call has been counted. */
  minMs: number | null;
  maxMs: number | null;
  /** Base64 protobuf of the latency sketch. */
  sketch: string;
  errorKinds: Record<string, number>;
}

/**
 * One series' figures for one second, being summed. Every way in adds: records of this
 * agent, single calls of the per-call agents and buckets already stored.
 */
export class Bucket {
  count = 0;
  errors = 0;
  sumMs = 0;
  minMs = Infinity;
  maxMs = -Infinity;
  readonly sketch: DDSketch;
  readonly errorKinds = new Map<string, number>();

  constructor(sketch: DDSketch = newSketch()) {
    this.sketch = sketch;
  }

  /** Rebuilds a bucket from its stored form. Throws when the stored sketch is unreadable. */
  static fromStored(stored: StoredBucket): Bucket {
    const bucket = new Bucket(decodeSketch(stored.sketch));
    bucket.count = stored.count;
    bucket.errors = stored.errors;
    bucket.sumMs = stored.sumMs;
    bucket.minMs = stored.minMs ?? Infinity;
    bucket.maxMs = stored.maxMs ?? -Infinity;
    for (const [kind, n] of Object.entries(stored.errorKinds)) {
      bucket.addErrorKind(kind, n);
    }

    return bucket;
  }

  /** Adds one record of this agent, whose sketch the caller has decoded already. */
  addRecord(record: MetricRecord, sketch: DDSketch): void {
    this.count += record.count;
    this.errors += record.errors;
    this.sumMs += record.duration_sum_ms;
    if (record.count > 0) {
      this.minMs = Math.min(this.minMs, record.duration_min_ms);
      this.maxMs = Math.max(this.maxMs, record.duration_max_ms);
    }
    this.sketch.merge(sketch);
    for (const [kind, n] of Object.entries(record.error_kinds)) {
      this.addErrorKind(kind, n);
    }
  }

  /**
   * Adds one call of a per-call agent.
   *
   * @param durationMs - the call's duration
   * @param failure - undefined for a call that succeeded; else its error text, or null
   */
  addCall(durationMs: number, failure?: string | null): void {
    this.count += 1;
    this.sumMs += durationMs;
    this.minMs = Math.min(this.minMs, durationMs);
    this.maxMs = Math.max(this.maxMs, durationMs);
    this.sketch.accept(durationMs);
    if (failure !== undefined) {
      this.errors += 1;
      this.addErrorKind(failure || UNKNOWN_KIND, 1);
    }
  }

  /** Adds every figure of another bucket to this one. */
  merge(other: Bucket): void {
    this.count += other.count;
    this.errors += other.errors;
    this.sumMs += other.sumMs;
    this.minMs = Math.min(this.minMs, other.minMs);
    this.maxMs = Math.max(this.maxMs, other.maxMs);
    this.sketch.merge(other.sketch);
    for (const [kind, n] of other.errorKinds) {
      this.addErrorKind(kind, n);
    }
  }

  /** Counts `n` failures of one kind, bounding the number and length of kinds kept. */
  addErrorKind(kind: string, n: number): void {
    if (n <= 0) {
      return;
    }
    let key = kind.length > MAX_ERROR_KIND_LENGTH ? kind.slice(0, MAX_ERROR_KIND_LENGTH) : kind;
    if (!this.errorKinds.has(key) && this.errorKinds.size >= MAX_ERROR_KINDS) {
      key = OTHER_KIND;
    }

    this.errorKinds.set(key, (this.errorKinds.get(key) ?? 0) + n);
  }

  /** The bucket's stored form. */
  toStored(): StoredBucket {
    const hasCalls = Number.isFinite(this.minMs);

    return {
      count: this.count,
      errors: this.errors,
      sumMs: this.sumMs,
      minMs: hasCalls ? this.minMs : null,
      maxMs: hasCalls ? this.maxMs : null,
      sketch: encodeSketch(this.sketch),
      errorKinds: Object.fromEntries(this.errorKinds),
    };
  }
}

/** The bucket under `key` in `buckets`, added empty when there is none yet. */
export function bucketIn(buckets: Map<string, Bucket>, key: string): Bucket {
  let bucket = buckets.get(key);
  if (bucket === undefined) {
    bucket = new Bucket();
    buckets.set(key, bucket);
  }

  return bucket;
}
