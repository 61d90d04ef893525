import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ClassicLevel } from 'classic-level';
import { COUNTER_KEYS, LogCounters } from '../../src/wal/counters.js';
import { FORMAT_VERSION } from '../../src/wal/keys.js';
import { REPAIR_SEQ_GAP, reconcile, recount } from '../../src/wal/reconcile.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { countsOf } from './fixtures/raw.js';

let dir: string;
let db: ClassicLevel<string, string>;

beforeEach(async () => {
  dir = await makeTempDir('tps-wal-reconcile-');
  db = new ClassicLevel<string, string>(join(dir, 'wal'));
  await db.open();
});

afterEach(async () => {
  await db.close();
  await removeDir(dir);
});

/** Puts records with values of the given sizes under seqs 1, 2, 3, … and quarantine keys. */
async function fill(sizes: readonly number[], quarantined = 0): Promise<void> {
  const batch = db.batch();
  sizes.forEach((size, i) =>
    batch.put(`r!${(i + 1).toString(16).padStart(16, '0')}`, 'x'.repeat(size)),
  );
  for (let i = 0; i < quarantined; i++) batch.put(`q!${String(i).padStart(16, '0')}`, '{}');
  await batch.write();
}

function counters(values: Record<string, string>): LogCounters {
  return LogCounters.fromMeta(COUNTER_KEYS.map((key) => values[key]));
}

describe('recount', () => {
  it('finds the records, their bytes, the highest seq and the quarantine entries', async () => {
    await fill([10, 20, 'é'.length], 2);
    await db.put('m!pending', '99');

    assert.deepEqual(await recount(db), { records: 3, bytes: 31, maxSeq: 3, quarantined: 2 });
  });

  it('finds nothing in an empty store', async () => {
    assert.deepEqual(await recount(db), { records: 0, bytes: 0, maxSeq: 0, quarantined: 0 });
  });
});

describe('reconcile', () => {
  it('replaces the counters with what the scan finds, keeping the totals adding up', async () => {
    await fill([5, 5]);
    const before = counters({ 'm!last-seq': '4', 'm!pending': '1', 'm!stored': '3' });
    before.raiseLastSeq(2);

    const lost = await reconcile(db, db.location, before, false);

    assert.equal(lost, 0);
    assert.equal(before.pending, 2);
    assert.equal(before.pendingBytes, 10);
    assert.equal(before.lastSeq, 4, 'an upgrade moves no seq');
    assert.equal(before.stored, 2);
    assert.equal(await db.get('m!format'), FORMAT_VERSION);
    assert.equal(await db.get('m!pending-bytes'), '10');
  });

  it('after a repair, jumps the seqs and counts missing records as corrupt', async () => {
    await fill([5, 5]);
    const before = counters({
      'm!last-seq': '9',
      'm!pending': '5',
      'm!stored': '9',
      'm!deleted!sent': '4',
    });

    const lost = await reconcile(db, db.location, before, true);

    assert.equal(lost, 3);
    assert.equal(before.lastSeq, 9 + REPAIR_SEQ_GAP);
    assert.deepEqual(before.droppedCounts(), countsOf({ sent: 4, corrupt: 3 }));
    assert.equal(before.stored, 9);
    assert.equal(await db.get('m!last-seq'), String(9 + REPAIR_SEQ_GAP));
  });

  it('takes the highest record seq when it is above the stored last seq', async () => {
    await fill([1, 1, 1, 1]);
    const before = counters({ 'm!last-seq': '2', 'm!pending': '2', 'm!stored': '2' });

    await reconcile(db, db.location, before, true);

    assert.equal(before.lastSeq, 4 + REPAIR_SEQ_GAP);
    assert.equal(before.stored, 4, 'records nobody counted are counted as stored now');
  });

  it('wraps a LevelDB failure as a storage error', async () => {
    await db.close();

    await assert.rejects(
      reconcile(db, db.location, counters({}), true),
      /cannot recount the records/,
    );
    await db.open();
  });
});
