import type { PageEntry } from './access.js';
import type { CounterChange } from './counters.js';
import type { StoredPage } from './page.js';
import { putPage } from './access.js';
import type { LogBatch } from './storage.js';

/** What becomes of one page when records leave it: a smaller value, or no entry at all. */
export interface PageChange {
  key: string;
  /** The value without the records that leave; undefined when the entry goes. */
  value: Buffer | undefined;
}

/** Records leaving the record range in one batch, and what that does to the pages they were in. */
export class Removal {
  readonly changes: PageChange[] = [];
  /** Records leaving. */
  records = 0;
  /** Bytes of page values freed. */
  bytes = 0;

  /** Takes the whole entry away, with every record it held. */
  removeEntry(entry: PageEntry): void {
    this.changes.push({ key: entry.key, value: undefined });
    this.records += entry.isReadable ? entry.seqs.length : entry.count;
    this.bytes += entry.bytes;
  }

  /** Takes the records at `indexes` out of `page`: rewrites it, or removes it if none is left. */
  removeRecords(page: StoredPage, indexes: ReadonlySet<number>): void {
    if (indexes.size === 0) return;
    if (indexes.size >= page.seqs.length) {
      this.removeEntry(page);
      return;
    }

    const value = page.without(indexes);
    this.changes.push({ key: page.key, value });
    this.records += indexes.size;
    this.bytes += page.bytes - (value?.length ?? 0);
  }

  /**
   * Stages the page changes into `batch`.
   *
   * @returns the change to the pending counters, with the records counted as dropped for
   * `reason` unless it is undefined.
   */
  stage(batch: LogBatch, reason: string | undefined): CounterChange {
    if (this.changes.length === 0) return {};

    for (const { key, value } of this.changes) {
      if (value === undefined) batch.del(key);
      else putPage(batch, key, value);
    }

    return {
      pending: -this.records,
      pendingBytes: -this.bytes,
      ...(reason === undefined ? {} : { dropped: { [reason]: this.records } }),
    };
  }
}

/** The indexes in `page` of the records whose seqs are in `seqs`. */
export function indexesOf(page: StoredPage, seqs: ReadonlySet<number>): Set<number> {
  const indexes = new Set<number>();
  page.seqs.forEach((seq, index) => {
    if (seqs.has(seq)) indexes.add(index);
  });

  return indexes;
}
