import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { encodePages } from '../../src/wal/page.js';
import { LogHarness } from './fixtures/log-harness.js';
import { makeDrafts } from './fixtures/drafts.js';
import { countsOf, dropRecorder, rawPages, withRaw } from './fixtures/raw.js';

const harness = new LogHarness();
beforeEach(() => harness.setUp());
afterEach(() => harness.tearDown());

// Keys under r! that the log cannot have written: not hex, and past 2^53.
const FOREIGN_KEYS = ['r!zz', 'r!ffffffffffffffff'];

/** Appends `n` records to a new log, closes it, and puts `value` under `key` behind its back. */
async function withForeign(key: string, value: Buffer, n = 3): Promise<void> {
  const log = await harness.open();
  await log.append(makeDrafts(n));
  await log.close();
  await withRaw(harness.location, (db) =>
    db.put<string, Buffer>(key, value, { valueEncoding: 'buffer' }),
  );
}

async function rawKeys(): Promise<string[]> {
  return (await rawPages(harness.location)).map(([key]) => key);
}

for (const key of FOREIGN_KEYS) {
  describe(`a foreign key ${key} in the record range`, () => {
    it('leaves the last seq alone, so appends go on after the last record', async () => {
      await withForeign(key, Buffer.from('junk'));

      const log = await harness.open();
      const appended = await log.append(makeDrafts(2));

      assert.deepEqual(
        appended.map(({ seq }) => seq),
        [4, 5],
      );
      assert.equal(log.pendingCount, 5);
    });

    it('is deleted and counted as corrupt when a read meets it, the records read', async () => {
      await withForeign(key, Buffer.from('junk'));
      const drops = dropRecorder();
      const log = await harness.open(drops);

      const records = await log.readOldest(100);

      assert.deepEqual(
        records.map(({ seq }) => seq),
        [1, 2, 3],
      );
      assert.deepEqual(log.counts(), countsOf({ corrupt: 1 }));
      assert.deepEqual(drops.calls, [['corrupt', 1]]);
      assert.deepEqual(await log.readQuarantine(10), [], 'no entry: it has no seq to go under');
      await log.close();
      assert.equal((await rawKeys()).includes(key), false);
    });

    it('is deleted and counted as corrupt by a sweep', async () => {
      await withForeign(key, Buffer.from('junk'));
      const log = await harness.open();

      assert.equal(await log.sweep(60_000), 0);

      assert.deepEqual(log.counts(), countsOf({ corrupt: 1 }));
      await log.close();
      assert.equal((await rawKeys()).includes(key), false);
    });

    it('counts as the records it held when its value is a page', async () => {
      const [page] = encodePages(4, makeDrafts(5), 1);
      await withForeign(key, page?.value ?? Buffer.alloc(0));
      const log = await harness.open();

      assert.equal((await log.readOldest(100)).length, 3);

      assert.deepEqual(log.counts(), countsOf({ corrupt: 5 }));
      assert.equal((await log.append(makeDrafts(1)))[0]?.seq, 4);
    });
  });
}

describe('a foreign key between two pages', () => {
  // Sorts after the page of seqs 1 to 3 and before the page of seqs 4 to 6.
  const between = 'r!0000000000000001x';

  it('hides no record from a read after a seq, nor from a delete', async () => {
    const log = await harness.open();
    await log.append(makeDrafts(3));
    await log.append(makeDrafts(3));
    await log.close();
    await withRaw(harness.location, (db) => db.put(between, 'junk'));
    const again = await harness.open();

    const after = await again.readOldest(2, { afterSeq: 1 });
    const deleted = await again.delete([3], 'sent');

    assert.deepEqual(
      after.map(({ seq }) => seq),
      [2, 3],
    );
    assert.equal(deleted, 1);
    assert.deepEqual(
      (await again.readOldest(100)).map(({ seq }) => seq),
      [1, 2, 4, 5, 6],
    );
    assert.deepEqual(again.counts(), countsOf({ sent: 1, corrupt: 1 }));
  });
});
