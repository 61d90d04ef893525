import type { EncodedRecord } from './codec.js';
import { RECORD_RANGE } from './keys.js';
import type { LogDatabase } from './storage.js';

/** Pending record bytes kept at most unless `maxBytes` says otherwise: 256 MiB. */
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

/** Records read at a time while looking for the oldest ones to drop. */
const EVICTION_PAGE = 256;

/**
 * Splits one append's entries into the oldest that must be dropped at once and the newest that
 * fit in `maxBytes` on their own. Only an append bigger than the whole cap drops any.
 *
 * @returns how many of the first entries to drop, and the bytes of the rest.
 */
export function newestThatFit(
  entries: readonly EncodedRecord[],
  maxBytes: number,
): { dropped: number; keptBytes: number } {
  let keptBytes = 0;
  for (let i = entries.length - 1; i >= 0; i--) {
    const bytes = entries[i]?.bytes ?? 0;
    if (keptBytes + bytes > maxBytes) return { dropped: i + 1, keptBytes };
    keptBytes += bytes;
  }

  return { dropped: 0, keptBytes };
}

/** The oldest records chosen to make room, with the bytes their values take. */
export interface Eviction {
  keys: string[];
  bytes: number;
}

/**
 * Picks the oldest records, from `fromKey` on, whose values add up to at least `needBytes`, or
 * every record when they do not reach it. Run inside the write chain, so every key it returns
 * still exists when the batch deleting them is written. Only sizes are read: a record whose
 * value is unreadable goes like any other.
 */
export async function oldestToFree(
  db: LogDatabase,
  fromKey: string,
  needBytes: number,
): Promise<Eviction> {
  const eviction: Eviction = { keys: [], bytes: 0 };
  let range: { gte: string } | { gt: string } = { gte: fromKey };

  while (eviction.bytes < needBytes) {
    const page: [string, string][] = await db
      .iterator({ ...range, lt: RECORD_RANGE.lt, limit: EVICTION_PAGE })
      .all();
    for (const [key, value] of page) {
      if (eviction.bytes >= needBytes) break;
      eviction.keys.push(key);
      eviction.bytes += Buffer.byteLength(value);
    }

    const lastKey = page.at(-1)?.[0];
    if (page.length < EVICTION_PAGE || lastKey === undefined) break;
    range = { gt: lastKey };
  }

  return eviction;
}
