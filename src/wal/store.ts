import type { MetricRecord, RecordDraft } from '../protocol/types.js';
import { decodeRecord, encodeEntry } from './codec.js';
import type { DeleteReason, LogCounters } from './counters.js';
import { RECORD_RANGE } from './keys.js';
import { storageError, type LogDatabase } from './storage.js';

/**
 * Records a sweep step examines. A step holds the write chain while it reads and deletes, so this
 * bounds how long an append waits behind a sweep (a few milliseconds) and the size of each
 * atomic delete batch.
 */
export const SWEEP_STEP_RECORDS = 1000;

/** Where a sweep step stopped. */
export interface SweepStep {
  /** Records the step deleted. */
  deleted: number;
  /** The last key examined; undefined once no record is left to examine. */
  lastKey: string | undefined;
}

/**
 * The records and their counters in LevelDB. Each write is one atomic batch, synced before it
 * resolves, that holds the records and the counters describing them. The caller must run writes
 * one at a time (see `OperationGate`): each stages its counters from the values the previous
 * one left.
 */
export class RecordStore {
  /**
   * The key every record key is at or above: the oldest key some read found. Seqs only grow,
   * so no record appears below it later. Reads seek here instead of to the start of the range,
   * because LevelDB keeps deleted keys as tombstones until compaction, and a log drained from
   * the front would otherwise step over every tombstone of the sent records on each read.
   */
  private floorKey: string = RECORD_RANGE.gte;

  /**
   * @param location the directory of `db`, for error messages.
   * @param db an open database, which the store closes in {@link close}.
   * @param counters the counters as loaded from `db`'s meta keys.
   */
  constructor(
    readonly location: string,
    private readonly db: LogDatabase,
    readonly counters: LogCounters,
  ) {}

  /** Stores `drafts` under the next seqs, in one synced batch; returns them as records. */
  async append(drafts: readonly RecordDraft[]): Promise<MetricRecord[]> {
    if (drafts.length === 0) return [];

    const firstSeq = this.counters.lastSeq + 1;
    // Encode before touching LevelDB: a draft that JSON cannot hold then fails with its own
    // TypeError rather than as a storage error, and no batch is left open.
    const entries = drafts.map((draft, i) => encodeEntry(firstSeq + i, draft));

    await this.storage('cannot append', async () => {
      const batch = this.db.batch();
      for (const { key, value } of entries) batch.put(key, value);
      // The last seq goes in this batch too: it survives a log emptied by deletes, so a seq is
      // never handed out twice, even across restarts.
      const commit = this.counters.stageAppend(batch, entries.length);
      await batch.write({ sync: true });
      commit();
    });

    return entries.map(({ record }) => record);
  }

  /** Reads up to `limit` records, lowest seq first. */
  async readOldest(limit: number): Promise<MetricRecord[]> {
    const entries = await this.storage('cannot read records', () =>
      this.db.iterator({ gte: this.floorKey, lt: RECORD_RANGE.lt, limit }).all(),
    );
    this.raiseFloor(entries[0]?.[0]);

    return entries.map(([key, value]) => this.decode(key, value));
  }

  /** Deletes those of `keys` that exist, in one synced batch; returns how many it deleted. */
  async deletePresent(keys: readonly string[], reason: DeleteReason): Promise<number> {
    if (keys.length === 0) return 0;

    // A sweep and a send may both delete one record; only keys still present may count, or the
    // pending counter would drift below the records actually stored.
    const present = await this.storage('cannot look up records', () => this.db.hasMany([...keys]));
    const existing = keys.filter((_, i) => present[i]);
    await this.deleteKeys(existing, reason);

    return existing.length;
  }

  /**
   * Examines up to {@link SWEEP_STEP_RECORDS} records after `afterKey` and deletes those with
   * `t < cutoffWallMs`. Run inside the write chain, every key it reads still exists when it
   * deletes, so no look-up is needed.
   */
  async sweepStep(afterKey: string | undefined, cutoffWallMs: number): Promise<SweepStep> {
    const from = afterKey === undefined ? { gte: this.floorKey } : { gt: afterKey };
    const entries = await this.storage('cannot read records', () =>
      this.db.iterator({ ...from, lt: RECORD_RANGE.lt, limit: SWEEP_STEP_RECORDS }).all(),
    );
    if (afterKey === undefined) this.raiseFloor(entries[0]?.[0]);
    const expired = entries.filter(([key, value]) => this.decode(key, value).t < cutoffWallMs);
    await this.deleteKeys(
      expired.map(([key]) => key),
      'retention',
    );

    const done = entries.length < SWEEP_STEP_RECORDS;

    return { deleted: expired.length, lastKey: done ? undefined : entries.at(-1)?.[0] };
  }

  /** Closes the database. */
  async close(): Promise<void> {
    await this.storage('cannot close', () => this.db.close());
  }

  /**
   * Raises the floor to `key`, the first key a read from the floor found. Reads may finish out of
   * order; each one's first key is a valid floor, so keeping the highest is safe.
   */
  private raiseFloor(key: string | undefined): void {
    if (key !== undefined && key > this.floorKey) this.floorKey = key;
  }

  /** Deletes keys known to exist, with the counters, in one synced batch. */
  private async deleteKeys(keys: readonly string[], reason: DeleteReason): Promise<void> {
    if (keys.length === 0) return;

    await this.storage('cannot delete', async () => {
      const batch = this.db.batch();
      for (const key of keys) batch.del(key);
      const commit = this.counters.stageDelete(batch, keys.length, reason);
      await batch.write({ sync: true });
      commit();
    });
  }

  private decode(key: string, value: string): MetricRecord {
    try {
      return decodeRecord(key, value);
    } catch (error) {
      throw storageError(this.location, `record ${key} is not valid JSON`, error);
    }
  }

  /** Runs a LevelDB call, wrapping its failure as `ERR_TPS_STORAGE` naming the location. */
  private async storage<T>(action: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw storageError(this.location, action, error);
    }
  }
}
