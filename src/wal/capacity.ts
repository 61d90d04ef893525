import type { RecordDraft } from '../protocol/types.js';
import type { StoreAccess } from './access.js';
import { encodePages, type EncodedPage, type StoredPage } from './page.js';
import { Removal } from './removal.js';

/** Pending record bytes kept at most unless `maxBytes` says otherwise: 256 MiB. */
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

/** Records read at a time while looking for the oldest ones to drop. */
const EVICTION_READ_RECORDS = 256;

/** Bytes of the values of `pages`. */
export function bytesOfPages(pages: readonly EncodedPage[]): number {
  return pages.reduce((sum, page) => sum + page.value.length, 0);
}

/** The pages of one append, and how many of its oldest drafts it drops to fit the cap. */
export interface FittedAppend {
  pages: EncodedPage[];
  dropped: number;
}

/**
 * Keeps the newest of one append's drafts whose pages fit in `maxBytes` on their own. Only an
 * append bigger than the whole cap drops any; then its pages are encoded again without them.
 *
 * @param pages the pages of all of `drafts`, which take the seqs from `firstSeq` on.
 */
export function newestThatFit(
  pages: EncodedPage[],
  append: { drafts: readonly RecordDraft[]; firstSeq: number; storedAtMs: number },
  maxBytes: number,
): FittedAppend {
  if (bytesOfPages(pages) <= maxBytes) return { pages, dropped: 0 };

  const { drafts, firstSeq, storedAtMs } = append;
  const fits = (dropped: number): EncodedPage[] | undefined => {
    const kept = encodePages(firstSeq + dropped, drafts.slice(dropped), storedAtMs);
    return bytesOfPages(kept) <= maxBytes ? kept : undefined;
  };

  // Fewer drafts almost always take fewer bytes, so the fewest to drop is found by halving. Page
  // bounds move with the drafts dropped, and a string shared across a new bound is stored twice,
  // so in rare cases the search drops a few more than it had to; it only settles on a count
  // that fits, so it never keeps too many.
  let low = 0;
  let high = drafts.length;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (fits(middle) === undefined) low = middle + 1;
    else high = middle;
  }

  return { pages: fits(low) ?? [], dropped: low };
}

/**
 * Picks the oldest records, from `floorKey` on, whose pages free at least `needBytes`, or every
 * record when they do not reach it. Whole pages go first; the last one may lose only its oldest
 * records. Run inside the write chain, so the pages it reads are still as read when the batch
 * is written. A page that cannot be read goes whole, like any other.
 */
export async function oldestToFree(
  access: StoreAccess,
  floorKey: string,
  needBytes: number,
): Promise<Removal> {
  const removal = new Removal();
  let start: { gte: string } | { gt: string } = { gte: floorKey };

  for (;;) {
    const { pages, exhausted } = await access.readPages(start, EVICTION_READ_RECORDS);
    for (const page of pages) {
      const left = needBytes - removal.bytes;
      if (left <= 0) return removal;
      if (!page.isReadable || page.bytes <= left) removal.removeEntry(page);
      else removal.removeRecords(page, oldestFreeing(page, left));
    }

    const lastKey = pages.at(-1)?.key;
    if (exhausted || lastKey === undefined || removal.bytes >= needBytes) return removal;
    start = { gt: lastKey };
  }
}

/** The fewest oldest records of `page` whose removal frees `bytes`, as indexes. */
function oldestFreeing(page: StoredPage, bytes: number): Set<number> {
  const oldest = (count: number): Set<number> =>
    new Set(Array.from({ length: count }, (_, i) => i));
  const frees = (count: number): boolean =>
    page.bytes - (page.without(oldest(count))?.length ?? 0) >= bytes;

  // Dropping more records never frees less, so halving finds the fewest.
  let low = 1;
  let high = page.seqs.length;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (frees(middle)) high = middle;
    else low = middle + 1;
  }

  return oldest(low);
}
