import type { CounterChange, LogCounters } from './counters.js';
import { RECORD_RANGE, recordKey, recordSeqOf } from './keys.js';
import { readPage, type StoredPage, type UnreadablePage } from './page.js';
import { hasCode, storageError, type LogBatch, type LogDatabase } from './storage.js';

/** An entry of the record range, read as a page. */
export type PageEntry = StoredPage | UnreadablePage;

/** Where a range read starts: at a key, or just after one. */
export type RangeStart = { gte: string } | { gt: string };

/** What a read of pages found. */
export interface PagesRead {
  pages: PageEntry[];
  /** Whether the read ended because the range did, not because enough records were found. */
  exhausted: boolean;
}

// Entries fetched from LevelDB at a time: a few pages cover a batch of a hundred records.
const PAGES_AT_A_TIME = 4;

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

  /**
   * Reads pages in key order from `start` until they hold `minRecords` records (unreadable pages
   * count by what they held) or the range ends, at `lte` if given. The last page is the one that
   * reached `minRecords`, so a read holds fewer than `minRecords + MAX_PAGE_RECORDS` records.
   */
  async readPages(start: RangeStart, minRecords: number, lte?: string): Promise<PagesRead> {
    const range = { ...start, ...(lte === undefined ? { lt: RECORD_RANGE.lt } : { lte }) };

    return this.storage('cannot read records', async () => {
      const iterator = this.db.iterator<string, Buffer>({ ...range, valueEncoding: 'buffer' });
      const pages: PageEntry[] = [];
      let records = 0;
      try {
        while (records < minRecords) {
          // Fewer entries than asked for do not mean the end: LevelDB also stops at a byte size.
          const entries = await iterator.nextv(PAGES_AT_A_TIME);
          if (entries.length === 0) return { pages, exhausted: true };
          for (const [key, value] of entries) {
            // Pages fetched past the one that reached minRecords are left for the next read,
            // which starts after the last page returned: a sweep step stays within its bound.
            if (records >= minRecords) break;
            const page = readPage(key, value);
            pages.push(page);
            records += page.isReadable ? page.seqs.length : page.count;
          }
        }
      } finally {
        await iterator.close();
      }

      return { pages, exhausted: false };
    });
  }

  /**
   * The key of the page that would hold `seq`: the highest record key at or below its record key
   * and at or above `floorKey`, since a page's key is the seq of its first record. Keys that are
   * not record keys are passed over: one such as `r!00000000000000a1x` sorts between two pages,
   * and starting there would skip the records of the page below it.
   */
  async pageKeyAtOrBelow(seq: number, floorKey: string): Promise<string | undefined> {
    const range = { gte: floorKey, lte: recordKey(seq), reverse: true };

    return this.storage('cannot read records', async () => {
      const keys = this.db.keys(range);
      try {
        for (let batch = await keys.nextv(1); batch.length > 0; batch = await keys.nextv(16)) {
          const key = batch.find((found) => recordSeqOf(found) !== undefined);
          if (key !== undefined) return key;
        }
      } finally {
        await keys.close();
      }

      return undefined;
    });
  }

  /** The entry at `key`, read as a page; undefined when there is none. */
  async pageAt(key: string): Promise<PageEntry | undefined> {
    const value = await this.storage('cannot look up records', () =>
      this.db.get<string, Buffer>(key, { valueEncoding: 'buffer' }),
    );

    return value === undefined ? undefined : readPage(key, value);
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

/** Puts a page's value, which is binary: the database's own encoding is UTF-8 for meta keys. */
export function putPage(batch: LogBatch, key: string, value: Buffer): void {
  batch.put<string, Buffer>(key, value, { valueEncoding: 'buffer' });
}
