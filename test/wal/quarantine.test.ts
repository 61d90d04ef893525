import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { WriteAheadLog } from '../../src/wal/index.js';
import {
  DEFAULT_MAX_QUARANTINED,
  MAX_DETAIL_CHARS,
  planEviction,
} from '../../src/wal/quarantine.js';
import { recount } from '../../src/wal/reconcile.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { LogHarness } from './fixtures/log-harness.js';
import { makeDraft, makeDrafts } from './fixtures/drafts.js';
import {
  BODY,
  PAGE,
  bodiesOf,
  cutInFrames,
  patched,
  patchedU32,
  withBadStringIndex,
} from './fixtures/pages.js';
import {
  countsOf,
  dropRecorder,
  rawPages,
  replaceValue,
  withRaw,
  writeLayout3,
  writeRaw,
} from './fixtures/raw.js';

const harness = new LogHarness();
beforeEach(() => harness.setUp());
afterEach(() => harness.tearDown());

async function seqs(log: WriteAheadLog): Promise<number[]> {
  return (await log.readOldest(1000)).map((record) => record.seq);
}

/** Asserts the counters describe exactly what a full scan of the closed log finds. */
async function assertCountersExact(log: WriteAheadLog): Promise<void> {
  const { pendingCount, pendingBytes } = log;
  const quarantined = (await log.readQuarantine(100_000)).length;
  await log.close();
  const found = await withRaw(harness.location, recount);
  const meta = await withRaw(harness.location, (db) =>
    db.getMany(['m!pending', 'm!pending-bytes', 'm!quarantined']),
  );

  assert.deepEqual(
    [found.records, found.bytes, found.quarantined],
    [pendingCount, pendingBytes, quarantined],
  );
  // A counter never written is 0.
  assert.deepEqual(
    meta.map((value) => value ?? '0'),
    [String(pendingCount), String(pendingBytes), String(quarantined)],
  );
}

/** Replaces the value under the record key of `keySeq` in the closed log by `change(value)`. */
function damage(
  keySeq: number,
  change: (value: Buffer, key: string) => Buffer | string,
): Promise<void> {
  return replaceValue(harness.location, keySeq, change);
}

/** `text` in place of a value, padded to its length. */
function garbage(text: string): (value: Buffer) => string {
  return (value) => text.padEnd(value.length, ' ');
}

/** What the quarantine keeps of bytes that do not decode. */
function raw(bytes: Buffer | string): string {
  return `base64:${Buffer.from(bytes).toString('base64')}`;
}

/** The value under the record key of `keySeq` in the closed log. */
async function valueAt(keySeq: number): Promise<Buffer> {
  const key = `r!${keySeq.toString(16).padStart(16, '0')}`;
  const found = (await rawPages(harness.location)).find(([pageKey]) => pageKey === key);
  assert.ok(found !== undefined, `no entry under ${key}`);

  return found[1];
}

describe('WriteAheadLog quarantine', () => {
  it('moves the records named out of the pending range, with reason, detail and time', async () => {
    const clock = new FakeClock();
    const log = await harness.open({ clock });
    const records = await log.append(makeDrafts(5));
    const bytesBefore = log.pendingBytes;
    clock.advance(5000);

    const moved = await log.quarantine([2, 4, 99], 'rejected', 'collector answered 400: tag');

    assert.equal(moved, 2);
    assert.deepEqual(await seqs(log), [1, 3, 5]);
    assert.equal(log.pendingCount, 3);
    assert.ok(log.pendingBytes < bytesBefore);
    assert.deepEqual(log.counts(), countsOf({ rejected: 2 }));
    const entries = await log.readQuarantine(10);
    const common = { reason: 'rejected', detail: 'collector answered 400: tag' };
    assert.deepEqual(
      entries.map(({ value: _value, ...entry }) => entry),
      [
        { seq: 2, ...common, quarantinedAtMs: 1_700_000_005_000, record: records[1] },
        { seq: 4, ...common, quarantinedAtMs: 1_700_000_005_000, record: records[3] },
      ],
    );
    // The quarantine keeps a record as the JSON array of layout 3, the log time second.
    assert.equal((JSON.parse(entries[0]?.value ?? '') as unknown[])[1], 1_700_000_000_000);
    await assertCountersExact(log);
  });

  it('keeps the quarantine and its counts across reopen', async () => {
    const first = await harness.open();
    await first.append(makeDrafts(3));
    await first.quarantine([1], 'rejected', 'bad');

    const second = await harness.reopen(first);

    assert.deepEqual(second.counts(), countsOf({ rejected: 1 }));
    assert.equal(second.pendingCount, 2);
    assert.deepEqual(
      (await second.readQuarantine(10)).map((entry) => [entry.seq, entry.reason]),
      [[1, 'rejected']],
    );
    assert.equal((await second.append(makeDrafts(1)))[0]?.seq, 4);
  });

  it('counts a record once when it is quarantined, deleted and quarantined again at once', async () => {
    const log = await harness.open();
    await log.append(makeDrafts(4));

    const results = await Promise.all([
      log.quarantine([1, 2], 'rejected', 'x'),
      log.delete([2, 3], 'sent'),
      log.quarantine([1, 2, 3, 3], 'rejected', 'y'),
    ]);

    assert.deepEqual(results, [2, 1, 0]);
    assert.deepEqual(log.counts(), countsOf({ rejected: 2, sent: 1 }));
    assert.equal(log.totalStored, 4);
    await assertCountersExact(log);
  });

  it('keeps at most maxQuarantinedRecords, evicting the lowest seqs', async () => {
    const log = await harness.open({ maxQuarantinedRecords: 3 });
    await log.append(makeDrafts(8));

    await log.quarantine([3, 4], 'rejected', 'a');
    await log.quarantine([5, 6], 'rejected', 'b');
    await log.quarantine([1], 'rejected', 'older than every entry kept');

    assert.deepEqual(
      (await log.readQuarantine(10)).map((entry) => entry.seq),
      [4, 5, 6],
    );
    assert.deepEqual(log.counts(), countsOf({ rejected: 5 }));
    assert.deepEqual(await seqs(log), [2, 7, 8]);
    await assertCountersExact(log);
  });

  it('keeps none with maxQuarantinedRecords 0, and still counts them', async () => {
    const log = await harness.open({ maxQuarantinedRecords: 0 });
    await log.append(makeDrafts(2));

    assert.equal(await log.quarantine([1, 2], 'rejected', 'x'), 2);

    assert.deepEqual(await log.readQuarantine(10), []);
    assert.deepEqual(log.counts(), countsOf({ rejected: 2 }));
    await assertCountersExact(log);
  });

  it('bounds the quarantine at 10,000 entries by default and cuts long details', async () => {
    const log = await harness.open();
    await log.append(makeDrafts(1));

    await log.quarantine([1], 'rejected', 'x'.repeat(5000));

    assert.equal(DEFAULT_MAX_QUARANTINED, 10_000);
    assert.equal((await log.readQuarantine(1))[0]?.detail.length, MAX_DETAIL_CHARS);
  });

  it('tells onDropped once per call, with the count', async () => {
    const drops = dropRecorder();
    const log = await harness.open({ onDropped: drops.onDropped });
    await log.append(makeDrafts(5));

    await log.quarantine([1, 2, 3], 'rejected', 'x');
    await log.quarantine([1], 'rejected', 'gone already');
    await log.delete([4], 'sent');
    await log.delete([5], 'retention');

    assert.deepEqual(drops.calls, [
      ['rejected', 3],
      ['retention', 1],
    ]);
  });
});

describe('WriteAheadLog unreadable records of layout 3', () => {
  it('quarantines a value that is not JSON as corrupt and returns the rest', async () => {
    const drops = dropRecorder();
    await writeLayout3(harness.location, makeDrafts(5), 1_700_000_000_000);
    let stored = '';
    await damage(2, (value) => (stored = garbage('{not json')(value)));

    const log = await harness.open({ onDropped: drops.onDropped });
    const read = await log.readOldest(3);

    assert.deepEqual(
      read.map((record) => record.seq),
      [1, 3, 4],
      'the read goes past the damaged record to fill the limit',
    );
    const [entry] = await log.readQuarantine(10);
    assert.equal(entry?.seq, 2);
    assert.equal(entry?.reason, 'corrupt');
    assert.match(entry?.detail ?? '', /not valid JSON/);
    assert.equal(entry?.record, undefined);
    assert.equal(entry?.value, raw(stored), 'its bytes as found');
    assert.equal(log.pendingCount, 4);
    assert.deepEqual(log.counts(), countsOf({ corrupt: 1 }));
    assert.deepEqual(drops.calls, [['corrupt', 1]]);
    await assertCountersExact(log);
  });

  it('quarantines values missing a field or of the wrong shape, naming what is wrong', async () => {
    await writeLayout3(harness.location, makeDrafts(5), 1_700_000_000_000);
    await damage(1, () => JSON.stringify({ t: 1 }));
    await damage(3, () => JSON.stringify({ ...makeDraft(1), count: 'many' }));
    await damage(4, () => '[1, 2, 3]');
    await damage(5, () => 'null');

    const log = await harness.open();

    assert.deepEqual(await seqs(log), [2]);
    const details = (await log.readQuarantine(10)).map((entry) => [entry.seq, entry.detail]);
    assert.deepEqual(details, [
      [1, 'gateway is missing, not a string'],
      [3, 'count is a string, not a finite number'],
      [4, 'an array starting 1, not a version 3 record'],
      [5, 'not a JSON object'],
    ]);
    assert.deepEqual(log.counts(), countsOf({ corrupt: 4 }));
    await assertCountersExact(log);
  });

  it('quarantines unreadable records a sweep meets', async () => {
    const clock = new FakeClock();
    await writeLayout3(harness.location, makeDrafts(3), 1_700_000_000_000);
    await damage(2, garbage('garbage'));

    const log = await harness.open({ clock });

    assert.equal(await log.sweep(60_000), 0);
    assert.deepEqual(log.counts(), countsOf({ corrupt: 1 }));
    assert.equal(log.pendingCount, 2);
    await assertCountersExact(log);
  });
});

describe('WriteAheadLog damaged pages', () => {
  /** Appends pages of 3 and 2 records, closes the log, and damages the first page. */
  async function seedAndDamage(change: (value: Buffer, key: string) => Buffer): Promise<Buffer> {
    const first = await harness.open();
    await first.append(makeDrafts(3));
    await first.append(makeDrafts(2));
    await first.close();
    let damaged: Buffer = Buffer.alloc(0);
    await damage(1, (value, key) => (damaged = change(value, key)));

    return damaged;
  }

  it('quarantines a page cut short as one entry, counting every record it held', async () => {
    const drops = dropRecorder();
    const damaged = await seedAndDamage(cutInFrames);

    const log = await harness.open({ onDropped: drops.onDropped });

    assert.deepEqual(await seqs(log), [4, 5]);
    const [entry, ...more] = await log.readQuarantine(10);
    assert.equal(more.length, 0);
    assert.equal(entry?.seq, 1, 'under the seq of its key');
    assert.equal(entry?.reason, 'corrupt');
    assert.match(entry?.detail ?? '', /^a damaged page: a string table at \d+ of \d+ bytes$/);
    assert.equal(entry?.value, raw(damaged));
    assert.equal(entry?.record, undefined);
    assert.equal(log.pendingCount, 2);
    assert.deepEqual(log.counts(), countsOf({ corrupt: 3 }));
    assert.deepEqual(drops.calls, [['corrupt', 3]]);
    await assertCountersExact(log);
  });

  for (const [count, detail] of [
    [0, 'a damaged page: 0 records, not 1 to 128'],
    [2, 'a damaged page: bytes between the records and the strings'],
    [4, 'a damaged page: a number runs past the end'],
    [0xffff_ffff, 'a damaged page: 4294967295 records, not 1 to 128'],
  ] as const) {
    it(`quarantines a page whose header counts ${count} records, counting the 3 it held`, async () => {
      await seedAndDamage((value, key) => patchedU32(value, key, PAGE.countAt, count));

      const log = await harness.open();

      assert.deepEqual(await seqs(log), [4, 5]);
      const entries = await log.readQuarantine(10);
      assert.deepEqual(
        entries.map((entry) => [entry.seq, entry.detail]),
        [[1, detail]],
      );
      assert.deepEqual(log.counts(), countsOf({ corrupt: 3 }));
      await assertCountersExact(log);
    });
  }

  it('counts a damaged page once when reads beside each other meet it', async () => {
    const drops = dropRecorder();
    await seedAndDamage(cutInFrames);
    const log = await harness.open({ onDropped: drops.onDropped });

    const reads = await Promise.all([log.readOldest(10), log.readOldest(10), log.readOldest(1)]);

    assert.deepEqual(
      reads.map((read) => read.map((record) => record.seq)),
      [[4, 5], [4, 5], [4]],
    );
    assert.deepEqual(log.counts(), countsOf({ corrupt: 3 }));
    assert.deepEqual(drops.calls, [['corrupt', 3]]);
    assert.equal((await log.readQuarantine(10)).length, 1);
    await assertCountersExact(log);
  });

  it('quarantines only the record whose string index is bad, keeping the rest of its page', async () => {
    const first = await harness.open();
    const records = await first.append(makeDrafts(5));
    await first.close();
    const body = bodiesOf(await valueAt(1))[2];
    let damaged: Buffer = Buffer.alloc(0);
    await damage(1, (value, key) => (damaged = withBadStringIndex(value, key, 2)));

    const log = await harness.open();

    assert.deepEqual(
      await log.readOldest(10),
      [0, 1, 3, 4].map((i) => records[i]),
    );
    const entries = await log.readQuarantine(10);
    assert.deepEqual(
      entries.map(({ seq, reason, detail, record }) => ({ seq, reason, detail, record })),
      [
        {
          seq: 3,
          reason: 'corrupt',
          detail: 'an unreadable record: string 127 is not in the page',
          record: undefined,
        },
      ],
    );
    assert.equal(entries[0]?.value, raw(damaged.subarray(body?.start, body?.end)));
    assert.deepEqual(log.counts(), countsOf({ corrupt: 1 }));
    const reopened = await harness.reopen(log);
    assert.deepEqual(await seqs(reopened), [1, 2, 4, 5], 'the page was rewritten without it');
    await assertCountersExact(reopened);
  });

  it('quarantines a record whose number reads as NaN, naming the field', async () => {
    const first = await harness.open();
    await first.append(makeDrafts(3));
    await first.close();
    const nan = Buffer.alloc(8);
    nan.writeDoubleLE(Number.NaN);
    await damage(1, (value, key) => {
      const body = bodiesOf(value)[1];
      return patched(value, key, (body?.start ?? 0) + BODY.tAt, [...nan]);
    });

    const log = await harness.open();

    assert.deepEqual(await seqs(log), [1, 3]);
    const entries = await log.readQuarantine(10);
    assert.deepEqual(
      entries.map((entry) => [entry.seq, entry.detail]),
      [[2, 't is NaN, not a finite number']],
    );
    await assertCountersExact(log);
  });

  it('quarantines damaged pages a sweep meets, and leaves a record failing alone to reads', async () => {
    const clock = new FakeClock();
    const first = await harness.open({ clock });
    await first.append(makeDrafts(2));
    await first.append(makeDrafts(3));
    await first.close();
    await damage(1, cutInFrames);
    await damage(3, (value, key) => withBadStringIndex(value, key, 1));

    const log = await harness.open({ clock });

    // A sweep reads page headers only: the record of seq 4 fails when a read decodes it.
    assert.equal(await log.sweep(60_000), 0);
    assert.deepEqual(log.counts(), countsOf({ corrupt: 2 }));
    assert.equal(log.pendingCount, 3);
    assert.deepEqual(await seqs(log), [3, 5]);
    assert.deepEqual(log.counts(), countsOf({ corrupt: 3 }));
    await assertCountersExact(log);
  });

  it('deletes a page holding a record that fails alone with the page, once it is too old', async () => {
    const clock = new FakeClock();
    const first = await harness.open({ clock });
    await first.append(makeDrafts(3));
    await first.close();
    await damage(1, (value, key) => withBadStringIndex(value, key, 1));
    const log = await harness.open({ clock });
    clock.advance(120_000);

    assert.equal(await log.sweep(60_000), 3, 'its storage time is the page header, which reads');
    assert.deepEqual(log.counts(), countsOf({ retention: 3 }));
    await assertCountersExact(log);
  });

  it('skips an unreadable oldest record when telling the oldest time', async () => {
    const first = await harness.open();
    await first.append([makeDraft(1000)]);
    await first.append([makeDraft(2000), makeDraft(3000), makeDraft(4000)]);
    await first.close();
    await damage(1, cutInFrames);
    await damage(2, (value, key) => withBadStringIndex(value, key, 0));

    const log = await harness.open();

    assert.equal(await log.oldestPendingTime(), 3000);
  });

  it('replaces the entry of a page first record quarantined before the page was damaged', async () => {
    const first = await harness.open();
    await first.append(makeDrafts(3));
    await first.quarantine([1], 'rejected', 'refused');
    await first.close();
    await damage(1, cutInFrames);

    const log = await harness.open();

    assert.deepEqual(await seqs(log), []);
    const entries = await log.readQuarantine(10);
    assert.deepEqual(
      entries.map((entry) => [entry.seq, entry.reason]),
      [[1, 'corrupt']],
      'the page of seqs 2 and 3 goes under its key, the seq of the record before it',
    );
    assert.deepEqual(log.counts(), countsOf({ rejected: 1, corrupt: 2 }));
    await assertCountersExact(log);
  });

  it('lists an unreadable quarantine entry rather than failing', async () => {
    await writeRaw(harness.location, { 'q!0000000000000007': 'rubbish' });
    const log = await harness.open();

    const [entry] = await log.readQuarantine(5);

    assert.equal(entry?.seq, 7);
    assert.equal(entry?.reason, 'corrupt');
    assert.equal(entry?.value, 'rubbish');
    assert.equal(entry?.record, undefined);
  });
});

describe('quarantine details', () => {
  it('stamps entries with log time, which wall-clock steps do not move', async () => {
    const clock = new FakeClock();
    const log = await harness.open({ clock });
    await log.append(makeDrafts(1));
    clock.stepWall(-3_600_000);
    clock.calibrate();
    clock.advance(2000);

    await log.quarantine([1], 'rejected', 'x');

    assert.equal((await log.readQuarantine(1))[0]?.quarantinedAtMs, 1_700_000_002_000);
  });

  it('returns the readable records of a read that meets damage while the log closes', async () => {
    const first = await harness.open();
    await first.append(makeDrafts(3));
    await first.close();
    await damage(1, (value, key) => withBadStringIndex(value, key, 1));
    const log = await harness.open();

    const reading = log.readOldest(10);
    await log.close();

    assert.deepEqual(
      (await reading).map((record) => record.seq),
      [1, 3],
    );
    const reopened = await harness.open();
    assert.equal(reopened.pendingCount, 3, 'the damaged record waits for the next read');
    assert.equal((await reopened.readOldest(10)).length, 2);
    assert.equal(reopened.pendingCount, 2);
  });
});

describe('planEviction', () => {
  it('picks the lowest keys of the entries kept and the new ones', async () => {
    await writeRaw(harness.location, {
      'q!0000000000000005': '{}',
      'q!0000000000000009': '{}',
    });
    await withRaw(harness.location, async (db) => {
      const none = await planEviction(db, ['q!000000000000000a'], 2, 3);
      const one = await planEviction(db, ['q!000000000000000a'], 2, 2);
      const fresh = await planEviction(db, ['q!0000000000000001', 'q!000000000000000a'], 2, 2);

      assert.deepEqual(none, { existing: [], skipped: new Set() });
      assert.deepEqual(one, { existing: ['q!0000000000000005'], skipped: new Set() });
      assert.deepEqual(fresh, {
        existing: ['q!0000000000000005'],
        skipped: new Set(['q!0000000000000001']),
      });
    });
  });
});
