import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { META } from './keys.js';
import { loadMeta, type LogMeta } from './meta.js';
import { markLayout, reconcile } from './reconcile.js';
import { repairInChild } from './repair.js';
import { damageOf, hasCode, openDatabase, storageError, type LogDatabase } from './storage.js';

/** What the log did at open to get past a damaged store; see `WriteAheadLog.recovery`. */
export interface LogRecovery {
  /**
   * `repaired`: LevelDB's repair ran and the store opened, with its seqs moved on by 2^32.
   * `moved-aside`: the store could not be repaired; its directory was renamed and a fresh log,
   * with a new agent id, started in its place.
   */
  action: 'repaired' | 'moved-aside';
  /** Where the damaged directory went, for `moved-aside`. */
  movedTo?: string;
  /** What was wrong, in LevelDB's words, and for `moved-aside` why repair did not help. */
  error: string;
  /**
   * Records the counters expected but the repaired store no longer holds, or, for
   * `moved-aside`, the records pending in the store moved aside; counted as dropped for
   * `corrupt`. A lower bound: a lost batch takes its own counter values with it. Undefined when
   * the counters could not be read: the meta keys were lost, or the store did not open.
   */
  lostRecords?: number;
}

/** An open database with its meta, and what was done to open it. */
export interface OpenedStore {
  db: LogDatabase;
  meta: LogMeta;
  recovery: LogRecovery | undefined;
}

/** How {@link openStore} repairs and names things; tests replace them. */
export interface OpenStoreOptions {
  /** Wall-clock epoch milliseconds now, for the name of a moved-aside directory. */
  wallMs: () => number;
  /**
   * Repairs the LevelDB at a location, rejecting when it cannot.
   * @default {@link repairInChild}: `ClassicLevel.repair` in a child process
   */
  repair?: (location: string) => Promise<void>;
}

/**
 * A file in the data dir that says "repair before use", holding the reason. It is written before
 * a repair starts and removed once the repaired store has its new counters, so a crash in
 * between repeats the repair and the seq jump. LevelDB ignores file names it did not make.
 */
export const REPAIR_MARKER = 'tps-repair-needed';

/** Damage found at open, and the records the store held then, when its counters could say. */
interface Damage {
  damage: string;
  pending?: number;
}

/** LevelDB files, whose presence means a database was created here before. */
const LEVELDB_FILE = /^(MANIFEST-\d+|\d+\.(log|ldb|sst))$/;

/** A line LevelDB writes to its `LOG` when it skips part of a damaged log file at open. */
const DROPPED_LINE = /dropping (\d+) bytes; (.*)$/m;

/**
 * Opens the store at `location`, repairing it or moving it aside when it is damaged, and brings
 * an older layout up to date.
 *
 * @throws {TpsError} `ERR_TPS_DATADIR_LOCKED` when another process or handle has it open: a
 * locked data dir is never repaired or moved. `ERR_TPS_STORAGE` for anything that is not damage
 * (permissions, a full disk, an unknown layout), or when even a fresh store cannot be made.
 */
export async function openStore(location: string, options: OpenStoreOptions): Promise<OpenedStore> {
  try {
    await mkdir(location, { recursive: true });
  } catch (error) {
    throw storageError(location, 'cannot open', error);
  }

  const intact = await openIntact(location);
  if ('damage' in intact) return recover(location, intact, options);

  return { ...intact, recovery: undefined };
}

/** Leaves a note that the store at `location` must be repaired at its next open; best effort. */
export async function markForRepair(location: string, reason: string): Promise<void> {
  try {
    const handle = await open(join(location, REPAIR_MARKER), 'w');
    try {
      // Synced: the note is what makes a repair cut short by a crash run again, seq jump included.
      await handle.writeFile(reason);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Without the note a crash mid-repair can skip the jump; there is nothing better to do.
  }
}

/**
 * Opens the store as it is and brings an older layout up to date, or says what damage stopped
 * it: at open, in the meta keys, or in the scan of a recount.
 */
async function openIntact(location: string): Promise<{ db: LogDatabase; meta: LogMeta } | Damage> {
  let db: LogDatabase;
  try {
    db = await openDatabase(location, !(await holdsDatabase(location)));
  } catch (error) {
    return { damage: damageOrThrow(error, location) };
  }

  let damage: string | undefined;
  try {
    // Checked only once the lock is ours, so a store another process uses is never repaired.
    damage = (await readMarker(location)) ?? (await droppedAtOpen(location));
    if (damage === undefined) {
      const meta = await loadMeta(db, location);
      if (meta.upgrade === 'recount') await reconcile(db, location, meta.counters, false);
      if (meta.upgrade === 'mark') await markLayout(db, location);

      return { db, meta };
    }
  } catch (error) {
    damage = damageOf(error, location);
    if (damage === undefined) {
      await db.close().catch(() => undefined);
      throw error;
    }
  }

  const pending = await readPending(db);
  await db.close().catch(() => undefined);

  return { damage, pending };
}

async function recover(
  location: string,
  found: Damage,
  options: OpenStoreOptions,
): Promise<OpenedStore> {
  const { damage } = found;
  await markForRepair(location, damage);
  let db: LogDatabase | undefined;
  try {
    // Never in this process: on some damage LevelDB's repair fails an assertion and aborts.
    await (options.repair ?? repairInChild)(location);
    db = await openDatabase(location);
    const meta = await loadMeta(db, location);
    const lost = await reconcile(db, location, meta.counters, true);
    const lostRecords = await countRepairLoss(db, location, meta, lost, found.pending);
    await rm(join(location, REPAIR_MARKER), { force: true }).catch(() => undefined);

    return { db, meta, recovery: { action: 'repaired', error: damage, lostRecords } };
  } catch (error) {
    await db?.close().catch(() => undefined);
    // Another process opened the data dir since our own open failed: it is in use now, and
    // moving it would pull it from under that process.
    if (hasCode(error, 'LEVEL_LOCKED')) throw error;

    const reason = `${damage}; repair did not help: ${(error as Error).message}`;

    return moveAside(location, { damage: reason, pending: found.pending }, options);
  }
}

async function moveAside(
  location: string,
  found: Damage,
  options: OpenStoreOptions,
): Promise<OpenedStore> {
  const { damage: error, pending } = found;
  const movedTo = `${location}.corrupt-${Math.round(options.wallMs())}`;
  try {
    await rename(location, movedTo);
    await mkdir(location, { recursive: true });
  } catch (cause) {
    throw storageError(location, `is damaged (${error}) and cannot be moved aside`, cause);
  }

  const db = await openDatabase(location);
  try {
    const meta = await loadMeta(db, location);
    if (pending !== undefined) await countLost(db, location, meta, pending);

    return { db, meta, recovery: { action: 'moved-aside', movedTo, error, lostRecords: pending } };
  } catch (cause) {
    await db.close().catch(() => undefined);
    throw cause;
  }
}

/**
 * The records a repair lost: those {@link reconcile} counted (`lost`, from the repaired store's
 * own counters, which may be older than the damage), or more when the counters read before the
 * repair held more pending records than the repair kept. The difference is counted here, so that
 * no loss the store could tell of goes uncounted.
 *
 * With a new identity the meta keys were lost, and `loadMeta` deals with the records left under
 * the old one (and counts what it drops); counting here as well could count them twice.
 *
 * @returns undefined for a new identity.
 */
async function countRepairLoss(
  db: LogDatabase,
  location: string,
  meta: LogMeta,
  lost: number,
  pendingBefore: number | undefined,
): Promise<number | undefined> {
  if (meta.isNewIdentity) return undefined;

  const missing = Math.max(0, (pendingBefore ?? 0) - meta.counters.pending);
  if (missing <= lost) return lost;

  await countLost(db, location, meta, missing - lost);

  return missing;
}

/**
 * Counts `count` records as given a seq and dropped for `corrupt`, in one synced batch, so that
 * the counters tell of a loss at open and still add up.
 */
async function countLost(
  db: LogDatabase,
  location: string,
  meta: LogMeta,
  count: number,
): Promise<void> {
  if (count === 0) return;

  try {
    const batch = db.batch();
    const appended = { records: count, lastSeq: meta.counters.lastSeq + count };
    const apply = meta.counters.stage(batch, { appended, dropped: { corrupt: count } });
    await batch.write({ sync: true });
    apply();
  } catch (error) {
    throw storageError(location, 'cannot count the records lost', error);
  }
}

/**
 * The records the counters of a damaged store say it holds, read before the repair while the
 * store is open: the only count there is should the store be moved aside. Undefined when the
 * counters cannot be read.
 */
async function readPending(db: LogDatabase): Promise<number | undefined> {
  try {
    // This key alone: damage that hides the other counters need not hide it.
    const pending = Number(await db.get(META.pending));

    return Number.isSafeInteger(pending) && pending >= 0 ? pending : undefined;
  } catch {
    return undefined;
  }
}

function damageOrThrow(error: unknown, location: string): string {
  const damage = damageOf(error, location);
  if (damage === undefined) throw error;

  return damage;
}

async function holdsDatabase(location: string): Promise<boolean> {
  const names = await readdir(location).catch(() => []);

  return names.some((name) => LEVELDB_FILE.test(name));
}

async function readMarker(location: string): Promise<string | undefined> {
  const reason = await readFile(join(location, REPAIR_MARKER), 'utf8').catch(() => undefined);

  return reason === undefined ? undefined : `marked for repair: ${reason || 'no reason given'}`;
}

/**
 * LevelDB skips a damaged part of its log at open and only says so in its `LOG` file, which each
 * open starts afresh. The records in that part are gone, and with them maybe the newest
 * `m!last-seq`: treat it as damage, so the seqs jump as after any repair.
 */
async function droppedAtOpen(location: string): Promise<string | undefined> {
  const text = await readFile(join(location, 'LOG'), 'utf8').catch(() => '');
  const match = DROPPED_LINE.exec(text);

  return match === null ? undefined : `LevelDB dropped ${match[1]} bytes of its log: ${match[2]}`;
}
