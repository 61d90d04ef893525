import { systemClock } from '../clock.js';
import type { MetricRecord, RecordDraft } from '../protocol/types.js';
import { StoreAccess, bytesOf, type Entry, type RangeStart } from './access.js';
import { DEFAULT_MAX_BYTES, newestThatFit, oldestToFree, type Eviction } from './capacity.js';
import { decodeEntry, encodeEntry } from './codec.js';
import type { CounterChange, DeleteReason, LogCounters, QuarantineReason } from './counters.js';
import { QUARANTINE_RANGE, RECORD_RANGE, recordKey, seqOfKey } from './keys.js';
import { LogTime } from './log-time.js';
import {
  DEFAULT_MAX_QUARANTINED,
  decodeQuarantine,
  stageMoves,
  type QuarantineMove,
  type QuarantinedRecord,
} from './quarantine.js';
import type { LogBatch, LogDatabase } from './storage.js';

/**
 * Records a sweep step examines. A step holds the write chain while it reads and deletes, so this
 * bounds how long an append waits behind a sweep (a few milliseconds) and the size of each
 * atomic delete batch.
 */
export const SWEEP_STEP_RECORDS = 1000;

/** Limits and time of a {@link RecordStore}; every field has a default. */
export interface RecordStoreOptions {
  /** Pending record bytes kept at most. @default DEFAULT_MAX_BYTES */
  maxBytes?: number;
  /** Quarantine entries kept at most. @default DEFAULT_MAX_QUARANTINED */
  maxQuarantined?: number;
  /** The time records are stored at. @default log time on the system clock */
  time?: LogTime;
  /** Told when LevelDB reports corruption during a read or write. */
  onCorruption?: (error: unknown) => void;
}

/** An entry to move to the quarantine, and why. */
export interface QuarantineItem {
  key: string;
  detail: string;
}

/** What an append stored, and how many records it dropped to stay under the size cap. */
export interface AppendResult {
  records: MetricRecord[];
  droppedForSize: number;
}

/** One page of a read: the records that decode, and the entries that do not. */
export interface ReadPage {
  records: MetricRecord[];
  corrupt: QuarantineItem[];
  /** The seq of the last entry read; undefined when the page is empty. */
  lastSeq: number | undefined;
  /** Whether the page ended because the records did. */
  exhausted: boolean;
}

/** Where a sweep step stopped. */
export interface SweepStep {
  /** Records the step deleted for retention. */
  deleted: number;
  /** Unreadable records the step moved to the quarantine. */
  corrupt: number;
  /** The last key examined; undefined once no record is left to examine. */
  lastKey: string | undefined;
}

/**
 * The records, the quarantine and their counters in LevelDB. Each write is one atomic batch,
 * synced before it resolves, that holds the records and the counters describing them. The caller
 * must run writes one at a time (see `OperationGate`): each stages its counters from the values
 * the previous one left, and reads what it will delete inside the same turn.
 */
export class RecordStore {
  readonly location: string;
  readonly counters: LogCounters;
  /**
   * The key every record key is at or above: the oldest key some read found. Seqs only grow,
   * so no record appears below it later. Reads seek here instead of to the start of the range,
   * because LevelDB keeps deleted keys as tombstones until compaction, and a log drained from
   * the front would otherwise step over every tombstone of the sent records on each read.
   */
  private floorKey: string = RECORD_RANGE.gte;
  private readonly access: StoreAccess;
  private readonly maxBytes: number;
  private readonly maxQuarantined: number;
  private readonly time: LogTime;

  /**
   * @param location the directory of `db`, for error messages.
   * @param db an open database, which the store closes in {@link close}.
   * @param counters the counters as loaded from `db`'s meta keys.
   */
  constructor(
    location: string,
    db: LogDatabase,
    counters: LogCounters,
    options: RecordStoreOptions = {},
  ) {
    this.location = location;
    this.counters = counters;
    this.access = new StoreAccess(location, db, counters, options.onCorruption);
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.maxQuarantined = options.maxQuarantined ?? DEFAULT_MAX_QUARANTINED;
    this.time = options.time ?? new LogTime(systemClock);
  }

  /**
   * Stores `drafts` under the next seqs in one synced batch. When the pending bytes would pass
   * the cap, the same batch deletes the oldest records (and, for an append bigger than the whole
   * cap, its own oldest drafts) for `size`: the log never holds more than the cap, not even
   * between two writes.
   */
  async append(drafts: readonly RecordDraft[]): Promise<AppendResult> {
    if (drafts.length === 0) return { records: [], droppedForSize: 0 };

    const firstSeq = this.counters.lastSeq + 1;
    const storedAtMs = this.time.nowMs();
    // Encode before touching LevelDB: a draft that JSON cannot hold then fails with its own
    // TypeError rather than as a storage error, and no batch is left open.
    const entries = drafts.map((draft, i) => encodeEntry(firstSeq + i, draft, storedAtMs));
    const { dropped: tooBig, keptBytes } = newestThatFit(entries, this.maxBytes);
    const kept = entries.slice(tooBig);
    let evicted: Eviction = { keys: [], bytes: 0 };

    await this.access.commit('cannot append', async (batch) => {
      const needBytes = this.counters.pendingBytes + keptBytes - this.maxBytes;
      if (needBytes > 0) evicted = await oldestToFree(this.access.db, this.floorKey, needBytes);
      for (const key of evicted.keys) batch.del(key);
      for (const { key, value } of kept) batch.put(key, value);
      const dropped = evicted.keys.length + tooBig;

      // Every draft takes a seq, kept or not, and the last seq goes in this batch: a seq is
      // never handed out twice, even across restarts.
      return {
        appended: entries.length,
        pending: kept.length - evicted.keys.length,
        pendingBytes: keptBytes - evicted.bytes,
        ...(dropped > 0 ? { dropped: { size: dropped } } : {}),
      };
    });

    const droppedForSize = evicted.keys.length + tooBig;

    return { records: kept.map(({ record }) => record), droppedForSize };
  }

  /** Reads up to `limit` entries with seq above `afterSeq` (0: from the oldest), lowest first. */
  async readPage(limit: number, afterSeq = 0): Promise<ReadPage> {
    const afterKey = afterSeq > 0 ? recordKey(afterSeq) : undefined;
    const fromFloor = afterKey === undefined || afterKey < this.floorKey;
    const entries = await this.access.readRecords(
      fromFloor ? { gte: this.floorKey } : { gt: afterKey },
      limit,
    );
    if (fromFloor) this.raiseFloor(entries[0]?.key);

    const page: ReadPage = { records: [], corrupt: [], lastSeq: undefined, exhausted: false };
    for (const { key, value } of entries) {
      const decoded = decodeEntry(key, value);
      if (decoded.ok) page.records.push(decoded.record);
      else page.corrupt.push({ key, detail: decoded.problem });
    }
    const lastKey = entries.at(-1)?.key;
    page.lastSeq = lastKey === undefined ? undefined : seqOfKey(lastKey);
    page.exhausted = entries.length < limit;

    return page;
  }

  /** Deletes those of `keys` that exist, in one synced batch; returns how many it deleted. */
  async deletePresent(keys: readonly string[], reason: DeleteReason): Promise<number> {
    if (keys.length === 0) return 0;

    // A sweep and a send may both delete one record; only keys still present may count, or the
    // pending counter would drift below the records actually stored.
    const present = await this.access.present(keys);
    await this.access.commit('cannot delete', async (batch) =>
      stageDeletes(batch, present, reason),
    );

    return present.length;
  }

  /**
   * Moves those of `items` that exist to the quarantine in one synced batch, with the counters
   * and any eviction that keeps the quarantine under its cap; returns how many it moved.
   */
  async quarantine(items: readonly QuarantineItem[], reason: QuarantineReason): Promise<number> {
    if (items.length === 0) return 0;

    const details = new Map(items.map(({ key, detail }) => [key, detail]));
    const present = await this.access.present([...details.keys()]);
    const moves = present.map((entry) => ({ ...entry, detail: details.get(entry.key) ?? '' }));
    await this.access.commit('cannot quarantine', (batch) => this.stageMoves(batch, moves, reason));

    return moves.length;
  }

  /** Reads up to `limit` quarantine entries, lowest seq first. */
  async readQuarantine(limit: number): Promise<QuarantinedRecord[]> {
    const entries = await this.access.storage('cannot read the quarantine', () =>
      this.access.db.iterator({ ...QUARANTINE_RANGE, limit }).all(),
    );

    return entries.map(([key, value]) => decodeQuarantine(key, value));
  }

  /**
   * Examines up to {@link SWEEP_STEP_RECORDS} records after `afterKey`, deletes those stored
   * before `cutoffMs` (log time) and quarantines the unreadable ones, in one batch. Run inside
   * the write chain, every key it reads still exists when it writes, so no look-up is needed.
   */
  async sweepStep(afterKey: string | undefined, cutoffMs: number): Promise<SweepStep> {
    const start: RangeStart = afterKey === undefined ? { gte: this.floorKey } : { gt: afterKey };
    const entries = await this.access.readRecords(start, SWEEP_STEP_RECORDS);
    if (afterKey === undefined) this.raiseFloor(entries[0]?.key);

    const expired: Entry[] = [];
    const corrupt: QuarantineMove[] = [];
    for (const entry of entries) {
      const decoded = decodeEntry(entry.key, entry.value);
      if (!decoded.ok) corrupt.push({ ...entry, detail: decoded.problem });
      else if (decoded.storedAtMs < cutoffMs) expired.push(entry);
    }
    await this.access.commit('cannot sweep', async (batch) =>
      combine(
        stageDeletes(batch, expired, 'retention'),
        await this.stageMoves(batch, corrupt, 'corrupt'),
      ),
    );

    const lastKey = entries.length < SWEEP_STEP_RECORDS ? undefined : entries.at(-1)?.key;

    return { deleted: expired.length, corrupt: corrupt.length, lastKey };
  }

  /** Closes the database. */
  async close(): Promise<void> {
    await this.access.storage('cannot close', () => this.access.db.close());
  }

  /**
   * Raises the floor to `key`, the first key a read from the floor found. Reads may finish out of
   * order; each one's first key is a valid floor, so keeping the highest is safe.
   */
  private raiseFloor(key: string | undefined): void {
    if (key !== undefined && key > this.floorKey) this.floorKey = key;
  }

  private stageMoves(
    batch: LogBatch,
    moves: readonly QuarantineMove[],
    reason: QuarantineReason,
  ): Promise<CounterChange> {
    const limits = { max: this.maxQuarantined, atMs: this.time.nowMs() };

    return stageMoves(this.access, batch, moves, reason, limits);
  }
}

/** Stages deleting entries known to exist, for `reason`. */
function stageDeletes(
  batch: LogBatch,
  entries: readonly Entry[],
  reason: DeleteReason,
): CounterChange {
  if (entries.length === 0) return {};

  for (const { key } of entries) batch.del(key);
  const dropped = { [reason]: entries.length };

  return { pending: -entries.length, pendingBytes: -bytesOf(entries), dropped };
}

/** Adds two counter changes made for one batch. */
function combine(a: CounterChange, b: CounterChange): CounterChange {
  const sum = (x?: number, y?: number): number | undefined =>
    x === undefined && y === undefined ? undefined : (x ?? 0) + (y ?? 0);

  return {
    pending: sum(a.pending, b.pending),
    pendingBytes: sum(a.pendingBytes, b.pendingBytes),
    quarantined: sum(a.quarantined, b.quarantined),
    dropped: { ...a.dropped, ...b.dropped },
  };
}
