import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { seededRandom } from '../../scripts/bench/random.js';
import type { MetricRecord, RecordDraft } from '../../src/protocol/types.js';
import type { WriteAheadLog, WriteAheadLogOptions } from '../../src/wal/index.js';
import { seqOfKey } from '../../src/wal/keys.js';
import { MAX_PAGE_RECORDS, PAGE_LAYOUT, readPage } from '../../src/wal/page.js';
import { recount } from '../../src/wal/reconcile.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { LogHarness } from './fixtures/log-harness.js';
import { makeDraft, makeDrafts } from './fixtures/drafts.js';
import { cutInFrames } from './fixtures/pages.js';
import { countsOf, rawPages, replaceValue, withRaw } from './fixtures/raw.js';

const harness = new LogHarness();
beforeEach(() => harness.setUp());
afterEach(() => harness.tearDown());

function seqsOf(records: readonly MetricRecord[]): number[] {
  return records.map((record) => record.seq);
}

/** Closes `log` and asserts its counters equal a full scan of the store. */
async function assertCountersExact(log: WriteAheadLog): Promise<void> {
  const { pendingCount, pendingBytes } = log;
  await log.close();
  const found = await withRaw(harness.location, recount);

  assert.deepEqual(
    { records: found.records, bytes: found.bytes },
    { records: pendingCount, bytes: pendingBytes },
  );
}

describe('WriteAheadLog acknowledging part of a page', () => {
  it('reads exactly the rest, before and after a reopen', async () => {
    const log = await harness.open();
    const records = await log.append(makeDrafts(300));
    // Every third record, across all three pages, and the whole middle of the second.
    const acked = records
      .filter((record) => record.seq % 3 === 0 || (record.seq > 150 && record.seq <= 240))
      .map((record) => record.seq);
    const rest = records.filter((record) => !acked.includes(record.seq));

    assert.equal(await log.delete(acked, 'sent'), acked.length);

    assert.deepEqual(await log.readOldest(1000), rest);
    assert.equal(log.pendingCount, rest.length);
    const reopened = await harness.reopen(log);
    assert.deepEqual(await reopened.readOldest(1000), rest);
    assert.equal(reopened.pendingCount, rest.length);
    assert.deepEqual(reopened.counts(), countsOf({ sent: acked.length }));
    assert.equal(await reopened.delete(acked, 'sent'), 0, 'nothing acknowledged counts twice');
    await assertCountersExact(reopened);
  });

  it('lets batches in flight end inside pages and be acknowledged in any order', async () => {
    const log = await harness.open();
    await log.append(makeDrafts(2 * MAX_PAGE_RECORDS + 50));
    const batches: MetricRecord[][] = [];
    for (let afterSeq = 0; ;) {
      const batch = await log.readOldest(100, { afterSeq });
      if (batch.length === 0) break;
      batches.push(batch);
      afterSeq = batch.at(-1)?.seq ?? afterSeq;
    }

    for (const index of [1, 3, 0]) {
      await log.delete(seqsOf(batches[index] ?? []), 'sent');
    }

    assert.deepEqual(
      batches.map((batch) => batch.length),
      [100, 100, 100, 6],
    );
    const left = [...(batches[2] ?? []), ...(batches[4] ?? [])];
    assert.deepEqual(await log.readOldest(1000), left);
    assert.deepEqual(
      seqsOf(await log.readOldest(10, { afterSeq: 250 })),
      [251, 252, 253, 254, 255, 256, 257, 258, 259, 260],
    );
    await assertCountersExact(log);
  });

  it('rewrites a page without the records that left, under the same key', async () => {
    const log = await harness.open();
    await log.append(makeDrafts(5));
    await log.delete([1, 4], 'sent');
    await log.quarantine([2], 'rejected', 'refused');
    await log.close();

    const pages = await rawPages(harness.location);

    assert.deepEqual(
      pages.map(([key, value]) => {
        const page = readPage(key, value);
        return [key, value[0], page.isReadable ? page.seqs : undefined];
      }),
      [['r!0000000000000001', PAGE_LAYOUT, [3, 5]]],
    );
  });
});

/** What the log should hold: each pending seq with its draft and the log time of its append. */
interface Expected {
  draft: RecordDraft;
  storedAtMs: number;
}

/** Drives a log with seeded random operations and checks it against what it should hold. */
class Exercise {
  readonly expected = new Map<number, Expected>();
  readonly clock = new FakeClock();
  readonly random: () => number;
  log!: WriteAheadLog;
  /**
   * The highest seq the log handed back. Seqs of drafts the cap dropped are not handed back, and
   * an open that finds an unreadable last page goes past all its key allows: later seqs are
   * only known to be higher.
   */
  private lastSeq = 0;
  /** Drafts appended. */
  private stored = 0;
  private corrupt = 0;

  constructor(
    seed: number,
    readonly options: WriteAheadLogOptions,
  ) {
    this.random = seededRandom(seed);
  }

  async open(): Promise<void> {
    this.log = await harness.open({ ...this.options, clock: this.clock });
  }

  pending(): number[] {
    return [...this.expected.keys()].sort((a, b) => a - b);
  }

  /** Some pending seqs, each with probability `share`, and a seq that was never given. */
  pick(share: number): number[] {
    return [...this.pending().filter(() => this.random() < share), this.lastSeq + 1000];
  }

  async append(): Promise<void> {
    const n = 1 + Math.floor(this.random() ** 2 * 3 * MAX_PAGE_RECORDS);
    const drafts = Array.from({ length: n }, (_, i) =>
      makeDraft(1_700_000_000_000 + (this.lastSeq + i) * 1000, {
        endpoint: `/e/${Math.floor(this.random() * 7)}`,
        count: Math.floor(this.random() * 2000),
      }),
    );
    const sizeBefore = this.log.counts().size;

    const records = await this.log.append(drafts);

    // What the cap took: the newest drafts kept, and the oldest pending records dropped.
    const tooBig = n - records.length;
    const evicted = this.log.counts().size - sizeBefore - tooBig;
    assert.ok(evicted >= 0);
    for (const seq of this.pending().slice(0, evicted)) this.expected.delete(seq);
    const first = records[0]?.seq ?? Infinity;
    assert.ok(first > this.lastSeq + tooBig, 'no seq is given twice');
    assert.deepEqual(
      seqsOf(records),
      records.map((_, i) => first + i),
    );
    records.forEach((record, i) => {
      const draft = drafts[tooBig + i] as RecordDraft;
      this.expected.set(record.seq, { draft, storedAtMs: this.clock.wallMs() });
    });
    this.lastSeq = records.at(-1)?.seq ?? this.lastSeq + n;
    this.stored += n;
  }

  async delete(): Promise<void> {
    const seqs = this.pick(this.random() * 0.6);
    const present = seqs.filter((seq) => this.expected.has(seq));

    assert.equal(await this.log.delete(seqs, 'sent'), present.length);
    for (const seq of present) this.expected.delete(seq);
  }

  async quarantine(): Promise<void> {
    const seqs = this.pick(0.05);
    const present = seqs.filter((seq) => this.expected.has(seq));

    assert.equal(await this.log.quarantine(seqs, 'rejected', 'refused'), present.length);
    for (const seq of present) this.expected.delete(seq);
  }

  async sweep(): Promise<void> {
    const maxAgeMs = Math.floor(this.random() * 60_000);
    const cutoffMs = this.clock.wallMs() - maxAgeMs;
    const old = this.pending().filter(
      (seq) => (this.expected.get(seq)?.storedAtMs ?? 0) < cutoffMs,
    );

    assert.equal(await this.log.sweep(maxAgeMs), old.length);
    for (const seq of old) this.expected.delete(seq);
  }

  async readAfter(): Promise<void> {
    const pending = this.pending();
    const afterSeq = pending[Math.floor(this.random() * pending.length)] ?? 0;
    const limit = 1 + Math.floor(this.random() * 200);

    const read = await this.log.readOldest(limit, { afterSeq });

    assert.deepEqual(seqsOf(read), pending.filter((seq) => seq > afterSeq).slice(0, limit));
  }

  /** Closes, checks the counters against a scan, maybe damages a page, and opens again. */
  async reopen(damage: boolean): Promise<void> {
    await assertCountersExact(this.log);
    if (damage) await this.damageOnePage();
    await this.open();
    // The first read meets the damaged page and quarantines every record it held.
    await this.assertHoldsExpected();
  }

  async assertHoldsExpected(): Promise<void> {
    const all = await this.log.readOldest(1_000_000);

    assert.deepEqual(
      all,
      this.pending().map((seq) => ({ ...this.expected.get(seq)?.draft, seq })),
    );
    assert.equal(this.log.pendingCount, this.expected.size);
    const counts = this.log.counts();
    const dropped = Object.values(counts).reduce((sum, n) => sum + n, 0);
    assert.equal(this.log.totalStored, this.stored, 'every draft counts as stored');
    assert.equal(this.log.totalStored, dropped + this.log.pendingCount, 'none lost or twice');
    assert.equal(counts.corrupt, this.corrupt);
    assert.ok(this.log.pendingBytes <= (this.options.maxBytes ?? Infinity));
  }

  private async damageOnePage(): Promise<void> {
    const pages = (await rawPages(harness.location)).filter(
      ([, value]) => value[0] === PAGE_LAYOUT,
    );
    const [key, value] = pages[Math.floor(this.random() * pages.length)] ?? [];
    if (key === undefined || value === undefined) return;

    const page = readPage(key, value);
    assert.ok(page.isReadable);
    await replaceValue(harness.location, seqOfKey(key), cutInFrames);
    for (const seq of page.seqs) this.expected.delete(seq);
    this.corrupt += page.seqs.length;
  }
}

// Appends, partial deletes, quarantines, sweeps, reads after a seq, damage and reopens.
describe('WriteAheadLog counters over mixed operations', () => {
  for (const seed of [1, 2, 3]) {
    it(`equal a full recount after random mixed operations and reopens (seed ${seed})`, async () => {
      const exercise = new Exercise(seed, { maxBytes: 150_000 });
      await exercise.open();
      let reopens = 0;

      for (let step = 0; step < 120; step++) {
        exercise.clock.advance(Math.floor(exercise.random() * 5000));
        const choice = exercise.random();
        if (choice < 0.4) await exercise.append();
        else if (choice < 0.6) await exercise.delete();
        else if (choice < 0.7) await exercise.quarantine();
        else if (choice < 0.78) await exercise.sweep();
        else if (choice < 0.92) await exercise.readAfter();
        else await exercise.reopen(++reopens % 2 === 0);

        assert.equal(exercise.log.pendingCount, exercise.expected.size, `step ${step}`);
        if (step % 10 === 0) await exercise.assertHoldsExpected();
      }

      await exercise.assertHoldsExpected();
      assert.ok(exercise.log.counts().size > 0, 'the cap was reached');
      await exercise.reopen(false);
      await assertCountersExact(exercise.log);
    });
  }
});
