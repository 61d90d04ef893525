import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { LogHarness } from './fixtures/log-harness.js';
import { makeDraft } from './fixtures/drafts.js';

const harness = new LogHarness();
beforeEach(() => harness.setUp());
afterEach(() => harness.tearDown());

/** Drafts with the given `t` values, in that order. */
function draftsAt(times: readonly number[]): ReturnType<typeof makeDraft>[] {
  return times.map((t) => makeDraft(t));
}

describe('WriteAheadLog sweep', () => {
  it('deletes the records before the cutoff and keeps the rest', async () => {
    const log = await harness.open();
    await log.append(draftsAt([1000, 2000, 3000, 4000]));

    const deleted = await log.sweep(3000);

    assert.equal(deleted, 2);
    assert.deepEqual(
      (await log.readOldest(10)).map((record) => record.t),
      [3000, 4000],
    );
    assert.equal(log.pendingCount, 2);
    assert.deepEqual(log.counts(), { sent: 0, retention: 2 });
  });

  it('finds old records behind newer ones when the wall clock stepped back', async () => {
    const log = await harness.open();
    await log.append(draftsAt([9000, 1000, 8000, 2000]));

    assert.equal(await log.sweep(5000), 2);
    assert.deepEqual(
      (await log.readOldest(10)).map((record) => record.seq),
      [1, 3],
    );
  });

  it('covers a log longer than one step', async () => {
    const log = await harness.open();
    // 2,500 records alternate old and new, so every step of 1,000 has some of each.
    const times = Array.from({ length: 2500 }, (_, i) => (i % 2 === 0 ? 1000 : 9000));
    await log.append(draftsAt(times));

    const deleted = await log.sweep(5000);

    assert.equal(deleted, 1250);
    assert.equal(log.pendingCount, 1250);
    const left = await log.readOldest(5000);
    assert.equal(left.length, 1250);
    assert.ok(left.every((record) => record.t === 9000));
  });

  it('deletes nothing from an empty log or before the oldest record', async () => {
    const log = await harness.open();
    assert.equal(await log.sweep(Date.now()), 0);

    await log.append(draftsAt([5000]));

    assert.equal(await log.sweep(5000), 0);
    assert.equal(log.pendingCount, 1);
  });

  it('counts each record once when a send deletes beside it', async () => {
    const log = await harness.open();
    await log.append(draftsAt(Array.from({ length: 1500 }, () => 1000)));
    const seqs = Array.from({ length: 1500 }, (_, i) => i + 1);

    const [swept, sent] = await Promise.all([log.sweep(2000), log.delete(seqs, 'sent')]);

    assert.equal(swept + sent, 1500);
    assert.equal(log.pendingCount, 0);
    assert.deepEqual(log.counts(), { sent, retention: swept });
  });

  it('lets appends run between its steps', async () => {
    const log = await harness.open();
    await log.append(draftsAt(Array.from({ length: 3000 }, () => 1000)));

    const sweeping = log.sweep(2000);
    const [appended] = await log.append(draftsAt([1500]));
    const swept = await sweeping;

    // The append was queued behind the first step only; the record it added is expired too,
    // and a later step of the same sweep reached it.
    assert.equal(appended?.seq, 3001);
    assert.equal(swept, 3001);
    assert.equal(log.pendingCount, 0);
  });

  it('ends after its current step when the log closes', async () => {
    const log = await harness.open();
    await log.append(draftsAt(Array.from({ length: 3000 }, () => 1000)));

    const sweeping = log.sweep(2000);
    await log.close();

    assert.equal(await sweeping, 1000);
    const reopened = await harness.open();
    assert.equal(reopened.pendingCount, 2000);
    assert.deepEqual(reopened.counts(), { sent: 0, retention: 1000 });
  });

  it('refuses a cutoff that is not a finite number', async () => {
    const log = await harness.open();

    for (const cutoff of [Number.NaN, Infinity, -Infinity]) {
      await assert.rejects(log.sweep(cutoff), RangeError);
    }
  });
});
