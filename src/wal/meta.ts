import { randomUUID } from 'node:crypto';
import { COUNTER_KEYS, LogCounters } from './counters.js';
import { FORMAT_VERSION, META, READABLE_FORMATS, RECORD_RANGE, seqOfKey } from './keys.js';
import { storageError, type LogDatabase } from './storage.js';

/** What the log reads from its meta keys at open. */
export interface LogMeta {
  /** The agent's identity, the same on every open of this data dir. */
  agentId: string;
  /** The counters as the last durable write left them. */
  counters: LogCounters;
  /** Whether the identity was made by this call: the data dir was new, or lost its meta. */
  isNewIdentity: boolean;
  /** Whether the data dir is in an older layout that needs a recount before use. */
  needsUpgrade: boolean;
}

/**
 * Reads the meta keys of an open database, and gives a new database its agent id.
 *
 * Start-up cost does not depend on how many records are pending: the counters come from a
 * handful of meta keys and the only look at the records is one seek to the last key.
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
    return { agentId, counters, isNewIdentity: false, needsUpgrade: format !== FORMAT_VERSION };
  }

  // Records without an identity: the meta keys were lost, so the counters must be recounted.
  const created = await createIdentity(db, location);

  return { agentId: created, counters, isNewIdentity: true, needsUpgrade: lastKeySeq > 0 };
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
    const [key] = await db.keys({ ...RECORD_RANGE, reverse: true, limit: 1 }).all();

    return key === undefined ? 0 : seqOfKey(key);
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
