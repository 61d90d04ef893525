import { mkdir } from 'node:fs/promises';
import { ClassicLevel } from 'classic-level';
import { TpsError } from '../errors.js';
import { LAYOUT_KEY, LAYOUT_VERSION, type KeyRange } from './keys.js';

/** One write of a {@link Store.write} batch. */
export interface PutOperation {
  key: string;
  value: unknown;
}

/**
 * A range for {@link Store.entries}: a {@link KeyRange}, or one that starts just after the key
 * `gt`; `limit` caps the entries yielded.
 */
export type ScanRange = (KeyRange | { gt: string; lt: string }) & { limit?: number };

function storageError(action: string, cause: unknown): TpsError {
  const detail = cause instanceof Error ? cause.message : String(cause);

  return new TpsError('ERR_TPS_STORAGE', `collector storage could not ${action}: ${detail}`, {
    cause,
  });
}

/**
 * The collector's embedded LevelDB database: JSON values under the string keys of `./keys.ts`.
 * Every failure is rethrown as a `TpsError` with code `ERR_TPS_STORAGE` and the LevelDB error
 * as its cause.
 */
export class Store {
  private constructor(
    private readonly db: ClassicLevel<string, unknown>,
    /** The database directory. */
    readonly location: string,
  ) {}

  /**
   * Opens (or creates) the database in `location`, making missing parent directories.
   *
   * @throws TpsError `ERR_TPS_STORAGE` when the directory cannot be made, is locked by another
   *   process, or holds a database of another key layout
   */
  static async open(location: string): Promise<Store> {
    const db = new ClassicLevel<string, unknown>(location, { valueEncoding: 'json' });
    try {
      await mkdir(location, { recursive: true });
      await db.open();
    } catch (error) {
      throw storageError(`open ${location}`, error);
    }

    const store = new Store(db, location);
    await store.checkLayout().catch(async (error: unknown) => {
      await db.close();
      throw error;
    });

    return store;
  }

  private async checkLayout(): Promise<void> {
    const [version] = await this.getMany([LAYOUT_KEY]);
    if (version === undefined) {
      await this.write([{ key: LAYOUT_KEY, value: LAYOUT_VERSION }]);
    } else if (version !== LAYOUT_VERSION) {
      const found = `${this.location} holds key layout ${String(version)}`;
      throw new TpsError('ERR_TPS_STORAGE', `${found}; this collector reads ${LAYOUT_VERSION}`);
    }
  }

  /** Reads several keys at once; a missing key reads as `undefined`. */
  async getMany(keys: string[]): Promise<unknown[]> {
    if (keys.length === 0) {
      return [];
    }
    try {
      return await this.db.getMany(keys);
    } catch (error) {
      throw storageError('read', error);
    }
  }

  /**
   * Writes every operation in one atomic batch, synced to disk before the promise resolves,
   * so that an answer sent after it survives a crash of the process or the machine.
   */
  async write(operations: PutOperation[]): Promise<void> {
    if (operations.length === 0) {
      return;
    }
    const batch = operations.map(({ key, value }) => ({ type: 'put' as const, key, value }));
    try {
      await this.db.batch(batch, { sync: true });
    } catch (error) {
      throw storageError('write', error);
    }
  }

  /**
   * Deletes the keys in one atomic batch, not synced: the callers (pruning) lose nothing but
   * time when a crash undoes it, and so leave the disk's syncs to the writes agents wait for.
   */
  async delete(keys: string[]): Promise<void> {
    if (keys.length === 0) {
      return;
    }
    const batch = keys.map((key) => ({ type: 'del' as const, key }));
    try {
      await this.db.batch(batch, { sync: false });
    } catch (error) {
      throw storageError('delete', error);
    }
  }

  /** Yields every entry in `range`, in key order. */
  async *entries(range: ScanRange): AsyncGenerator<[string, unknown]> {
    try {
      for await (const entry of this.db.iterator(range)) {
        yield entry;
      }
    } catch (error) {
      throw storageError('read a range', error);
    }
  }

  /** Closes the database; pending reads and writes finish first. */
  async close(): Promise<void> {
    try {
      await this.db.close();
    } catch (error) {
      throw storageError('close', error);
    }
  }
}
