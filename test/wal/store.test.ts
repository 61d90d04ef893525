import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ClassicLevel } from 'classic-level';
import { isTpsError } from '../../src/errors.js';
import { LogCounters } from '../../src/wal/counters.js';
import { recordKey } from '../../src/wal/keys.js';
import { RecordStore, SWEEP_STEP_RECORDS } from '../../src/wal/store.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { makeDraft, makeDrafts } from './fixtures/drafts.js';

let dir: string;
let db: ClassicLevel<string, string>;
let store: RecordStore;

beforeEach(async () => {
  dir = await makeTempDir('tps-wal-store-');
  db = new ClassicLevel<string, string>(join(dir, 'wal'));
  await db.open();
  store = new RecordStore(db.location, db, LogCounters.fromMeta([]));
});

afterEach(async () => {
  await db.close();
  await removeDir(dir);
});

/** Asserts a storage error for `action` whose cause is LevelDB's "not open" error. */
function isNotOpenError(action: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(isTpsError(error) && error.code === 'ERR_TPS_STORAGE');
    assert.ok(error.message.includes(db.location));
    assert.match(error.message, action);
    assert.equal((error.cause as { code?: unknown }).code, 'LEVEL_DATABASE_NOT_OPEN');

    return true;
  };
}

describe('RecordStore', () => {
  it('writes the records and the counters in one batch', async () => {
    await store.append(makeDrafts(3));
    await store.deletePresent([recordKey(2)], 'sent');

    const meta = await db.getMany(['m!last-seq', 'm!pending', 'm!stored', 'm!deleted!sent']);
    const keys = await db.keys({ gte: 'r!', lt: 'r"' }).all();

    assert.deepEqual(meta, ['3', '2', '3', '1']);
    assert.deepEqual(keys, [recordKey(1), recordKey(3)]);
  });

  it('wraps LevelDB failures with the LevelDB error as cause and keeps the counters', async () => {
    await store.append(makeDrafts(2));
    await db.close();

    await assert.rejects(store.append(makeDrafts(1)), isNotOpenError(/cannot append/));
    await assert.rejects(store.readOldest(1), isNotOpenError(/cannot read records/));
    await assert.rejects(store.deletePresent([recordKey(1)], 'sent'), isNotOpenError(/look up/));
    await assert.rejects(store.sweepStep(undefined, 0), isNotOpenError(/cannot read records/));

    assert.equal(store.counters.lastSeq, 2, 'a failed append gives away no seq');
    assert.equal(store.counters.pending, 2);
    await db.open();
  });

  it('reads on past records deleted from the front, and sees records appended later', async () => {
    await store.append(makeDrafts(10));
    assert.equal((await store.readOldest(3))[0]?.seq, 1);

    await store.deletePresent([1, 2, 3, 4, 5].map(recordKey), 'sent');
    const afterDelete = await store.readOldest(100);
    await store.append(makeDrafts(2));
    const afterAppend = await store.readOldest(100);

    assert.deepEqual(
      afterDelete.map((record) => record.seq),
      [6, 7, 8, 9, 10],
    );
    assert.deepEqual(
      afterAppend.map((record) => record.seq),
      [6, 7, 8, 9, 10, 11, 12],
    );
  });

  it('sweeps from the oldest record a read found', async () => {
    await store.append([makeDraft(1), makeDraft(1), makeDraft(9)]);
    await store.deletePresent([recordKey(1)], 'sent');
    await store.readOldest(1);

    assert.deepEqual(await store.sweepStep(undefined, 5), { deleted: 1, lastKey: undefined });
    assert.deepEqual(
      (await store.readOldest(10)).map((record) => record.seq),
      [3],
    );
  });

  it('sweeps in steps of a bounded size, reporting where each stopped', async () => {
    await store.append(Array.from({ length: SWEEP_STEP_RECORDS + 5 }, () => makeDraft(1)));

    const first = await store.sweepStep(undefined, 2);
    const second = await store.sweepStep(first.lastKey, 2);

    assert.deepEqual(first, {
      deleted: SWEEP_STEP_RECORDS,
      lastKey: recordKey(SWEEP_STEP_RECORDS),
    });
    assert.deepEqual(second, { deleted: 5, lastKey: undefined });
    assert.equal(store.counters.pending, 0);
  });
});
