import { ClassicLevel, type ChainedBatch } from 'classic-level';
import { TpsError } from '../errors.js';

/** The LevelDB the log lives in: UTF-8 string keys and values. */
export type LogDatabase = ClassicLevel<string, string>;

/**
 * How the log opens its LevelDB: LevelDB's defaults, compression on. Turning it off saved a
 * fifth of LevelDB's CPU on pages of busy records (1.36 against 1.11 ms per 1,000 records
 * written raw, five runs each), but classic-level offers no way to verify a block's checksum on
 * reads: damage to a compressed block mostly breaks its decompression, which LevelDB reports as
 * corruption and the log handles, while damage to a plain block goes unseen unless it breaks
 * the page's own structure.
 */
export const DATABASE_OPTIONS = {
  keyEncoding: 'utf8',
  valueEncoding: 'utf8',
} as const;

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
 * Failures that lie in the machine rather than in the files, in the words `strerror` gives them.
 * Repairing would not help, and moving the data aside would strand records that may be fine
 * once the machine is.
 */
const ENVIRONMENT = [
  'Permission denied', // EACCES
  'Operation not permitted', // EPERM
  'No space left on device', // ENOSPC
  'Disk quota exceeded', // EDQUOT
  'Too many open files', // EMFILE, ENFILE
  'Read-only file system', // EROFS
  'Cannot allocate memory', // ENOMEM, also a failed mmap of a table
  'No such device', // ENODEV: a file system that cannot map files
  'Input/output error', // EIO: the disk, which may come back
  'Resource temporarily unavailable', // EAGAIN
  'Device or resource busy', // EBUSY
  'Stale file handle', // ESTALE, on NFS
  'Interrupted system call', // EINTR
  'timed out', // ETIMEDOUT, on network file systems
];

/** A file missing, or a directory where a file should be: damage whatever file it is. */
const MISSING = /No such file or directory|Is a directory|Not a directory|does not exist/;

/** The name of a file LevelDB keeps, at the end of a path or followed by `: <reason>`. */
const STORE_FILE = /[/\\](CURRENT|MANIFEST-\d+|\d+\.(ldb|sst|log))(:|$)/;

/**
 * Tells whether an open or read failure means the files of the store are damaged, and if so
 * returns LevelDB's words for it. Damaged means:
 *
 * - LevelDB said "Corruption" (`LEVEL_CORRUPTION`);
 * - a file it needs is missing or is not a file;
 * - an IO error (`IO error: <path>: <reason>`) about a file of the store, such as a table cut
 *   short (`000005.ldb: Invalid argument`, a read past its end), or a path under `location`
 *   that is none of LevelDB's names: it read that name from a damaged `CURRENT`, and the
 *   message stops where that name held a NUL byte (`IO error: <location>/A`).
 *
 * A lock held elsewhere and the failures of the machine in {@link ENVIRONMENT} (a denied
 * permission, a full disk, too many open files, a disk error) are not damage, wherever they
 * appear in the chain.
 *
 * @param location the store's directory as given to LevelDB; without it, only the names of
 * LevelDB's own files count as the store's.
 */
export function damageOf(error: unknown, location?: string): string | undefined {
  const errors = causeChain(error);
  if (errors.some(isEnvironmentFailure)) return undefined;

  // Deepest first: wrappers repeat the messages below them, LevelDB's own words are at the end.
  const damaged = errors
    .reverse()
    .find(
      (e) =>
        (e as { code?: unknown }).code === 'LEVEL_CORRUPTION' ||
        MISSING.test(e.message) ||
        isStoreFileError(e.message, location),
    );

  return damaged?.message;
}

function isEnvironmentFailure(error: Error): boolean {
  if ((error as { code?: unknown }).code === 'LEVEL_LOCKED') return true;

  return ENVIRONMENT.some((words) => error.message.includes(words));
}

function isStoreFileError(message: string, location: string | undefined): boolean {
  if (!message.startsWith('IO error: ')) return false;

  const path = message.slice('IO error: '.length);

  return STORE_FILE.test(path) || (location !== undefined && path.startsWith(`${location}/`));
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
  const db = new ClassicLevel<string, string>(location, { ...DATABASE_OPTIONS, createIfMissing });

  try {
    await db.open();
  } catch (error) {
    if (hasCode(error, 'LEVEL_LOCKED')) throw lockedError(location, error);
    throw storageError(location, 'cannot open', error);
  }

  return db;
}
