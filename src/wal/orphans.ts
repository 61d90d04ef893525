import { StoreAccess, type RangeStart } from './access.js';
import type { LogCounters } from './counters.js';
import { RECORD_RANGE } from './keys.js';
import { Removal } from './removal.js';
import type { LogDatabase } from './storage.js';

/** Records dropped per synced batch: bounds the size of each batch, not the total. */
const DROP_STEP_RECORDS = 10_000;

/**
 * Deletes every entry of the record range and counts its records as dropped for `corrupt`: run
 * at open when the agent id is lost with no usable copy. Those records may already be at the
 * collector, under the old id; sent again under a new one, the collector could not tell them
 * from new records and would count them twice. Nothing can deliver them safely any more.
 *
 * Each step is one synced batch with the counters, so a crash part-way leaves the counters exact
 * and the rest of the records for the next open, which has no identity either and goes on.
 *
 * @returns the records dropped.
 * @throws {TpsError} `ERR_TPS_STORAGE` when LevelDB fails.
 */
export async function dropUndeliverable(
  db: LogDatabase,
  location: string,
  counters: LogCounters,
): Promise<number> {
  const access = new StoreAccess(location, db, counters);
  let start: RangeStart = { gte: RECORD_RANGE.gte };
  let dropped = 0;

  for (;;) {
    const { pages, exhausted } = await access.readPages(start, DROP_STEP_RECORDS);
    if (pages.length > 0) {
      const removal = new Removal();
      for (const page of pages) removal.removeEntry(page);
      await access.commit('cannot drop records of a lost identity', async (batch) =>
        removal.stage(batch, 'corrupt'),
      );
      dropped += removal.records;
    }

    const lastKey = pages.at(-1)?.key;
    if (exhausted || lastKey === undefined) return dropped;
    start = { gt: lastKey };
  }
}
