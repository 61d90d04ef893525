import { META, deletedKey } from './keys.js';

/** Why `delete` or `sweep` removed records: acknowledged, too old, or over the size cap. */
export type DeleteReason = 'sent' | 'retention' | 'size';

/** Why records were moved to the quarantine: the collector refused them, or unreadable. */
export type QuarantineReason = 'rejected' | 'corrupt';

/** Why records left the pending range; each reason has its own meta counter. */
export type DropReason = DeleteReason | QuarantineReason;

/** Every {@link DeleteReason}. */
export const DELETE_REASONS: readonly DeleteReason[] = ['sent', 'retention', 'size'];

/** Every {@link QuarantineReason}. */
export const QUARANTINE_REASONS: readonly QuarantineReason[] = ['rejected', 'corrupt'];

/** Every {@link DropReason}, in the order `counts()` lists them. */
export const DROP_REASONS: readonly DropReason[] = [...DELETE_REASONS, ...QUARANTINE_REASONS];

/** The part of a chained batch the counters write to. */
export interface MetaWriter {
  put(key: string, value: string): unknown;
}

/** Every counter of the log, as kept in memory and in meta keys. */
export interface CounterValues {
  /** The highest seq ever given, 0 before the first append. */
  lastSeq: number;
  /** Records in the pending range now. */
  pending: number;
  /** Bytes of the pending records' values: pages, and records of layouts 1 to 3. */
  pendingBytes: number;
  /** Records ever given a seq. */
  stored: number;
  /** Entries in the quarantine now. */
  quarantined: number;
  /** Records ever dropped, per reason. */
  dropped: Record<DropReason, number>;
}

/** How one write batch changes the counters; a field left out stays as it is. */
export interface CounterChange {
  /**
   * Records given seqs: `stored` rises by `records`, and `lastSeq` to `lastSeq` unless it is
   * higher already (seqs prepared for an append whose write failed are never given again).
   */
  appended?: { records: number; lastSeq: number };
  /** Change in records pending (negative when records leave). */
  pending?: number;
  /** Change in bytes pending. */
  pendingBytes?: number;
  /** Change in quarantine entries. */
  quarantined?: number;
  /** Records dropped in this batch, per reason. */
  dropped?: Partial<Record<DropReason, number>>;
}

const SCALARS = ['lastSeq', 'pending', 'pendingBytes', 'stored', 'quarantined'] as const;

/** The meta keys {@link LogCounters.fromMeta} expects, in the order of its `values`. */
export const COUNTER_KEYS: readonly string[] = [
  ...SCALARS.map((name) => META[name]),
  ...DROP_REASONS.map(deletedKey),
];

/**
 * The log's counters, held in memory and mirrored in meta keys. Every change is staged into the
 * same chained batch as the records it describes and applied in memory only once that batch is
 * durable, so memory never runs ahead of disk and the counters stay exact across kill -9.
 */
export class LogCounters {
  private values: CounterValues;

  private constructor(values: CounterValues) {
    this.values = values;
  }

  /**
   * Builds the counters from the values of {@link COUNTER_KEYS}; a missing key counts as 0.
   *
   * @throws {RangeError} naming the key when a value is not a non-negative integer.
   */
  static fromMeta(values: readonly (string | undefined)[]): LogCounters {
    const n = COUNTER_KEYS.map((key, i) => parseCounter(key, values[i]));
    const [lastSeq = 0, pending = 0, pendingBytes = 0, stored = 0, quarantined = 0] = n;
    const dropped = Object.fromEntries(
      DROP_REASONS.map((reason, i) => [reason, n[SCALARS.length + i] ?? 0]),
    ) as Record<DropReason, number>;

    return new LogCounters({ lastSeq, pending, pendingBytes, stored, quarantined, dropped });
  }

  /** The highest seq ever given, 0 before the first append. */
  get lastSeq(): number {
    return this.values.lastSeq;
  }

  /** Records in the log now. */
  get pending(): number {
    return this.values.pending;
  }

  /** Bytes of the values under the record keys now: pages, and records of layouts 1 to 3. */
  get pendingBytes(): number {
    return this.values.pendingBytes;
  }

  /** Records ever appended. */
  get stored(): number {
    return this.values.stored;
  }

  /** Entries in the quarantine now. */
  get quarantined(): number {
    return this.values.quarantined;
  }

  /** A copy of every counter. */
  snapshot(): CounterValues {
    return { ...this.values, dropped: { ...this.values.dropped } };
  }

  /** A frozen copy of the records ever dropped, per reason. */
  droppedCounts(): Readonly<Record<DropReason, number>> {
    return Object.freeze({ ...this.values.dropped });
  }

  /**
   * Raises the last seq to at least `seq`, in memory only. Used at open when a record key is
   * found above the stored last seq, so that seq is never given again.
   */
  raiseLastSeq(seq: number): void {
    this.values.lastSeq = Math.max(this.values.lastSeq, seq);
  }

  /**
   * Puts the counters `change` touches, as they will be after it, into `batch`. Counts of
   * things present never go below 0: a record a foreign writer put under a record key is not
   * counted, and removing it must not leave a negative counter that the next open refuses.
   *
   * @returns the change to apply in memory once the batch is written.
   */
  stage(batch: MetaWriter, change: CounterChange): () => void {
    const next = this.snapshot();
    if (change.appended !== undefined) {
      next.lastSeq = Math.max(next.lastSeq, change.appended.lastSeq);
      next.stored += change.appended.records;
    }
    next.pending = Math.max(0, next.pending + (change.pending ?? 0));
    next.pendingBytes = Math.max(0, next.pendingBytes + (change.pendingBytes ?? 0));
    next.quarantined = Math.max(0, next.quarantined + (change.quarantined ?? 0));
    for (const [reason, count] of Object.entries(change.dropped ?? {})) {
      next.dropped[reason as DropReason] += count;
    }

    putValues(batch, next, touchedKeys(change));

    return () => {
      this.values = next;
    };
  }

  /**
   * Puts every counter, set to `values`, into `batch`: used when a recount at open replaces
   * what the meta keys said.
   *
   * @returns the change to apply in memory once the batch is written.
   */
  stageReset(batch: MetaWriter, values: CounterValues): () => void {
    const next: CounterValues = { ...values, dropped: { ...values.dropped } };
    putValues(batch, next, new Set(COUNTER_KEYS));

    return () => {
      this.values = next;
    };
  }
}

function touchedKeys(change: CounterChange): Set<string> {
  const keys = new Set<string>();
  if (change.appended !== undefined) keys.add(META.lastSeq).add(META.stored);
  if (change.pending !== undefined) keys.add(META.pending);
  if (change.pendingBytes !== undefined) keys.add(META.pendingBytes);
  if (change.quarantined !== undefined) keys.add(META.quarantined);
  for (const reason of Object.keys(change.dropped ?? {})) keys.add(deletedKey(reason));

  return keys;
}

function putValues(batch: MetaWriter, values: CounterValues, keys: ReadonlySet<string>): void {
  for (const name of SCALARS) {
    if (keys.has(META[name])) batch.put(META[name], String(values[name]));
  }
  for (const reason of DROP_REASONS) {
    const key = deletedKey(reason);
    if (keys.has(key)) batch.put(key, String(values.dropped[reason]));
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
