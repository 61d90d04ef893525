import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { WriteAheadLog } from '../../src/wal/index.js';
import { DEFAULT_MAX_BYTES, newestThatFit } from '../../src/wal/capacity.js';
import { encodeEntry } from '../../src/wal/codec.js';
import { recount } from '../../src/wal/reconcile.js';
import { LogHarness } from './fixtures/log-harness.js';
import { makeDraft, makeDrafts } from './fixtures/drafts.js';
import { countsOf, damageRecord, dropRecorder, withRaw } from './fixtures/raw.js';

const harness = new LogHarness();
beforeEach(() => harness.setUp());
afterEach(() => harness.tearDown());

/** Bytes one record of `makeDrafts` takes in the log: they all have the same size. */
const RECORD_BYTES = encodeEntry(1, makeDraft(1_700_000_000_000), 1_700_000_000_000).bytes;

async function seqs(log: WriteAheadLog): Promise<number[]> {
  return (await log.readOldest(1000)).map((record) => record.seq);
}

/** Closes `log` and asserts its byte and record counters equal a full scan of the store. */
async function assertBytesExact(log: WriteAheadLog): Promise<void> {
  const { pendingCount, pendingBytes } = log;
  await log.close();
  const found = await withRaw(harness.location, recount);

  assert.equal(found.records, pendingCount);
  assert.equal(found.bytes, pendingBytes);
}

describe('WriteAheadLog size cap', () => {
  it('caps the log at 256 MiB unless told otherwise', () => {
    assert.equal(DEFAULT_MAX_BYTES, 268_435_456);
  });

  it('counts the bytes of the pending values exactly', async () => {
    const log = await harness.open();
    await log.append(makeDrafts(4));

    assert.equal(log.pendingBytes, 4 * RECORD_BYTES);
    await log.delete([1], 'sent');
    await log.quarantine([2], 'rejected', 'x');
    assert.equal(log.pendingBytes, 2 * RECORD_BYTES);

    const reopened = await harness.reopen(log);
    assert.equal(reopened.pendingBytes, 2 * RECORD_BYTES);
    await assertBytesExact(reopened);
  });

  it('drops the oldest records for size in the same batch as the append', async () => {
    const drops = dropRecorder();
    const maxBytes = 5 * RECORD_BYTES + 10;
    const log = await harness.open({ maxBytes, onDropped: drops.onDropped });
    await log.append(makeDrafts(5));

    const records = await log.append(makeDrafts(2));

    assert.deepEqual(
      records.map((record) => record.seq),
      [6, 7],
    );
    assert.deepEqual(await seqs(log), [3, 4, 5, 6, 7]);
    assert.deepEqual(log.counts(), countsOf({ size: 2 }));
    assert.equal(log.pendingBytes, 5 * RECORD_BYTES);
    assert.equal(log.totalStored, 7);
    assert.deepEqual(drops.calls, [['size', 2]]);
    await assertBytesExact(log);
  });

  it('keeps only the newest drafts that fit when one append is bigger than the cap', async () => {
    const log = await harness.open({ maxBytes: 3 * RECORD_BYTES });
    await log.append(makeDrafts(2));

    const records = await log.append(makeDrafts(5));

    assert.deepEqual(
      records.map((record) => record.seq),
      [5, 6, 7],
    );
    assert.deepEqual(await seqs(log), [5, 6, 7]);
    assert.deepEqual(log.counts(), countsOf({ size: 4 }));
    assert.equal(log.totalStored, 7, 'every draft took a seq');
    assert.equal((await log.append(makeDrafts(1)))[0]?.seq, 8);
    await assertBytesExact(log);
  });

  it('drops a whole append whose every draft is bigger than the cap', async () => {
    const log = await harness.open({ maxBytes: RECORD_BYTES - 1 });

    assert.deepEqual(await log.append(makeDrafts(2)), []);
    assert.deepEqual(log.counts(), countsOf({ size: 2 }));
    assert.equal(log.pendingCount, 0);
    assert.equal(log.pendingBytes, 0);
  });

  it('drops from the oldest pending record, past records already sent', async () => {
    const log = await harness.open({ maxBytes: 4 * RECORD_BYTES });
    await log.append(makeDrafts(4));
    await log.delete([1, 2], 'sent');
    await log.readOldest(1);

    await log.append(makeDrafts(3));

    assert.deepEqual(await seqs(log), [4, 5, 6, 7]);
    assert.deepEqual(log.counts(), countsOf({ sent: 2, size: 1 }));
  });

  it('drops unreadable records by size like any other, without reading them', async () => {
    const first = await harness.open();
    await first.append(makeDrafts(2));
    await first.close();
    await damageRecord(harness.location, 1, 'garbage');
    const log = await harness.open({ maxBytes: 2 * RECORD_BYTES });

    await log.append(makeDrafts(1));

    assert.deepEqual(await seqs(log), [2, 3]);
    assert.deepEqual(log.counts(), countsOf({ size: 1 }));
  });

  it('applies a smaller cap at the next append after reopening', async () => {
    const first = await harness.open();
    await first.append(makeDrafts(6));

    const second = await harness.reopen(first, { maxBytes: 2 * RECORD_BYTES });
    await second.append(makeDrafts(1));

    assert.deepEqual(await seqs(second), [6, 7]);
    assert.deepEqual(second.counts(), countsOf({ size: 5 }));
  });
});

describe('WriteAheadLog size cap beside readers', () => {
  it('drops records across many pages of a read, in one batch', async () => {
    const log = await harness.open({ maxBytes: 600 * RECORD_BYTES });
    await log.append(makeDrafts(600));

    await log.append(makeDrafts(550));

    assert.equal(log.pendingCount, 600);
    assert.deepEqual(log.counts(), countsOf({ size: 550 }));
    assert.equal((await log.readOldest(1))[0]?.seq, 551);
    await assertBytesExact(log);
  });

  it('counts once a batch in flight that the cap dropped before it was acknowledged', async () => {
    const log = await harness.open({ maxBytes: 6 * RECORD_BYTES });
    await log.append(makeDrafts(6));
    const inFlight = await log.readOldest(3);
    const next = await log.readOldest(3, { afterSeq: 3 });

    await log.append(makeDrafts(4));
    const sent = await log.delete(
      [...inFlight, ...next].map((record) => record.seq),
      'sent',
    );

    assert.equal(sent, 2, 'only seqs 5 and 6 were still there');
    assert.deepEqual(await seqs(log), [7, 8, 9, 10]);
    assert.deepEqual(log.counts(), countsOf({ size: 4, sent: 2 }));
    assert.equal(log.totalStored, 10);
    await assertBytesExact(log);
  });
});

describe('newestThatFit', () => {
  const entries = [10, 20, 30].map((bytes) => ({ key: '', value: '', record: {} as never, bytes }));

  it('keeps every entry that fits and drops the oldest that do not', () => {
    assert.deepEqual(newestThatFit(entries, 60), { dropped: 0, keptBytes: 60 });
    assert.deepEqual(newestThatFit(entries, 59), { dropped: 1, keptBytes: 50 });
    assert.deepEqual(newestThatFit(entries, 30), { dropped: 2, keptBytes: 30 });
    assert.deepEqual(newestThatFit(entries, 29), { dropped: 3, keptBytes: 0 });
  });
});
