import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { loadMeta, type LogMeta } from './meta.js';
import { markLayout, reconcile } from './reconcile.js';
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
   * Records the counters expected but the repaired store no longer holds, counted as dropped
   * for `corrupt`. A lower bound: a lost batch takes its own counter values with it. Undefined
   * when the meta keys were lost too, or the store was moved aside.
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
  /** Repairs the LevelDB at a location. @default ClassicLevel.repair */
  repair?: (location: string) => Promise<void>;
}

/**
 * A file in the data dir that says "repair before use", holding the reason. It is written before
 * a repair starts and removed once the repaired store has its new counters, so a crash in
 * between repeats the repair and the seq jump. LevelDB ignores file names it did not make.
 */
export const REPAIR_MARKER = 'tps-repair-needed';

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
  if ('damage' in intact) return recover(location, intact.damage, options);

  try {
    const { upgrade, counters } = intact.meta;
    if (upgrade === 'recount') await reconcile(intact.db, location, counters, false);
    if (upgrade === 'mark') await markLayout(intact.db, location);
  } catch (error) {
    await intact.db.close().catch(() => undefined);
    throw error;
  }

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

/** Opens the store as it is, or says what damage stopped it. */
async function openIntact(
  location: string,
): Promise<{ db: LogDatabase; meta: LogMeta } | { damage: string }> {
  let db: LogDatabase;
  try {
    db = await openDatabase(location, !(await holdsDatabase(location)));
  } catch (error) {
    return { damage: damageOrThrow(error) };
  }

  try {
    // Checked only once the lock is ours, so a store another process uses is never repaired.
    const damage = (await readMarker(location)) ?? (await droppedAtOpen(location));
    if (damage !== undefined) {
      await db.close();
      return { damage };
    }

    return { db, meta: await loadMeta(db, location) };
  } catch (error) {
    await db.close().catch(() => undefined);
    return { damage: damageOrThrow(error) };
  }
}

async function recover(
  location: string,
  damage: string,
  options: OpenStoreOptions,
): Promise<OpenedStore> {
  await markForRepair(location, damage);
  let db: LogDatabase | undefined;
  try {
    await (options.repair ?? ((at) => ClassicLevel.repair(at)))(location);
    db = await openDatabase(location);
    const meta = await loadMeta(db, location);
    const lost = await reconcile(db, location, meta.counters, true);
    await rm(join(location, REPAIR_MARKER), { force: true }).catch(() => undefined);
    const lostRecords = meta.isNewIdentity ? undefined : lost;

    return { db, meta, recovery: { action: 'repaired', error: damage, lostRecords } };
  } catch (error) {
    await db?.close().catch(() => undefined);
    // Another process opened the data dir since our own open failed: it is in use now, and
    // moving it would pull it from under that process.
    if (hasCode(error, 'LEVEL_LOCKED')) throw error;

    return moveAside(
      location,
      `${damage}; repair did not help: ${(error as Error).message}`,
      options,
    );
  }
}

async function moveAside(
  location: string,
  error: string,
  options: OpenStoreOptions,
): Promise<OpenedStore> {
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

    return { db, meta, recovery: { action: 'moved-aside', movedTo, error } };
  } catch (cause) {
    await db.close().catch(() => undefined);
    throw cause;
  }
}

function damageOrThrow(error: unknown): string {
  const damage = damageOf(error);
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
