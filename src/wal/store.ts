import { systemClock } from '../clock.js';
import type { MetricRecord, RecordDraft } from '../protocol/types.js';
import { StoreAccess, putPage, type PageEntry, type RangeStart } from './access.js';
import { DEFAULT_MAX_BYTES, bytesOfPages, newestThatFit, oldestToFree } from './capacity.js';
import type { CounterChange, DeleteReason, LogCounters, QuarantineReason } from './counters.js';
import { QUARANTINE_RANGE, RECORD_RANGE, recordKey, recordSeqOf } from './keys.js';
import { LogTime } from './log-time.js';
import { encodePages, type EncodedPage } from './page.js';
import {
  DEFAULT_MAX_QUARANTINED,
  decodeQuarantine,
  stageMoves,
  type QuarantineMove,
  type QuarantinedRecord,
} from './quarantine.js';
import { Removal, indexesOf } from './removal.js';
import { storageError, type LogBatch, type LogDatabase } from './storage.js';

/**
 * Records a sweep step examines, in whole pages. A step holds the write chain while it reads and
 * deletes, so this bounds how long an append waits behind a sweep (a few milliseconds) and the
 * size of each atomic delete batch.
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

/**
 * A record, or a page that cannot be read at all, to move to the quarantine, and why. `pageKey`
 * is set for such a page: then `seq` is its key's, or 0 for a key that is not a record key
 * (such an entry is deleted and counted, with no quarantine entry: those are keyed by seq).
 */
export interface QuarantineItem {
  seq: number;
  detail: string;
  pageKey?: string;
}

/**
 * An append encoded under the seqs handed to it, waiting for its write turn. It holds all it
 * needs from the drafts, taken at the call: a caller may reuse its array or its drafts as soon
 * as `append` returns, and what is stored is what the call was given.
 */
export interface PreparedAppend {
  /** Drafts given, each of which took a seq. */
  readonly count: number;
  readonly firstSeq: number;
  /** Its pages: of every draft, or of the newest that fit the cap on their own. */
  readonly pages: readonly EncodedPage[];
  /** The oldest drafts left out because the append alone is bigger than the cap. */
  readonly tooBig: number;
  /** The records the pages hold, as `append` resolves with them. */
  readonly records: MetricRecord[];
}

/** What an append stored, and how many records it dropped to stay under the size cap. */
export interface AppendResult {
  records: MetricRecord[];
  droppedForSize: number;
}

/** What a read found: the records that decode, and the ones that do not. */
export interface ReadPage {
  records: MetricRecord[];
  corrupt: QuarantineItem[];
  /** The seq of the last record read, readable or not; undefined when none was. */
  lastSeq: number | undefined;
  /** Whether the read ended because the records did. */
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
 * The records, in pages, the quarantine and their counters in LevelDB. Each write is one atomic
 * batch, synced before it resolves, that holds the pages and the counters describing them. The
 * caller must run writes one at a time (see `OperationGate`): each stages its counters from the
 * values the previous one left, and reads the pages it changes inside the same turn.
 */
export class RecordStore {
  readonly location: string;
  readonly counters: LogCounters;
  /**
   * The key every record key is at or above: the oldest key some read found. Page keys only
   * grow and never change, so no page appears below it later. Reads seek here instead of to the
   * start of the range, because LevelDB keeps deleted keys as tombstones until compaction, and a
   * log drained from the front would otherwise step over every tombstone on each read.
   */
  private floorKey: string = RECORD_RANGE.gte;
  /** The highest seq handed to an append, written or still waiting for its turn. */
  private handedOut = 0;
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
   * Encodes `drafts` as pages under the next seqs, which are theirs from now on, whether or not
   * the write succeeds: a seq is never handed out twice. Needs no write turn, so that an append
   * encodes while the write before it syncs on LevelDB's thread.
   *
   * @throws {TypeError} when a draft cannot be encoded; then no seq is handed out.
   * @throws {TpsError} `ERR_TPS_STORAGE` when the seqs would pass 2^53 - 1.
   */
  prepareAppend(drafts: readonly RecordDraft[]): PreparedAppend {
    const count = drafts.length;
    const firstSeq = Math.max(this.handedOut, this.counters.lastSeq) + 1;
    // Past 2^53 - 1 a seq would not be exact. Reached only through a foreign or damaged
    // m!last-seq or record key: 2^53 seqs last centuries at a million records a second. The
    // check subtracts, since near 2^53 a sum would round.
    if (count > Number.MAX_SAFE_INTEGER - firstSeq + 1) {
      const detail = `no seq left for ${count} records after ${firstSeq - 1}`;
      throw storageError(this.location, `cannot append: ${detail}`, null);
    }
    const storedAtMs = this.time.nowMs();
    const all = encodePages(firstSeq, drafts, storedAtMs);
    const { pages, dropped } = newestThatFit(all, { drafts, firstSeq, storedAtMs }, this.maxBytes);
    this.handedOut = Math.max(this.handedOut, firstSeq + count - 1);
    const records: MetricRecord[] = [];
    for (let i = dropped; i < count; i++)
      records.push(withSeq(drafts[i] as RecordDraft, firstSeq + i));

    return { count, firstSeq, pages, tooBig: dropped, records };
  }

  /**
   * Stores an append, prepared by {@link prepareAppend} or given as drafts to prepare now, in one
   * synced batch. When the pending bytes would pass the cap, the same batch deletes the oldest
   * records (and, for an append bigger than the whole cap, its own oldest drafts) for `size`:
   * the log never holds more than the cap, not even between two writes.
   */
  async append(append: PreparedAppend | readonly RecordDraft[]): Promise<AppendResult> {
    const prepared = isPrepared(append) ? append : this.prepareAppend(append);
    const { count, firstSeq, pages, tooBig, records } = prepared;
    if (count === 0) return { records: [], droppedForSize: 0 };
    // Only an open raises the last seq by other means than appends, and an open comes before
    // any append: prepared seqs at or below it would collide.
    if (firstSeq <= this.counters.lastSeq) {
      throw new Error(
        `seqs from ${firstSeq} prepared at or below last seq ${this.counters.lastSeq}`,
      );
    }

    const keptBytes = bytesOfPages(pages);
    let evicted = new Removal();

    await this.access.commit('cannot append', async (batch) => {
      const needBytes = this.counters.pendingBytes + keptBytes - this.maxBytes;
      if (needBytes > 0) evicted = await oldestToFree(this.access, this.floorKey, needBytes);
      const eviction = evicted.stage(batch, undefined);
      for (const { key, value } of pages) putPage(batch, key, value);
      const dropped = evicted.records + tooBig;

      // Every draft takes a seq, kept or not, and the last seq goes in this batch: a seq is
      // never handed out twice, even across restarts.
      return {
        appended: { records: count, lastSeq: firstSeq + count - 1 },
        pending: count - tooBig + (eviction.pending ?? 0),
        pendingBytes: keptBytes + (eviction.pendingBytes ?? 0),
        ...(dropped > 0 ? { dropped: { size: dropped } } : {}),
      };
    });

    return { records, droppedForSize: evicted.records + tooBig };
  }

  /**
   * Reads up to `limit` readable records with seq above `afterSeq` (0: from the oldest), lowest
   * first, and lists the unreadable ones it passes on the way.
   */
  async readPage(limit: number, afterSeq = 0): Promise<ReadPage> {
    const fromFloor = afterSeq === 0 || recordKey(afterSeq) < this.floorKey;
    let start: RangeStart = {
      gte: fromFloor ? this.floorKey : await this.keyHolding(afterSeq + 1),
    };
    const read: ReadPage = { records: [], corrupt: [], lastSeq: undefined, exhausted: false };

    // Pages are read by the records they hold, but those at or below afterSeq and those that do
    // not decode fill no part of the limit: read on until it is filled or the pages end.
    for (let isFirst = true; ; isFirst = false) {
      const { pages, exhausted } = await this.access.readPages(start, limit - read.records.length);
      if (fromFloor && isFirst) this.raiseFloor(pages[0]?.key);
      for (const page of pages) {
        if (read.records.length >= limit) return read;
        collect(page, afterSeq, limit, read);
      }

      const lastKey = pages.at(-1)?.key;
      if (read.records.length >= limit) return read;
      if (exhausted || lastKey === undefined) return { ...read, exhausted: true };
      start = { gt: lastKey };
    }
  }

  /** Deletes the records of `seqs` that exist, in one synced batch; returns how many it deleted. */
  async deletePresent(seqs: readonly number[], reason: DeleteReason): Promise<number> {
    if (seqs.length === 0) return 0;

    // A sweep and a send may both delete one record; only records still present may count, or
    // the pending counter would drift below the records actually stored.
    const wanted = new Set(seqs);
    const removal = new Removal();
    for (const page of await this.pagesHolding(seqs)) {
      if (page.isReadable) removal.removeRecords(page, indexesOf(page, wanted));
    }
    await this.access.commit('cannot delete', async (batch) => removal.stage(batch, reason));

    return removal.records;
  }

  /**
   * Moves those of `items` that exist to the quarantine in one synced batch, with the counters
   * and any eviction that keeps the quarantine under its cap; returns how many records it moved.
   */
  async quarantine(items: readonly QuarantineItem[], reason: QuarantineReason): Promise<number> {
    if (items.length === 0) return 0;

    const removal = new Removal();
    const moves: QuarantineMove[] = [];
    await this.planRecordMoves(items, removal, moves);
    await this.planPageMoves(items, removal, moves);
    await this.access.commit('cannot quarantine', async (batch) =>
      combine(removal.stage(batch, reason), await this.stageMoves(batch, moves, reason)),
    );

    return removal.records;
  }

  /** Reads up to `limit` quarantine entries, lowest seq first. */
  async readQuarantine(limit: number): Promise<QuarantinedRecord[]> {
    const entries = await this.access.storage('cannot read the quarantine', () =>
      this.access.db.iterator({ ...QUARANTINE_RANGE, limit }).all(),
    );

    return entries.map(([key, value]) => decodeQuarantine(key, value));
  }

  /**
   * Examines the pages holding the next {@link SWEEP_STEP_RECORDS} records after `afterKey`,
   * deletes those stored before `cutoffMs` (log time) and quarantines the ones that cannot be
   * read, in one batch. Run inside the write chain, every page it reads is still as read when it
   * writes. Only pages are read, not their records: a page's records share its storage time.
   */
  async sweepStep(afterKey: string | undefined, cutoffMs: number): Promise<SweepStep> {
    const start: RangeStart = afterKey === undefined ? { gte: this.floorKey } : { gt: afterKey };
    const { pages, exhausted } = await this.access.readPages(start, SWEEP_STEP_RECORDS);
    if (afterKey === undefined) this.raiseFloor(pages[0]?.key);

    const expired = new Removal();
    const unreadable = new Removal();
    const moves: QuarantineMove[] = [];
    for (const page of pages) {
      if (page.isReadable) {
        if (page.storedAtMs < cutoffMs) expired.removeEntry(page);
        continue;
      }
      unreadable.removeEntry(page);
      const seq = recordSeqOf(page.key);
      if (seq !== undefined) moves.push({ seq, text: page.text, detail: page.problem });
    }
    await this.access.commit('cannot sweep', async (batch) =>
      combine(
        expired.stage(batch, 'retention'),
        unreadable.stage(batch, 'corrupt'),
        await this.stageMoves(batch, moves, 'corrupt'),
      ),
    );

    const lastKey = exhausted ? undefined : pages.at(-1)?.key;

    return { deleted: expired.records, corrupt: unreadable.records, lastKey };
  }

  /** Closes the database. */
  async close(): Promise<void> {
    await this.access.storage('cannot close', () => this.access.db.close());
  }

  /** The key to read from for the records from `seq` on: the page that would hold it. */
  private async keyHolding(seq: number): Promise<string> {
    const key = await this.access.pageKeyAtOrBelow(seq, this.floorKey);

    return key ?? recordKey(seq);
  }

  /** The pages that may hold `seqs`: from the one that would hold the lowest to the highest. */
  private async pagesHolding(seqs: readonly number[]): Promise<PageEntry[]> {
    let lowest = Infinity;
    let highest = 0;
    for (const seq of seqs) {
      lowest = Math.min(lowest, seq);
      highest = Math.max(highest, seq);
    }
    const start = await this.keyHolding(lowest);
    const { pages } = await this.access.readPages({ gte: start }, Infinity, recordKey(highest));

    return pages;
  }

  /** Plans moving the records of `items` that name a seq and are still present. */
  private async planRecordMoves(
    items: readonly QuarantineItem[],
    removal: Removal,
    moves: QuarantineMove[],
  ): Promise<void> {
    const details = new Map<number, string>();
    for (const item of items) if (item.pageKey === undefined) details.set(item.seq, item.detail);
    if (details.size === 0) return;

    const wanted = new Set(details.keys());
    for (const page of await this.pagesHolding([...wanted])) {
      if (!page.isReadable) continue;
      const indexes = indexesOf(page, wanted);
      for (const index of indexes) {
        const seq = page.seqs[index] as number;
        moves.push({ seq, text: page.quarantineText(index), detail: details.get(seq) ?? '' });
      }
      removal.removeRecords(page, indexes);
    }
  }

  /** Plans moving the pages of `items` that could not be read, if they still cannot. */
  private async planPageMoves(
    items: readonly QuarantineItem[],
    removal: Removal,
    moves: QuarantineMove[],
  ): Promise<void> {
    for (const { pageKey, detail } of items) {
      if (pageKey === undefined) continue;
      const page = await this.access.pageAt(pageKey);
      if (page === undefined || page.isReadable) continue;
      removal.removeEntry(page);
      // A key that is not a record key has no seq to keep its entry under: it only goes.
      const seq = recordSeqOf(pageKey);
      if (seq !== undefined) moves.push({ seq, text: page.text, detail });
    }
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
    const limits = {
      count: this.counters.quarantined,
      max: this.maxQuarantined,
      atMs: this.time.nowMs(),
    };

    return stageMoves(this.access.db, batch, moves, reason, limits);
  }
}

/** Adds the records of `page` above `afterSeq` to `read`, up to `limit` readable ones. */
function collect(page: PageEntry, afterSeq: number, limit: number, read: ReadPage): void {
  if (!page.isReadable) {
    const seq = recordSeqOf(page.key);
    read.corrupt.push({ seq: seq ?? 0, detail: page.problem, pageKey: page.key });
    if (seq !== undefined) read.lastSeq = seq;
    return;
  }

  page.seqs.forEach((seq, index) => {
    if (seq <= afterSeq || read.records.length >= limit) return;
    const decoded = page.record(index);
    if (decoded.ok) read.records.push(decoded.record);
    else read.corrupt.push({ seq, detail: decoded.problem });
    read.lastSeq = seq;
  });
}

function isPrepared(append: PreparedAppend | readonly RecordDraft[]): append is PreparedAppend {
  return !Array.isArray(append);
}

/** The record of a draft given its seq. */
function withSeq(draft: RecordDraft, seq: number): MetricRecord {
  // Field by field: a spread of each draft was a seventh of an append, and it would also carry
  // along any stray field a caller left in the draft, which the log does not store.
  return {
    seq,
    t: draft.t,
    gateway: draft.gateway,
    endpoint: draft.endpoint,
    tags: draft.tags,
    count: draft.count,
    errors: draft.errors,
    duration_sum_ms: draft.duration_sum_ms,
    duration_min_ms: draft.duration_min_ms,
    duration_max_ms: draft.duration_max_ms,
    sketch: draft.sketch,
    error_kinds: draft.error_kinds,
  };
}

/** Adds counter changes made for one batch. */
function combine(...changes: CounterChange[]): CounterChange {
  const sum = (field: 'pending' | 'pendingBytes' | 'quarantined'): number | undefined => {
    const values = changes.map((change) => change[field]).filter((n) => n !== undefined);
    return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0);
  };
  const dropped: Partial<Record<string, number>> = {};
  for (const change of changes) {
    for (const [reason, n] of Object.entries(change.dropped ?? {})) {
      dropped[reason] = (dropped[reason] ?? 0) + n;
    }
  }

  return {
    pending: sum('pending'),
    pendingBytes: sum('pendingBytes'),
    quarantined: sum('quarantined'),
    dropped,
  };
}
