import { META, deletedKey } from './keys.js';

/** Why records left the log. More reasons come later; each gets its own meta counter. */
export type DeleteReason = 'sent' | 'retention';

/** Every {@link DeleteReason}, in the order `counts()` lists them. */
export const DELETE_REASONS: readonly DeleteReason[] = ['sent', 'retention'];

/** The part of a chained batch the counters write to. */
export interface MetaWriter {
  put(key: string, value: string): unknown;
}

/** The meta keys {@link LogCounters.fromMeta} expects, in the order of its `values`. */
export const COUNTER_KEYS: readonly string[] = [
  META.lastSeq,
  META.pending,
  META.stored,
  ...DELETE_REASONS.map(deletedKey),
];

/**
 * The log's counters, held in memory and mirrored in meta keys. Every change is staged into the
 * same chained batch as the records it describes and applied in memory only once that batch is
 * durable, so memory never runs ahead of disk and the counters stay exact across kill -9.
 */
export class LogCounters {
  private lastSeqValue: number;
  private pendingValue: number;
  private storedValue: number;
  private readonly deleted: Record<DeleteReason, number>;

  private constructor(values: readonly number[]) {
    const [lastSeq = 0, pending = 0, stored = 0, ...deleted] = values;

    this.lastSeqValue = lastSeq;
    this.pendingValue = pending;
    this.storedValue = stored;
    this.deleted = Object.fromEntries(
      DELETE_REASONS.map((reason, i) => [reason, deleted[i] ?? 0]),
    ) as Record<DeleteReason, number>;
  }

  /**
   * Builds the counters from the values of {@link COUNTER_KEYS}; a missing key counts as 0.
   *
   * @throws {RangeError} naming the key when a value is not a non-negative integer.
   */
  static fromMeta(values: readonly (string | undefined)[]): LogCounters {
    const numbers = COUNTER_KEYS.map((key, i) => parseCounter(key, values[i]));

    return new LogCounters(numbers);
  }

  /** The highest seq ever given, 0 before the first append. */
  get lastSeq(): number {
    return this.lastSeqValue;
  }

  /** Records in the log now. */
  get pending(): number {
    return this.pendingValue;
  }

  /** Records ever appended. */
  get stored(): number {
    return this.storedValue;
  }

  /** A copy of the records ever deleted, per reason. */
  deletedCounts(): Readonly<Record<DeleteReason, number>> {
    return Object.freeze({ ...this.deleted });
  }

  /**
   * Raises the last seq to at least `seq`, in memory only. Used at open when a record key is
   * found above the stored last seq, so that seq is never given again.
   */
  raiseLastSeq(seq: number): void {
    this.lastSeqValue = Math.max(this.lastSeqValue, seq);
  }

  /**
   * Puts the counters as they will be after appending `count` records into `batch`.
   *
   * @returns the change to apply in memory once the batch is written.
   */
  stageAppend(batch: MetaWriter, count: number): () => void {
    const lastSeq = this.lastSeqValue + count;
    const pending = this.pendingValue + count;
    const stored = this.storedValue + count;

    batch.put(META.lastSeq, String(lastSeq));
    batch.put(META.pending, String(pending));
    batch.put(META.stored, String(stored));

    return () => {
      this.lastSeqValue = lastSeq;
      this.pendingValue = pending;
      this.storedValue = stored;
    };
  }

  /**
   * Puts the counters as they will be after deleting `count` records for `reason` into `batch`.
   *
   * @returns the change to apply in memory once the batch is written.
   */
  stageDelete(batch: MetaWriter, count: number, reason: DeleteReason): () => void {
    const pending = this.pendingValue - count;
    const deleted = this.deleted[reason] + count;

    batch.put(META.pending, String(pending));
    batch.put(deletedKey(reason), String(deleted));

    return () => {
      this.pendingValue = pending;
      this.deleted[reason] = deleted;
    };
  }
}

function parseCounter(key: string, value: string | undefined): number {
  if (value === undefined) return 0;

  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0 || value.trim() === '') {
    throw new RangeError(`meta key ${key} holds ${JSON.stringify(value)}, not a counter`);
  }

  return n;
}
