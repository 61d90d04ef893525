import { mkdir } from 'node:fs/promises';
import { ClassicLevel } from 'classic-level';
import { TpsError } from '../errors.js';

/** The LevelDB the log lives in: UTF-8 string keys and values. */
export type LogDatabase = ClassicLevel<string, string>;

/** Wraps a LevelDB or file system failure, naming what failed and where. */
export function storageError(location: string, action: string, cause: unknown): TpsError {
  const detail = causeMessages(cause)
    .map((message) => `: ${message}`)
    .join('');

  return new TpsError('ERR_TPS_STORAGE', `write-ahead log at ${location}: ${action}${detail}`, {
    cause,
  });
}

/**
 * The messages down a cause chain. Level puts the useful part one level down: "Database failed
 * to open" carries "IO error: lock .../LOCK: already held by process" as its cause.
 */
function causeMessages(cause: unknown): string[] {
  const messages: string[] = [];
  for (let error = cause; error instanceof Error && messages.length < 3; error = error.cause) {
    messages.push(error.message);
  }

  return messages;
}

/**
 * Creates `location` with its parents if needed and opens the LevelDB there.
 *
 * @throws {TpsError} `ERR_TPS_STORAGE` with the file system or LevelDB error as `cause`, for
 * example when another process holds the database's lock.
 */
export async function openDatabase(location: string): Promise<LogDatabase> {
  const db = new ClassicLevel<string, string>(location, {
    keyEncoding: 'utf8',
    valueEncoding: 'utf8',
  });

  try {
    await mkdir(location, { recursive: true });
    await db.open();
  } catch (error) {
    throw storageError(location, 'cannot open', error);
  }

  return db;
}
