import { ClassicLevel, type ChainedBatch } from 'classic-level';
import { TpsError } from '../errors.js';

/** The LevelDB the log lives in: UTF-8 string keys and values. */
export type LogDatabase = ClassicLevel<string, string>;

/** A chained batch of {@link LogDatabase}. */
export type LogBatch = ChainedBatch<LogDatabase, string, string>;

/** Wraps a LevelDB or file system failure, naming what failed and where. */
export function storageError(location: string, action: string, cause: unknown): TpsError {
  return new TpsError(
    'ERR_TPS_STORAGE',
    `write-ahead log at ${location}: ${action}${detail(cause)}`,
    {
      cause,
    },
  );
}

/** The error for a data dir whose LevelDB lock another process, or another handle, holds. */
export function lockedError(location: string, cause: unknown): TpsError {
  const message =
    `write-ahead log at ${location}: another agent is using this data dir ` +
    `(its LevelDB lock is held)${detail(cause)}`;

  return new TpsError('ERR_TPS_DATADIR_LOCKED', message, { cause });
}

/** Tells whether `error` or an error down its cause chain has the code `code`. */
export function hasCode(error: unknown, code: string): boolean {
  return causeChain(error).some((e) => (e as { code?: unknown }).code === code);
}

/**
 * Tells whether an open or read failure means the files of the store are damaged, and if so
 * returns LevelDB's words for it. Damaged means LevelDB said "Corruption", or a file it needs is
 * missing or is not a file. A lock held elsewhere, a denied permission, a full disk or too many
 * open files are not damage: repairing would not help, and moving the data aside would strand
 * records that are fine.
 */
export function damageOf(error: unknown): string | undefined {
  const errors = causeChain(error);
  if (errors.some((e) => (e as { code?: unknown }).code === 'LEVEL_LOCKED')) return undefined;

  // Deepest first: wrappers repeat the messages below them, LevelDB's own words are at the end.
  const damaged = errors
    .reverse()
    .find(
      (e) =>
        (e as { code?: unknown }).code === 'LEVEL_CORRUPTION' ||
        /No such file or directory|Is a directory|Not a directory|does not exist/.test(e.message),
    );

  return damaged?.message;
}

/**
 * The messages down a cause chain. Level puts the useful part one level down: "Database failed
 * to open" carries "IO error: lock .../LOCK: already held by process" as its cause.
 */
function causeChain(cause: unknown): Error[] {
  const errors: Error[] = [];
  for (let error = cause; error instanceof Error && errors.length < 4; error = error.cause) {
    errors.push(error);
  }

  return errors;
}

function detail(cause: unknown): string {
  return causeChain(cause)
    .slice(0, 3)
    .map((error) => `: ${error.message}`)
    .join('');
}

/**
 * Opens the LevelDB at `location`, which must exist.
 *
 * @param createIfMissing false when the directory already holds LevelDB files: then a missing
 * `CURRENT` fails the open instead of LevelDB quietly starting an empty database over them and
 * deleting the tables it does not know.
 * @throws {TpsError} `ERR_TPS_DATADIR_LOCKED` when another process or handle holds the lock,
 * else `ERR_TPS_STORAGE`; LevelDB's error is the `cause` of either.
 */
export async function openDatabase(location: string, createIfMissing = true): Promise<LogDatabase> {
  const db = new ClassicLevel<string, string>(location, {
    keyEncoding: 'utf8',
    valueEncoding: 'utf8',
    createIfMissing,
  });

  try {
    await db.open();
  } catch (error) {
    if (hasCode(error, 'LEVEL_LOCKED')) throw lockedError(location, error);
    throw storageError(location, 'cannot open', error);
  }

  return db;
}
