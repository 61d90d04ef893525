import { ClassicLevel } from 'classic-level';
import { recordKey } from '../../../src/wal/keys.js';
import { DATABASE_OPTIONS } from '../../../src/wal/storage.js';

/** The raw forms of writing a batch of records to classic-level, as ceilings for the log. */
export type RawForm = 'chained' | 'array-with-options';

/** A LevelDB opened as the log opens it. */
export type RawDb = ClassicLevel<string, string>;

/** Opens a LevelDB the way the log does (`DATABASE_OPTIONS`). */
export async function openRaw(location: string): Promise<ClassicLevel<string, string>> {
  const db = new ClassicLevel<string, string>(location, DATABASE_OPTIONS);
  await db.open();

  return db;
}

/** Writes pages as they are, under their own keys, in one synced batch (the log's form). */
export async function writeRawPages(
  db: ClassicLevel<string, string>,
  pages: readonly { key: string; value: Buffer }[],
): Promise<void> {
  const batch = db.batch();
  for (const { key, value } of pages)
    batch.put<string, Buffer>(key, value, { valueEncoding: 'buffer' });
  await batch.write({ sync: true });
}

/** Writes `values` under the next seqs after `firstSeq - 1` in one synced batch of `form`. */
export async function writeRaw(
  db: ClassicLevel<string, string>,
  form: RawForm,
  firstSeq: number,
  values: readonly string[],
): Promise<void> {
  if (form === 'chained') {
    const batch = db.batch();
    for (const [i, value] of values.entries()) batch.put(recordKey(firstSeq + i), value);
    await batch.write({ sync: true });
    return;
  }

  // The form the issue warns about: an options object on every call of the array form.
  const operations = values.map((value, i) => ({
    type: 'put' as const,
    key: recordKey(firstSeq + i),
    value,
  }));
  await db.batch(operations, { sync: true });
}
