import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ClassicLevel } from 'classic-level';
import { recordKey } from '../../src/wal/keys.js';
import { encodePages, readPage, type StoredPage } from '../../src/wal/page.js';
import { Removal, indexesOf } from '../../src/wal/removal.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { makeDrafts } from './fixtures/drafts.js';
import { cutInFrames } from './fixtures/pages.js';

let dir: string;
let db: ClassicLevel<string, string>;

beforeEach(async () => {
  dir = await makeTempDir('tps-wal-removal-');
  db = new ClassicLevel<string, string>(join(dir, 'wal'));
  await db.open();
});

afterEach(async () => {
  await db.close();
  await removeDir(dir);
});

/** A page of `n` drafts from `firstSeq`, put in the database and read back. */
async function storedPage(firstSeq: number, n: number): Promise<StoredPage> {
  const [encoded] = encodePages(firstSeq, makeDrafts(n), 1_700_000_000_000);
  assert.ok(encoded !== undefined);
  await db.put<string, Buffer>(encoded.key, encoded.value, { valueEncoding: 'buffer' });
  const page = readPage(encoded.key, encoded.value);
  assert.ok(page.isReadable);

  return page;
}

/** The seqs each page of the database holds now, by key. */
async function pagesNow(): Promise<Record<string, readonly number[]>> {
  const entries = await db
    .iterator<string, Buffer>({ gte: 'r!', lt: 'r"', valueEncoding: 'buffer' })
    .all();

  return Object.fromEntries(
    entries.map(([key, value]) => {
      const page = readPage(key, value);
      return [key, page.isReadable ? page.seqs : []];
    }),
  );
}

describe('Removal', () => {
  it('takes whole pages away, and rewrites a page that keeps some records', async () => {
    const whole = await storedPage(1, 3);
    const partial = await storedPage(4, 5);
    const removal = new Removal();

    removal.removeEntry(whole);
    removal.removeRecords(partial, new Set([0, 2]));
    const batch = db.batch();
    const change = removal.stage(batch, 'sent');
    await batch.write();

    const rest = partial.without(new Set([0, 2]));
    assert.ok(rest !== undefined);
    assert.deepEqual(change, {
      pending: -5,
      pendingBytes: -(whole.bytes + partial.bytes - rest.length),
      dropped: { sent: 5 },
    });
    assert.deepEqual(await pagesNow(), { [recordKey(4)]: [5, 7, 8] });
    const stored = await db.get<string, Buffer>(recordKey(4), { valueEncoding: 'buffer' });
    assert.deepEqual(stored, rest);
  });

  it('deletes the key of a page that loses every record', async () => {
    const page = await storedPage(10, 4);
    const removal = new Removal();

    removal.removeRecords(page, new Set([0, 1, 2, 3]));
    const batch = db.batch();
    const change = removal.stage(batch, undefined);
    await batch.write();

    assert.deepEqual(removal.changes, [{ key: recordKey(10), value: undefined }]);
    assert.deepEqual(change, { pending: -4, pendingBytes: -page.bytes });
    assert.deepEqual(await pagesNow(), {});
  });

  it('counts an unreadable page by the records it held', async () => {
    const [encoded] = encodePages(1, makeDrafts(6), 1_700_000_000_000);
    const damaged = cutInFrames(encoded?.value ?? Buffer.alloc(0), recordKey(1));
    const entry = readPage(recordKey(1), damaged);
    assert.ok(!entry.isReadable);
    const removal = new Removal();

    removal.removeEntry(entry);

    assert.deepEqual([removal.records, removal.bytes], [6, damaged.length]);
  });

  it('changes nothing for no records, and stages nothing when empty', async () => {
    const page = await storedPage(1, 2);
    const removal = new Removal();

    removal.removeRecords(page, new Set());
    const batch = db.batch();
    const change = removal.stage(batch, 'sent');

    assert.deepEqual(change, {});
    assert.equal(batch.length, 0);
    await batch.close();
  });
});

describe('indexesOf', () => {
  it('finds the indexes of the seqs a page holds, and skips the others', async () => {
    const page = await storedPage(20, 4);

    assert.deepEqual([...indexesOf(page, new Set([19, 21, 23, 24, 99]))], [1, 3]);
  });
});
