import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { FakeClock } from '../helpers/fake-clock.js';
import { LogHarness } from './fixtures/log-harness.js';
import { makeDraft, makeDrafts } from './fixtures/drafts.js';
import { bytesOfDrafts } from './fixtures/pages.js';
import { countsOf } from './fixtures/raw.js';

const harness = new LogHarness();
beforeEach(() => harness.setUp());
afterEach(() => harness.tearDown());

describe('WriteAheadLog append and readOldest', () => {
  it('gives records seqs 1, 2, 3 and reads them back in order', async () => {
    const log = await harness.open();
    const drafts = makeDrafts(3);

    const records = await log.append(drafts);

    assert.deepEqual(
      records,
      drafts.map((draft, i) => ({ ...draft, seq: i + 1 })),
    );
    assert.deepEqual(await log.readOldest(10), records);
  });

  it('continues the seqs over later appends and reads oldest first up to the limit', async () => {
    const log = await harness.open();

    await log.append(makeDrafts(2));
    await log.append(makeDrafts(3));
    const oldest = await log.readOldest(4);

    assert.deepEqual(
      oldest.map((record) => record.seq),
      [1, 2, 3, 4],
    );
  });

  it('orders seqs past the first hex digit numerically', async () => {
    const log = await harness.open();

    await log.append(makeDrafts(300));
    const seqs = (await log.readOldest(300)).map((record) => record.seq);

    assert.deepEqual(
      seqs,
      Array.from({ length: 300 }, (_, i) => i + 1),
    );
  });

  it('gives concurrent appends distinct seqs in call order', async () => {
    const log = await harness.open();

    const batches = await Promise.all(Array.from({ length: 10 }, () => log.append(makeDrafts(3))));

    const seqs = batches.flat().map((record) => record.seq);
    assert.deepEqual(
      seqs,
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
    assert.equal(log.pendingCount, 30);
  });

  it('keeps strings, tags and error kinds exactly', async () => {
    const log = await harness.open();
    const draft = makeDraft(1_700_000_000_000, {
      endpoint: '/v1/ünïcödé/"quoted"\\path\n',
      tags: { 'emoji 🚀': 'yes', empty: '' },
      error_kinds: { 'TypeError: x is "undefined"': 2, other: 1 },
    });

    await log.append([draft]);

    assert.deepEqual(await log.readOldest(1), [{ ...draft, seq: 1 }]);
  });

  it('gives the key seq even when a draft carries a seq of its own', async () => {
    const log = await harness.open();
    const stale = { ...makeDraft(1), seq: 99 };

    const [record] = await log.append([stale]);
    const [read] = await log.readOldest(1);

    assert.equal(record?.seq, 1);
    assert.equal(read?.seq, 1);
  });

  it('returns nothing for an empty append and changes no counter', async () => {
    const log = await harness.open();

    assert.deepEqual(await log.append([]), []);
    assert.equal(log.totalStored, 0);
    assert.deepEqual(await log.readOldest(0), []);
  });

  it('tells the t of the oldest record', async () => {
    const log = await harness.open();
    assert.equal(await log.oldestPendingTime(), undefined);

    // The wall clock stepped back between the two appends: oldest means lowest seq.
    await log.append([makeDraft(5000)]);
    await log.append([makeDraft(1000)]);

    assert.equal(await log.oldestPendingTime(), 5000);
  });
});

describe('WriteAheadLog delete', () => {
  it('deletes exactly the records named', async () => {
    const log = await harness.open();
    await log.append(makeDrafts(5));

    const deleted = await log.delete([2, 4], 'sent');

    assert.equal(deleted, 2);
    assert.deepEqual(
      (await log.readOldest(10)).map((record) => record.seq),
      [1, 3, 5],
    );
    assert.equal(log.pendingCount, 3);
    assert.deepEqual(log.counts(), countsOf({ sent: 2 }));
  });

  it('counts only records that exist', async () => {
    const log = await harness.open();
    await log.append(makeDrafts(2));

    const deleted = await log.delete([1, 7, 1000], 'sent');

    assert.equal(deleted, 1);
    assert.equal(log.pendingCount, 1);
    assert.deepEqual(log.counts(), countsOf({ sent: 1 }));
  });

  it('does not count a record twice, in one call or in two', async () => {
    const log = await harness.open();
    await log.append(makeDrafts(3));

    assert.equal(await log.delete([2, 2, 2], 'sent'), 1);
    assert.equal(await log.delete([2], 'sent'), 0);
    assert.equal(await log.delete([2], 'retention'), 0);

    assert.equal(log.pendingCount, 2);
    assert.deepEqual(log.counts(), countsOf({ sent: 1 }));
  });

  it('counts concurrent deletes of the same records once', async () => {
    const log = await harness.open();
    await log.append(makeDrafts(10));
    const seqs = Array.from({ length: 10 }, (_, i) => i + 1);

    const results = await Promise.all([log.delete(seqs, 'sent'), log.delete(seqs, 'retention')]);

    assert.deepEqual(results, [10, 0]);
    assert.equal(log.pendingCount, 0);
    assert.deepEqual(log.counts(), countsOf({ sent: 10 }));
  });

  it('counts each reason apart', async () => {
    const log = await harness.open();
    await log.append(makeDrafts(5));

    await log.delete([1, 2], 'sent');
    await log.delete([3], 'retention');

    assert.deepEqual(log.counts(), countsOf({ sent: 2, retention: 1 }));
  });

  it('deletes nothing for an empty list', async () => {
    const log = await harness.open();
    await log.append(makeDrafts(1));

    assert.equal(await log.delete([], 'sent'), 0);
    assert.equal(log.pendingCount, 1);
  });
});

describe('WriteAheadLog reopen', () => {
  it('keeps the agent id, counters and seqs across close and reopen', async () => {
    const first = await harness.open();
    await first.append(makeDrafts(6));
    await first.delete([1, 2], 'sent');
    await first.delete([3], 'retention');

    const second = await harness.reopen(first);

    assert.match(second.agentId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(second.agentId, first.agentId);
    assert.equal(second.pendingCount, 3);
    assert.equal(second.totalStored, 6);
    assert.deepEqual(second.counts(), countsOf({ sent: 2, retention: 1 }));
    const [next] = await second.append(makeDrafts(1));
    assert.equal(next?.seq, 7);
  });

  it('never reuses a seq after every record was deleted and the log reopened', async () => {
    const first = await harness.open();
    await first.append(makeDrafts(4));
    await first.delete([1, 2, 3, 4], 'sent');

    const second = await harness.reopen(first);
    const [next] = await second.append(makeDrafts(1));

    assert.equal(second.pendingCount, 1);
    assert.equal(next?.seq, 5);
    assert.equal(second.totalStored, 5);
  });

  it('keeps pending and stored exact over many reopen cycles', async () => {
    let log = await harness.open();

    for (let cycle = 1; cycle <= 5; cycle++) {
      await log.append(makeDrafts(10));
      await log.delete([cycle * 10 - 9, cycle * 10 - 8, cycle * 10 - 8], 'sent');
      log = await harness.reopen(log);

      assert.equal(log.totalStored, cycle * 10);
      assert.equal(log.pendingCount, cycle * 8);
      assert.equal((await log.readOldest(1000)).length, cycle * 8);
    }
  });
});

describe('WriteAheadLog counters across reopen', () => {
  it('keeps all five drop counts, the byte count and the quarantine count', async () => {
    const clock = new FakeClock();
    // The pages hold 5, 2 and 3 records when the last append comes: room for all but two.
    const recordBytes = bytesOfDrafts(2) - bytesOfDrafts(1);
    const maxBytes = bytesOfDrafts(5) + bytesOfDrafts(2) + bytesOfDrafts(3) - 2 * recordBytes;
    const first = await harness.open({ clock, maxBytes });
    await first.append(makeDrafts(8));
    await first.delete([1], 'sent');
    await first.quarantine([2], 'rejected', 'refused');
    clock.advance(60_000);
    await first.append(makeDrafts(2));
    await first.delete([3], 'retention');
    await first.append(makeDrafts(3));
    const counts = first.counts();
    const { pendingBytes, pendingCount, totalStored } = first;

    const second = await harness.reopen(first, { clock });

    assert.deepEqual(counts, countsOf({ sent: 1, rejected: 1, retention: 1, size: 2 }));
    assert.deepEqual(second.counts(), counts);
    assert.equal(second.pendingBytes, pendingBytes);
    assert.equal(second.pendingCount, pendingCount);
    assert.equal(second.totalStored, totalStored);
    assert.equal((await second.readQuarantine(10)).length, 1);
  });
});

describe('WriteAheadLog readQuarantine', () => {
  it('lists up to the limit, lowest seq first', async () => {
    const log = await harness.open();
    await log.append(makeDrafts(5));
    await log.quarantine([4, 2, 5], 'rejected', 'x');

    assert.deepEqual(await log.readQuarantine(0), []);
    assert.deepEqual(
      (await log.readQuarantine(2)).map((entry) => entry.seq),
      [2, 4],
    );
  });
});

describe('WriteAheadLog concurrent readers', () => {
  it('reads the oldest records after a seq', async () => {
    const log = await harness.open();
    await log.append(makeDrafts(10));

    const seqs = (records: { seq: number }[]): number[] => records.map((record) => record.seq);

    assert.deepEqual(seqs(await log.readOldest(3, { afterSeq: 0 })), [1, 2, 3]);
    assert.deepEqual(seqs(await log.readOldest(3, { afterSeq: 3 })), [4, 5, 6]);
    assert.deepEqual(seqs(await log.readOldest(3, { afterSeq: 8 })), [9, 10]);
    assert.deepEqual(await log.readOldest(3, { afterSeq: 10 }), []);
    assert.deepEqual(seqs(await log.readOldest(2, {})), [1, 2]);
  });

  it('lets several senders take distinct batches in flight and delete them out of order', async () => {
    const log = await harness.open();
    await log.append(makeDrafts(9));

    const first = await log.readOldest(3);
    const second = await log.readOldest(3, { afterSeq: first.at(-1)?.seq });
    const third = await log.readOldest(3, { afterSeq: second.at(-1)?.seq });
    await log.delete(
      second.map((record) => record.seq),
      'sent',
    );
    await log.delete(
      third.map((record) => record.seq),
      'sent',
    );

    assert.deepEqual(
      [first, second, third].map((batch) => batch.map((record) => record.seq)),
      [
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
      ],
    );
    assert.deepEqual(
      (await log.readOldest(10)).map((record) => record.seq),
      [1, 2, 3],
    );
    assert.deepEqual(
      (await log.readOldest(10, { afterSeq: 3 })).map((record) => record.seq),
      [],
    );
  });

  it('reads after a seq whose records were already deleted', async () => {
    const log = await harness.open();
    await log.append(makeDrafts(6));
    await log.delete([1, 2, 3, 4], 'sent');
    await log.readOldest(1);

    assert.deepEqual(
      (await log.readOldest(10, { afterSeq: 2 })).map((record) => record.seq),
      [5, 6],
    );
  });

  it('refuses an afterSeq that is not a non-negative integer', async () => {
    const log = await harness.open();

    for (const afterSeq of [-1, 1.5, Number.NaN]) {
      await assert.rejects(log.readOldest(1, { afterSeq }), /afterSeq must be a non-negative/);
    }
  });

  it('reads nothing after the largest safe integer, since no seq is above it', async () => {
    const log = await harness.open();
    await log.append(makeDrafts(2));

    assert.deepEqual(await log.readOldest(5, { afterSeq: Number.MAX_SAFE_INTEGER }), []);
  });
});
