import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { WriteAheadLog } from '../../src/wal/index.js';
import { MAX_PAGE_RECORDS, readPage } from '../../src/wal/page.js';
import { SWEEP_STEP_RECORDS } from '../../src/wal/store.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { LogHarness } from './fixtures/log-harness.js';
import { makeDraft, makeDrafts } from './fixtures/drafts.js';
import { bytesOfDrafts } from './fixtures/pages.js';
import { countsOf, dropRecorder, rawPages } from './fixtures/raw.js';

const harness = new LogHarness();
beforeEach(() => harness.setUp());
afterEach(() => harness.tearDown());

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

async function seqs(log: WriteAheadLog): Promise<number[]> {
  return (await log.readOldest(10_000)).map((record) => record.seq);
}

/** Appends `n` drafts one minute apart on `clock`, each in its own batch. */
async function appendEveryMinute(log: WriteAheadLog, clock: FakeClock, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await log.append([makeDraft(1_700_000_000_000 + i * 1000)]);
    clock.advance(MINUTE);
  }
}

describe('WriteAheadLog sweep', () => {
  it('deletes the records stored more than maxAgeMs ago and keeps the rest', async () => {
    const clock = new FakeClock();
    const log = await harness.open({ clock });
    await appendEveryMinute(log, clock, 4);

    // Now is minute 4; the records were stored at minutes 0, 1, 2 and 3.
    const deleted = await log.sweep(2 * MINUTE);

    assert.equal(deleted, 2);
    assert.deepEqual(await seqs(log), [3, 4]);
    assert.equal(log.pendingCount, 2);
    assert.deepEqual(log.counts(), countsOf({ retention: 2 }));
  });

  it('ages records by when they were stored, not by their t', async () => {
    const clock = new FakeClock();
    const log = await harness.open({ clock });
    await log.append([makeDraft(1000), makeDraft(9_000_000_000_000)]);
    clock.advance(MINUTE);

    assert.equal(await log.sweep(2 * MINUTE), 0);
    assert.equal(await log.sweep(MINUTE - 1), 2);
  });

  it('deletes the same records whether or not the wall clock steps an hour', async () => {
    const steadyClock = new FakeClock();
    const steppedClock = new FakeClock();
    const steady = await harness.open({ clock: steadyClock });
    await appendEveryMinute(steady, steadyClock, 6);
    const expected = await steady.sweep(3 * MINUTE);
    const expectedLeft = await seqs(steady);
    await steady.close();
    await harness.tearDown();
    await harness.setUp();

    const stepped = await harness.open({ clock: steppedClock });
    await appendEveryMinute(stepped, steppedClock, 3);
    steppedClock.stepWall(-HOUR);
    steppedClock.calibrate();
    await appendEveryMinute(stepped, steppedClock, 2);
    steppedClock.stepWall(2 * HOUR);
    steppedClock.calibrate();
    await appendEveryMinute(stepped, steppedClock, 1);

    assert.deepEqual(await seqs(stepped), [1, 2, 3, 4, 5, 6], 'key order is append order');
    assert.equal(await stepped.sweep(3 * MINUTE), expected);
    assert.deepEqual(await seqs(stepped), expectedLeft);

    await stepped.close();
    // Each append was a page of its own, with the log time in its header.
    const storedAt = (await rawPages(harness.location)).map(([key, value]) => {
      const page = readPage(key, value);
      return page.isReadable ? page.storedAtMs : undefined;
    });
    assert.deepEqual(
      storedAt,
      [3, 4, 5].map((minute) => 1_700_000_000_000 + minute * MINUTE),
      'stored_at follows the monotonic clock through both steps',
    );
  });

  it('re-anchors to the wall clock at open: a step while closed ages what was stored', async () => {
    const clock = new FakeClock();
    const first = await harness.open({ clock });
    await first.append(makeDrafts(2));
    await first.close();

    clock.stepWall(HOUR);
    clock.advance(MINUTE);
    const second = await harness.open({ clock });
    await second.append(makeDrafts(1));

    assert.equal(await second.sweep(30 * MINUTE), 2);
    assert.deepEqual(await seqs(second), [3]);
  });

  it('finds old records behind newer ones when the wall clock stepped back between runs', async () => {
    const clock = new FakeClock();
    const first = await harness.open({ clock });
    await first.append(makeDrafts(2));
    await first.close();

    clock.stepWall(-2 * HOUR);
    const second = await harness.open({ clock });
    await second.append(makeDrafts(2));
    clock.advance(HOUR + MINUTE);

    // The later records carry the earlier log time, so they are the ones past an hour.
    assert.equal(await second.sweep(HOUR), 2);
    assert.deepEqual(await seqs(second), [1, 2]);
  });

  it('covers a log longer than one step', async () => {
    const clock = new FakeClock();
    const log = await harness.open({ clock });
    await log.append(makeDrafts(1500));
    clock.advance(HOUR);
    await log.append(makeDrafts(1000));

    const deleted = await log.sweep(MINUTE);

    assert.equal(deleted, 1500);
    assert.equal(log.pendingCount, 1000);
    assert.deepEqual((await seqs(log))[0], 1501);
    assert.ok(log.pendingBytes > 0);
  });

  it('deletes nothing from an empty log or when nothing is old enough', async () => {
    const clock = new FakeClock();
    const log = await harness.open({ clock });
    assert.equal(await log.sweep(0), 0);

    await log.append(makeDrafts(1));
    clock.advance(MINUTE);

    assert.equal(await log.sweep(MINUTE), 0, 'exactly maxAgeMs old is not past it');
    assert.equal(log.pendingCount, 1);
  });

  it('counts each record once when a send deletes beside it', async () => {
    const clock = new FakeClock();
    const log = await harness.open({ clock });
    await log.append(makeDrafts(1500));
    clock.advance(HOUR);
    const all = Array.from({ length: 1500 }, (_, i) => i + 1);

    const [swept, sent] = await Promise.all([log.sweep(MINUTE), log.delete(all, 'sent')]);

    assert.equal(swept + sent, 1500);
    assert.equal(log.pendingCount, 0);
    assert.equal(log.pendingBytes, 0);
    assert.deepEqual(log.counts(), countsOf({ sent, retention: swept }));
  });

  it('lets appends run between its steps, and keeps records younger than its start', async () => {
    const clock = new FakeClock();
    const log = await harness.open({ clock });
    await log.append(makeDrafts(3000));
    clock.advance(HOUR);

    const sweeping = log.sweep(MINUTE);
    const [appended] = await log.append(makeDrafts(1));
    const swept = await sweeping;

    assert.equal(appended?.seq, 3001);
    assert.equal(swept, 3000);
    assert.deepEqual(await seqs(log), [3001]);
  });

  it('ends after its current step when the log closes', async () => {
    const clock = new FakeClock();
    const log = await harness.open({ clock });
    await log.append(makeDrafts(3000));
    clock.advance(HOUR);
    // A step takes whole pages until they hold SWEEP_STEP_RECORDS.
    const step = Math.ceil(SWEEP_STEP_RECORDS / MAX_PAGE_RECORDS) * MAX_PAGE_RECORDS;

    const sweeping = log.sweep(MINUTE);
    await log.close();

    assert.equal(await sweeping, step);
    const reopened = await harness.open({ clock });
    assert.equal(reopened.pendingCount, 3000 - step);
    assert.deepEqual(reopened.counts(), countsOf({ retention: step }));
  });

  it('deletes what is left of pages partly acknowledged, counting each record once', async () => {
    const clock = new FakeClock();
    const log = await harness.open({ clock });
    await log.append(makeDrafts(300));
    await log.delete(
      Array.from({ length: 100 }, (_, i) => 2 * i + 1),
      'sent',
    );
    clock.advance(HOUR);
    await log.append(makeDrafts(5));

    assert.equal(await log.sweep(MINUTE), 200);
    assert.deepEqual(await seqs(log), [301, 302, 303, 304, 305]);
    assert.deepEqual(log.counts(), countsOf({ sent: 100, retention: 200 }));
    assert.equal(log.pendingBytes, bytesOfDrafts(5));
  });

  it('tells onDropped once per sweep, with the count', async () => {
    const clock = new FakeClock();
    const drops = dropRecorder();
    const log = await harness.open({ clock, onDropped: drops.onDropped });
    await log.append(makeDrafts(2500));
    clock.advance(HOUR);

    await log.sweep(MINUTE);
    await log.sweep(MINUTE);

    assert.deepEqual(drops.calls, [['retention', 2500]]);
  });

  it('refuses a maxAgeMs that is not a finite number >= 0', async () => {
    const log = await harness.open();

    for (const maxAgeMs of [Number.NaN, Infinity, -Infinity, -1]) {
      await assert.rejects(log.sweep(maxAgeMs), RangeError);
    }
  });
});
