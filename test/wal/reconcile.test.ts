import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ClassicLevel } from 'classic-level';
import { COUNTER_KEYS, LogCounters } from '../../src/wal/counters.js';
import { encodeEntry } from '../../src/wal/codec.js';
import { FORMAT_VERSION } from '../../src/wal/keys.js';
import { MAX_PAGE_RECORDS, encodePages, readPage } from '../../src/wal/page.js';
import { REPAIR_SEQ_GAP, reconcile, recount } from '../../src/wal/reconcile.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { makeDraft, makeDrafts } from './fixtures/drafts.js';
import { countsOf, keyOf } from './fixtures/raw.js';

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

/** Puts `value` under the record key of `seq`. */
async function put(seq: number, value: Buffer | string): Promise<void> {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  await db.put<string, Buffer>(keyOf(seq), bytes, { valueEncoding: 'buffer' });
}

/** Puts `n` records as one page from seq `firstSeq`; returns the page's bytes. */
async function putPage(firstSeq: number, n: number): Promise<number> {
  const [page] = encodePages(firstSeq, makeDrafts(n), 1_700_000_000_000);
  assert.ok(page !== undefined && page.count === n);
  await put(firstSeq, page.value);

  return page.value.length;
}

/** Puts quarantine entries under `n` seqs. */
async function putQuarantined(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await db.put(`q!${String(i).padStart(16, '0')}`, '{}');
}

function counters(values: Record<string, string>): LogCounters {
  return LogCounters.fromMeta(COUNTER_KEYS.map((key) => values[key]));
}

describe('recount', () => {
  it('finds the records, their bytes, the highest seq and the quarantine entries', async () => {
    // Records of layout 3, one JSON value each, below a page of layout 4, as after an upgrade.
    const old = [1, 2].map((seq) => encodeEntry(seq, makeDraft(seq), 1).value);
    for (const [i, value] of old.entries()) await put(i + 1, value);
    const pageBytes = await putPage(3, 3);
    await putQuarantined(2);
    await db.put('m!pending', '99');

    const oldBytes = old.reduce((sum, value) => sum + Buffer.byteLength(value), 0);
    assert.deepEqual(await recount(db), {
      records: 5,
      bytes: oldBytes + pageBytes,
      maxSeq: 5,
      quarantined: 2,
    });
  });

  it('counts the records a page still holds after some left it', async () => {
    await putPage(1, 5);
    const value = await db.get<string, Buffer>(keyOf(1), { valueEncoding: 'buffer' });
    const page = readPage(keyOf(1), value ?? Buffer.alloc(0));
    assert.ok(page.isReadable);
    const rest = page.without(new Set([0, 4])) ?? Buffer.alloc(0);
    await put(1, rest);

    assert.deepEqual(await recount(db), {
      records: 3,
      bytes: rest.length,
      maxSeq: 4,
      quarantined: 0,
    });
  });

  it('counts an unreadable page by what it held, and as reaching as far as its key allows', async () => {
    const bytes = await putPage(1, 4);
    const value = await db.get<string, Buffer>(keyOf(1), { valueEncoding: 'buffer' });
    await put(1, value?.subarray(0, bytes - 10) ?? '');
    await put(200, 'not json');

    assert.deepEqual(await recount(db), {
      records: 4 + 1,
      bytes: bytes - 10 + 'not json'.length,
      maxSeq: 200 + MAX_PAGE_RECORDS - 1,
      quarantined: 0,
    });
  });

  it('finds nothing in an empty store', async () => {
    assert.deepEqual(await recount(db), { records: 0, bytes: 0, maxSeq: 0, quarantined: 0 });
  });
});

describe('reconcile', () => {
  it('replaces the counters with what the scan finds, keeping the totals adding up', async () => {
    const bytes = await putPage(1, 2);
    const before = counters({ 'm!last-seq': '4', 'm!pending': '1', 'm!stored': '3' });
    before.raiseLastSeq(2);

    const lost = await reconcile(db, db.location, before, false);

    assert.equal(lost, 0);
    assert.equal(before.pending, 2);
    assert.equal(before.pendingBytes, bytes);
    assert.equal(before.lastSeq, 4, 'an upgrade moves no seq');
    assert.equal(before.stored, 2);
    assert.equal(await db.get('m!format'), FORMAT_VERSION);
    assert.equal(await db.get('m!pending-bytes'), String(bytes));
  });

  it('after a repair, jumps the seqs and counts missing records as corrupt', async () => {
    await putPage(1, 2);
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
    await putPage(1, 4);
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
