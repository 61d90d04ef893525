import { COUNTER_KEYS, LogCounters } from './counters.js';
import {
  COUNTED_FORMATS,
  FORMAT_VERSION,
  HIGHEST_RECORD_KEY,
  META,
  READABLE_FORMATS,
  RECORD_RANGE,
  recordSeqOf,
} from './keys.js';
import { highestSeqOf, readPage } from './page.js';
import { storageError, type LogDatabase } from './storage.js';
import { resolveIdentity, type IdentityEvent } from './identity-check.js';

/** What the log reads from its meta keys at open. */
export interface LogMeta {
  /** The agent's identity, the same on every open of this data dir. */
  agentId: string;
  /** The counters as the last durable write left them. */
  counters: LogCounters;
  /**
   * Whether the identity was made by this call: the data dir was new, or lost its identity with
   * no usable copy (then the records pending under the old one were dropped for `corrupt`).
   */
  isNewIdentity: boolean;
  /**
   * What an older layout needs before use: `recount` (versions 1 and 2, records without their
   * identity, or an identity restored from its file copy), `mark` (version 3, whose counters
   * hold: only the version is written), or undefined for none.
   */
  upgrade: 'recount' | 'mark' | undefined;
  /** What open did about the identity beyond reading it, for the log to tell; often empty. */
  identityEvents: IdentityEvent[];
}

/**
 * Reads the meta keys of an open database, checks the agent id against its file copy, and gives
 * a new database its agent id.
 *
 * Start-up cost does not depend on how many records are pending: the counters come from a
 * handful of meta keys and the only look at the records is one seek to the last page; the
 * identity's copy is one small file. Only an identity lost with no usable copy reads every page,
 * to drop them.
 *
 * @throws {TpsError} `ERR_TPS_STORAGE` when LevelDB fails, when the data dir was written in a
 * layout this release does not know, or when a counter is corrupt.
 */
export async function loadMeta(db: LogDatabase, location: string): Promise<LogMeta> {
  const [format, storedId, ...counterValues] = await readMeta(db, location);
  if (format !== undefined && !READABLE_FORMATS.includes(format)) {
    const found = `layout version ${format}`;
    throw storageError(location, `holds ${found}; this release reads ${FORMAT_VERSION}`, null);
  }

  const counters = parseCounters(counterValues, location);
  // The last seq is written in the same batch as every record, so no record key can be above
  // it. Should a damaged or foreign data dir break that, raising it here still keeps the rule
  // that seqs are never reused; the cost is a single seek.
  const lastKeySeq = await lastRecordSeq(db, location);
  counters.raiseLastSeq(lastKeySeq);

  const hasLastSeq = counterValues[COUNTER_KEYS.indexOf(META.lastSeq)] !== undefined;
  const identity = await resolveIdentity({ db, location, counters, storedId, hasLastSeq });
  const { agentId, source, events, droppedRecords } = identity;
  if (source === 'meta') {
    return {
      agentId,
      counters,
      isNewIdentity: false,
      upgrade: upgradeOf(format),
      identityEvents: events,
    };
  }

  // Restored from the file, or new with records dropped: the counters that lost the identity's
  // key may have lost others, so they are recounted. A new data dir needs none.
  const isNewIdentity = source === 'new';
  const upgrade = !isNewIdentity || droppedRecords > 0 || lastKeySeq > 0 ? 'recount' : undefined;

  return { agentId, counters, isNewIdentity, upgrade, identityEvents: events };
}

function upgradeOf(format: string | undefined): LogMeta['upgrade'] {
  if (format === FORMAT_VERSION) return undefined;

  return format !== undefined && COUNTED_FORMATS.includes(format) ? 'mark' : 'recount';
}

async function readMeta(db: LogDatabase, location: string): Promise<(string | undefined)[]> {
  try {
    return await db.getMany([META.format, META.agentId, ...COUNTER_KEYS]);
  } catch (error) {
    throw storageError(location, 'cannot read meta keys', error);
  }
}

function parseCounters(values: readonly (string | undefined)[], location: string): LogCounters {
  try {
    return LogCounters.fromMeta(values);
  } catch (error) {
    throw storageError(location, 'corrupt counter', error);
  }
}

/**
 * The highest seq of the last page, passing over keys that are not record keys: one such as
 * `r!zz` or `r!ffffffffffffffff` sorts after every page, and taken as the last it would make
 * the next seq NaN or past 2^53, which fails every append.
 */
async function lastRecordSeq(db: LogDatabase, location: string): Promise<number> {
  const range = { gte: RECORD_RANGE.gte, lte: HIGHEST_RECORD_KEY, reverse: true };
  try {
    const entries = db.iterator<string, Buffer>({ ...range, valueEncoding: 'buffer' });
    try {
      for (let batch = await entries.nextv(1); batch.length > 0; batch = await entries.nextv(16)) {
        const entry = batch.find(([key]) => recordSeqOf(key) !== undefined);
        if (entry !== undefined) return highestSeqOf(readPage(...entry));
      }
    } finally {
      await entries.close();
    }

    return 0;
  } catch (error) {
    throw storageError(location, 'cannot read the last record key', error);
  }
}
