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
  countsOf,
  damageRecord as damage,
  dropRecorder,
  withRaw,
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
  assert.deepEqual(meta, [String(pendingCount), String(pendingBytes), String(quarantined)]);
}

function damageRecord(seq: number, garbage: string): Promise<void> {
  return damage(harness.location, seq, garbage);
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
    // A version 3 value is an array with the log time second.
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

describe('WriteAheadLog unreadable records', () => {
  it('quarantines a value that is not JSON as corrupt and returns the rest', async () => {
    const drops = dropRecorder();
    const first = await harness.open();
    await first.append(makeDrafts(5));
    await first.close();
    await damageRecord(2, '{not json');

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
    assert.match(entry?.value ?? '', /^\{not json/);
    assert.equal(log.pendingCount, 4);
    assert.deepEqual(log.counts(), countsOf({ corrupt: 1 }));
    assert.deepEqual(drops.calls, [['corrupt', 1]]);
    await assertCountersExact(log);
  });

  it('quarantines values missing a field or of the wrong shape, naming what is wrong', async () => {
    const first = await harness.open();
    await first.append(makeDrafts(5));
    await first.close();
    await damageRecord(1, JSON.stringify({ t: 1 }));
    await damageRecord(3, JSON.stringify({ ...makeDraft(1), count: 'many' }));
    await damageRecord(4, '[1, 2, 3]');
    await damageRecord(5, 'null');

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
    const first = await harness.open({ clock });
    await first.append(makeDrafts(3));
    await first.close();
    await damageRecord(2, 'garbage');

    const log = await harness.open({ clock });

    assert.equal(await log.sweep(60_000), 0);
    assert.deepEqual(log.counts(), countsOf({ corrupt: 1 }));
    assert.equal(log.pendingCount, 2);
  });

  it('skips an unreadable oldest record when telling the oldest time', async () => {
    const first = await harness.open();
    await first.append([makeDraft(1000), makeDraft(2000)]);
    await first.close();
    await damageRecord(1, '');

    const log = await harness.open();

    assert.equal(await log.oldestPendingTime(), 2000);
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
    await damageRecord(2, 'garbage');
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
