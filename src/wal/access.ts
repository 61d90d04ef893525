import type { CounterChange, LogCounters } from './counters.js';
import { RECORD_RANGE } from './keys.js';
import { hasCode, storageError, type LogBatch, type LogDatabase } from './storage.js';

/** An entry read from the record range, with its value. */
export interface Entry {
  key: string;
  value: string;
}

/** Where a range read starts: at a key, or just after one. */
export type RangeStart = { gte: string } | { gt: string };

/**
 * The database of a store with its counters, and the one way to write to it: a batch whose
 * counter change is staged into it, synced, and applied in memory only once it is durable.
 */
export class StoreAccess {
  /**
   * @param location the directory of `db`, for error messages.
   * @param onCorruption told when LevelDB reports corruption during a read or write.
   */
  constructor(
    readonly location: string,
    readonly db: LogDatabase,
    readonly counters: LogCounters,
    private readonly onCorruption?: (error: unknown) => void,
  ) {}

  /**
   * Builds one batch with `build`, stages the counter change it returns, writes the batch synced
   * and only then applies the change in memory. On failure nothing changes, on disk or in memory.
   */
  async commit(action: string, build: (batch: LogBatch) => Promise<CounterChange>): Promise<void> {
    await this.storage(action, async () => {
      const batch = this.db.batch();
      try {
        const apply = this.counters.stage(batch, await build(batch));
        await batch.write({ sync: true });
        apply();
      } finally {
        // A no-op after a write; releases the batch when building it failed.
        await batch.close();
      }
    });
  }

  /** Reads up to `limit` records from `start`, lowest seq first. */
  async readRecords(start: RangeStart, limit: number): Promise<Entry[]> {
    const entries = await this.storage('cannot read records', () =>
      this.db.iterator({ ...start, lt: RECORD_RANGE.lt, limit }).all(),
    );

    return entries.map(([key, value]) => ({ key, value }));
  }

  /** The entries of those of `keys` that exist; values are needed to count their bytes. */
  async present(keys: readonly string[]): Promise<Entry[]> {
    const values = await this.storage('cannot look up records', () => this.db.getMany([...keys]));

    return keys.flatMap((key, i) => {
      const value = values[i];
      return value === undefined ? [] : [{ key, value }];
    });
  }

  /** Runs a LevelDB call, wrapping its failure as `ERR_TPS_STORAGE` naming the location. */
  async storage<T>(action: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (hasCode(error, 'LEVEL_CORRUPTION')) this.onCorruption?.(error);
      throw storageError(this.location, action, error);
    }
  }
}

/** UTF-8 bytes of the entries' values, as counted in `pendingBytes`. */
export function bytesOf(entries: readonly Entry[]): number {
  return entries.reduce((sum, { value }) => sum + Buffer.byteLength(value), 0);
}
