import { randomUUID } from 'node:crypto';
import { COUNTER_KEYS, LogCounters } from './counters.js';
import { COUNTED_FORMATS, FORMAT_VERSION, META, READABLE_FORMATS, RECORD_RANGE } from './keys.js';
import { highestSeqOf, readPage } from './page.js';
import { storageError, type LogDatabase } from './storage.js';

/** What the log reads from its meta keys at open. */
export interface LogMeta {
  /** The agent's identity, the same on every open of this data dir. */
  agentId: string;
  /** The counters as the last durable write left them. */
  counters: LogCounters;
  /** Whether the identity was made by this call: the data dir was new, or lost its meta. */
  isNewIdentity: boolean;
  /**
   * What an older layout needs before use: `recount` (versions 1 and 2, or records without
   * their meta keys), `mark` (version 3, whose counters hold: only the version is written), or
   * undefined for none.
   */
  upgrade: 'recount' | 'mark' | undefined;
}

/**
 * Reads the meta keys of an open database, and gives a new database its agent id.
 *
 * Start-up cost does not depend on how many records are pending: the counters come from a
 * handful of meta keys and the only look at the records is one seek to the last page.
 *
 * @throws {TpsError} `ERR_TPS_STORAGE` when LevelDB fails, when the data dir was written in a
 * layout this release does not know, or when a counter is corrupt.
 */
export async function loadMeta(db: LogDatabase, location: string): Promise<LogMeta> {
  const [format, agentId, ...counterValues] = await readMeta(db, location);
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

  if (agentId !== undefined) {
    return { agentId, counters, isNewIdentity: false, upgrade: upgradeOf(format) };
  }

  // Records without an identity: the meta keys were lost, so the counters must be recounted.
  const created = await createIdentity(db, location);
  const upgrade = lastKeySeq > 0 ? 'recount' : undefined;

  return { agentId: created, counters, isNewIdentity: true, upgrade };
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

async function lastRecordSeq(db: LogDatabase, location: string): Promise<number> {
  try {
    const range = { ...RECORD_RANGE, reverse: true, limit: 1, valueEncoding: 'buffer' };
    const [entry] = await db.iterator<string, Buffer>(range).all();

    return entry === undefined ? 0 : highestSeqOf(readPage(...entry));
  } catch (error) {
    throw storageError(location, 'cannot read the last record key', error);
  }
}

async function createIdentity(db: LogDatabase, location: string): Promise<string> {
  const agentId = randomUUID();

  try {
    // Synced like every other write: an id handed out must be the id found on the next open.
    const batch = db.batch().put(META.format, FORMAT_VERSION).put(META.agentId, agentId);
    await batch.write({ sync: true });
  } catch (error) {
    throw storageError(location, 'cannot store the agent id', error);
  }

  return agentId;
}
