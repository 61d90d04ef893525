import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { WriteAheadLog } from '../../src/wal/index.js';
import { DEFAULT_MAX_BYTES, bytesOfPages, newestThatFit } from '../../src/wal/capacity.js';
import { encodePages } from '../../src/wal/page.js';
import { recount } from '../../src/wal/reconcile.js';
import { LogHarness } from './fixtures/log-harness.js';
import { makeDraft, makeDrafts } from './fixtures/drafts.js';
import { bytesOfDrafts, cutInFrames } from './fixtures/pages.js';
import { countsOf, dropRecorder, replaceValue, withRaw, writeLayout3 } from './fixtures/raw.js';

const harness = new LogHarness();
beforeEach(() => harness.setUp());
afterEach(() => harness.tearDown());

/**
 * Bytes one more record of `makeDrafts` adds to a page. The drafts differ only in `t`, so a page
 * of n of them takes `PAGE_OVERHEAD + n * RECORD_BYTES`: its header and string table, and a
 * frame per record.
 */
const RECORD_BYTES = bytesOfDrafts(2) - bytesOfDrafts(1);
const PAGE_OVERHEAD = bytesOfDrafts(1) - RECORD_BYTES;

async function seqs(log: WriteAheadLog): Promise<number[]> {
  return (await log.readOldest(10_000)).map((record) => record.seq);
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

  it('counts the bytes of the pending page values exactly', async () => {
    const log = await harness.open();
    await log.append(makeDrafts(4));

    assert.equal(log.pendingBytes, bytesOfDrafts(4));
    assert.ok(PAGE_OVERHEAD > 0 && RECORD_BYTES > 0);
    await log.delete([1], 'sent');
    assert.equal(log.pendingBytes, bytesOfDrafts(3), 'the page was rewritten without it');
    await log.quarantine([2], 'rejected', 'x');
    assert.equal(log.pendingBytes, bytesOfDrafts(2));

    const reopened = await harness.reopen(log);
    assert.equal(reopened.pendingBytes, bytesOfDrafts(2));
    await assertBytesExact(reopened);
  });

  it('drops the fewest oldest records that make room, in the same batch as the append', async () => {
    const drops = dropRecorder();
    // Room for both appends but two records: the first page must lose its two oldest.
    const maxBytes = bytesOfDrafts(5) + bytesOfDrafts(2) - 2 * RECORD_BYTES;
    const log = await harness.open({ maxBytes, onDropped: drops.onDropped });
    await log.append(makeDrafts(5));

    const records = await log.append(makeDrafts(2));

    assert.deepEqual(
      records.map((record) => record.seq),
      [6, 7],
    );
    assert.deepEqual(await seqs(log), [3, 4, 5, 6, 7]);
    assert.deepEqual(log.counts(), countsOf({ size: 2 }));
    assert.equal(log.pendingBytes, maxBytes);
    assert.equal(log.totalStored, 7);
    assert.deepEqual(drops.calls, [['size', 2]]);
    await assertBytesExact(log);
  });

  it('keeps only the newest drafts that fit when one append is bigger than the cap', async () => {
    const log = await harness.open({ maxBytes: bytesOfDrafts(3) });
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
    const log = await harness.open({ maxBytes: bytesOfDrafts(1) - 1 });

    assert.deepEqual(await log.append(makeDrafts(2)), []);
    assert.deepEqual(log.counts(), countsOf({ size: 2 }));
    assert.equal(log.pendingCount, 0);
    assert.equal(log.pendingBytes, 0);
  });

  it('drops from the oldest pending record, past records already sent', async () => {
    const maxBytes = bytesOfDrafts(2) + bytesOfDrafts(3) - RECORD_BYTES;
    const log = await harness.open({ maxBytes });
    await log.append(makeDrafts(4));
    await log.delete([1, 2], 'sent');
    await log.readOldest(1);

    await log.append(makeDrafts(3));

    assert.deepEqual(await seqs(log), [4, 5, 6, 7]);
    assert.deepEqual(log.counts(), countsOf({ sent: 2, size: 1 }));
    await assertBytesExact(log);
  });

  it('drops an unreadable page whole by size, like any other, counting what it held', async () => {
    const first = await harness.open();
    await first.append(makeDrafts(3));
    await first.append(makeDrafts(1));
    await first.close();
    // Cut inside its last record: the page no longer reads, its header still counts 3.
    await replaceValue(harness.location, 1, cutInFrames);
    const log = await harness.open({ maxBytes: 2 * bytesOfDrafts(1) });

    await log.append(makeDrafts(1));

    assert.deepEqual(await seqs(log), [4, 5]);
    assert.deepEqual(log.counts(), countsOf({ size: 3 }));
    await assertBytesExact(log);
  });

  it('drops unreadable records of layout 3 by size like any other', async () => {
    const bytes = await writeLayout3(harness.location, makeDrafts(2), 1_700_000_000_000);
    await replaceValue(harness.location, 1, (value) => 'garbage'.padEnd(value.length));
    const log = await harness.open({ maxBytes: (bytes[1] ?? 0) + bytesOfDrafts(1) });

    await log.append(makeDrafts(1));

    assert.deepEqual(await seqs(log), [2, 3]);
    assert.deepEqual(log.counts(), countsOf({ size: 1 }));
    await assertBytesExact(log);
  });

  it('applies a smaller cap at the next append after reopening', async () => {
    const first = await harness.open();
    await first.append(makeDrafts(6));

    const second = await harness.reopen(first, { maxBytes: 2 * bytesOfDrafts(1) });
    await second.append(makeDrafts(1));

    assert.deepEqual(await seqs(second), [6, 7]);
    assert.deepEqual(second.counts(), countsOf({ size: 5 }));
    await assertBytesExact(second);
  });
});

describe('WriteAheadLog size cap beside readers', () => {
  it('drops records across many pages of a read, in one batch', async () => {
    const maxBytes = bytesOfDrafts(600);
    const log = await harness.open({ maxBytes });
    await log.append(makeDrafts(600));

    await log.append(makeDrafts(550));

    // Whole pages go first; the one that holds seq 513 to 600 then loses its oldest records, and
    // keeps its header, which the new pages have too: a few more records than 550 go.
    const dropped = 550 + Math.ceil(PAGE_OVERHEAD / RECORD_BYTES);
    assert.equal(log.pendingCount, 1150 - dropped);
    assert.deepEqual(log.counts(), countsOf({ size: dropped }));
    assert.equal((await log.readOldest(1))[0]?.seq, dropped + 1);
    assert.ok(log.pendingBytes <= maxBytes);
    await assertBytesExact(log);
  });

  it('counts once a batch in flight that the cap dropped before it was acknowledged', async () => {
    const log = await harness.open({
      maxBytes: bytesOfDrafts(6) + bytesOfDrafts(4) - 4 * RECORD_BYTES,
    });
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
  const STORED_AT = 1_700_000_000_000;
  // Sizes that differ, so that each count dropped gives a distinct total.
  const drafts = [30, 20, 10].map((length) =>
    makeDraft(STORED_AT, { endpoint: 'e'.repeat(length) }),
  );
  const append = { drafts, firstSeq: 1, storedAtMs: STORED_AT };
  const all = encodePages(1, drafts, STORED_AT);
  const fromSeq = (seq: number): ReturnType<typeof encodePages> =>
    encodePages(seq, drafts.slice(seq - 1), STORED_AT);

  it('keeps every draft that fits and drops the oldest that do not', () => {
    const total = bytesOfPages(all);

    assert.deepEqual(newestThatFit(all, append, total), { pages: all, dropped: 0 });
    assert.deepEqual(newestThatFit(all, append, total - 1), { pages: fromSeq(2), dropped: 1 });
    const lastOnly = bytesOfPages(fromSeq(3));
    assert.deepEqual(newestThatFit(all, append, lastOnly), { pages: fromSeq(3), dropped: 2 });
    assert.deepEqual(newestThatFit(all, append, lastOnly - 1), { pages: [], dropped: 3 });
  });

  it('encodes the pages kept from the first seq kept on', () => {
    const { pages } = newestThatFit(all, append, bytesOfPages(fromSeq(2)));

    assert.deepEqual(
      pages.map((page) => [page.key, page.count]),
      [['r!0000000000000002', 2]],
    );
  });
});
