import type { LogCounters } from './counters.js';
import { FORMAT_VERSION, META, QUARANTINE_RANGE, RECORD_RANGE } from './keys.js';
import { highestSeqOf, readPage } from './page.js';
import { storageError, type LogDatabase } from './storage.js';

/**
 * How far the seqs jump after a repair. A repair may have lost the newest batches, and with them
 * the `m!last-seq` that covered their seqs; those records may already be at the collector, which
 * drops a second record with the same (agent id, seq) as a duplicate. No agent appends 2^32
 * records between two writes that survive, so no lost seq can be at or above the new start.
 */
export const REPAIR_SEQ_GAP = 2 ** 32;

/** What a full scan of the store found. */
export interface Recount {
  /** Records under the record prefix. */
  records: number;
  /** Bytes of their values. */
  bytes: number;
  /** The highest record seq, 0 when there is none. */
  maxSeq: number;
  /** Entries under the quarantine prefix. */
  quarantined: number;
}

/** Scans every page and quarantine entry; costs time in proportion to the data dir. */
export async function recount(db: LogDatabase): Promise<Recount> {
  const found: Recount = { records: 0, bytes: 0, maxSeq: 0, quarantined: 0 };
  const pages = db.iterator<string, Buffer>({ ...RECORD_RANGE, valueEncoding: 'buffer' });
  for await (const [key, value] of pages) {
    const page = readPage(key, value);
    found.records += page.isReadable ? page.seqs.length : page.count;
    found.bytes += value.length;
    found.maxSeq = Math.max(found.maxSeq, highestSeqOf(page));
  }
  const quarantine = db.keys(QUARANTINE_RANGE);
  try {
    for (
      let keys = await quarantine.nextv(1000);
      keys.length > 0;
      keys = await quarantine.nextv(1000)
    ) {
      found.quarantined += keys.length;
    }
  } finally {
    await quarantine.close();
  }

  return found;
}

/**
 * Replaces the counters with what a scan of the store finds, and writes the current layout
 * version, in one synced batch. Run at open when the meta keys cannot be trusted to describe the
 * records: after a repair, or in a data dir of an older layout.
 *
 * @param afterRepair also move the seqs on by {@link REPAIR_SEQ_GAP}, and count records the
 * counters expected but the scan did not find as dropped for `corrupt`.
 * @returns those lost records (0 unless `afterRepair`). It is a lower bound: a lost batch takes
 * its own counter values with it.
 * @throws {TpsError} `ERR_TPS_STORAGE` when LevelDB fails.
 */
export async function reconcile(
  db: LogDatabase,
  location: string,
  counters: LogCounters,
  afterRepair: boolean,
): Promise<number> {
  try {
    const found = await recount(db);
    const before = counters.snapshot();
    const lost = afterRepair ? Math.max(0, before.pending - found.records) : 0;
    const dropped = { ...before.dropped, corrupt: before.dropped.corrupt + lost };
    const droppedTotal = Object.values(dropped).reduce((sum, n) => sum + n, 0);
    const gap = afterRepair ? REPAIR_SEQ_GAP : 0;

    const batch = db.batch().put(META.format, FORMAT_VERSION);
    const apply = counters.stageReset(batch, {
      lastSeq: Math.max(before.lastSeq, found.maxSeq) + gap,
      pending: found.records,
      pendingBytes: found.bytes,
      // Every record ever given a seq is pending or was dropped: keep that sum exact.
      stored: droppedTotal + found.records,
      quarantined: found.quarantined,
      dropped,
    });
    await batch.write({ sync: true });
    apply();

    return lost;
  } catch (error) {
    throw storageError(location, 'cannot recount the records', error);
  }
}

/**
 * Writes the current layout version over one whose counters hold for it, synced, so that a
 * release that cannot read the new pages refuses the directory from now on.
 *
 * @throws {TpsError} `ERR_TPS_STORAGE` when LevelDB fails.
 */
export async function markLayout(db: LogDatabase, location: string): Promise<void> {
  try {
    await db.batch().put(META.format, FORMAT_VERSION).write({ sync: true });
  } catch (error) {
    throw storageError(location, 'cannot mark the layout version', error);
  }
}
