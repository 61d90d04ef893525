import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ClassicLevel } from 'classic-level';
import { isTpsError } from '../../src/errors.js';
import { LogCounters } from '../../src/wal/counters.js';
import { recordKey } from '../../src/wal/keys.js';
import { LogTime } from '../../src/wal/log-time.js';
import { MAX_PAGE_RECORDS, readPage } from '../../src/wal/page.js';
import { RecordStore, SWEEP_STEP_RECORDS } from '../../src/wal/store.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { makeDraft, makeDrafts } from './fixtures/drafts.js';
import { PAGE } from './fixtures/pages.js';

let dir: string;
let db: ClassicLevel<string, string>;
let clock: FakeClock;
let store: RecordStore;

beforeEach(async () => {
  dir = await makeTempDir('tps-wal-store-');
  db = new ClassicLevel<string, string>(join(dir, 'wal'));
  await db.open();
  clock = new FakeClock();
  store = new RecordStore(db.location, db, LogCounters.fromMeta([]), { time: new LogTime(clock) });
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

/**
 * Makes every chained batch write of classic-level fail with `message`, until the function
 * returned is called: LevelDB cannot be made to fail a write on demand. Every chained batch
 * writes through the prototype method replaced here.
 */
async function failBatchWrites(message: string): Promise<() => void> {
  const probe = db.batch();
  const write = Object.getPrototypeOf(probe) as { _write: () => Promise<void> };
  await probe.close();
  const original = write._write;
  write._write = async () => {
    throw new Error(message);
  };

  return () => {
    write._write = original;
  };
}

async function seqsOf(page: Promise<{ records: { seq: number }[] }>): Promise<number[]> {
  return (await page).records.map((record) => record.seq);
}

/** The entries of the record range, values as bytes. */
function rawPages(): Promise<[string, Buffer][]> {
  return db.iterator<string, Buffer>({ gte: 'r!', lt: 'r"', valueEncoding: 'buffer' }).all();
}

describe('RecordStore', () => {
  it('writes the pages and the counters in one batch', async () => {
    await store.append(makeDrafts(3));
    await store.deletePresent([2], 'sent');

    const meta = await db.getMany(['m!last-seq', 'm!pending', 'm!stored', 'm!deleted!sent']);
    const entries = await rawPages();
    const bytes = entries.reduce((sum, [, value]) => sum + value.length, 0);

    assert.deepEqual(meta, ['3', '2', '3', '1']);
    assert.deepEqual(
      entries.map(([key]) => key),
      [recordKey(1)],
      'one page under the first seq, rewritten without the record deleted',
    );
    const page = readPage(...(entries[0] as [string, Buffer]));
    assert.ok(page.isReadable);
    assert.deepEqual(page.seqs, [1, 3]);
    assert.equal(await db.get('m!pending-bytes'), String(bytes));
    assert.equal(store.counters.pendingBytes, bytes);
  });

  it('puts one append in pages of at most MAX_PAGE_RECORDS under their first seqs', async () => {
    await store.append(makeDrafts(2 * MAX_PAGE_RECORDS + 1));

    const keys = (await rawPages()).map(([key]) => key);

    assert.deepEqual(keys, [1, MAX_PAGE_RECORDS + 1, 2 * MAX_PAGE_RECORDS + 1].map(recordKey));
  });

  it('stores the log time of the append in the page header, and strips it on read', async () => {
    clock.advance(1234);
    await store.append([makeDraft(5)]);

    const value = await db.get<string, Buffer>(recordKey(1), { valueEncoding: 'buffer' });
    const [record] = (await store.readPage(1)).records;

    assert.equal(value?.[0], 5, 'the first byte is the layout version');
    assert.equal(value?.readDoubleLE(PAGE.storedAtAt), 1_700_000_001_234);
    assert.deepEqual(record, { ...makeDraft(5), seq: 1 });
  });

  it('wraps LevelDB failures with the LevelDB error as cause and keeps the counters', async () => {
    await store.append(makeDrafts(2));
    const before = store.counters.snapshot();
    await db.close();

    await assert.rejects(store.append(makeDrafts(1)), isNotOpenError(/cannot append/));
    await assert.rejects(store.readPage(1), isNotOpenError(/cannot read records/));
    // Both first find the pages that hold the seqs.
    await assert.rejects(store.deletePresent([1], 'sent'), isNotOpenError(/cannot read records/));
    await assert.rejects(
      store.quarantine([{ seq: 1, detail: 'x' }], 'rejected'),
      isNotOpenError(/cannot read records/),
    );
    await assert.rejects(
      store.quarantine([{ seq: 1, detail: 'x', pageKey: recordKey(1) }], 'corrupt'),
      isNotOpenError(/cannot look up records/),
    );
    await assert.rejects(store.readQuarantine(1), isNotOpenError(/quarantine/));
    await assert.rejects(store.sweepStep(undefined, 0), isNotOpenError(/cannot read records/));

    assert.deepEqual(store.counters.snapshot(), before, 'a failed write changes no counter');
    await db.open();
  });

  it('keeps the counters when the batch itself fails to write', async () => {
    await store.append(makeDrafts(2));
    const before = store.counters.snapshot();
    const restore = await failBatchWrites('disk on fire');

    try {
      await assert.rejects(store.append(makeDrafts(1)), /cannot append: disk on fire/);
      await assert.rejects(store.deletePresent([1], 'sent'), /cannot delete/);
      await assert.rejects(
        store.quarantine([{ seq: 2, detail: 'x' }], 'rejected'),
        /cannot quarantine/,
      );
      clock.advance(10);
      await assert.rejects(store.sweepStep(undefined, 1_700_000_000_005), /cannot sweep/);
    } finally {
      restore();
    }

    assert.deepEqual(store.counters.snapshot(), before);
    // The failed append's seq was handed out when it was encoded, and is not given again.
    assert.equal((await store.append(makeDrafts(1))).records[0]?.seq, 4);
  });

  it('gives appends encoded before their turn their own seqs, when one between fails', async () => {
    const first = store.prepareAppend(makeDrafts(3));
    const failing = store.prepareAppend(makeDrafts(2));
    const third = store.prepareAppend(makeDrafts(1));
    assert.deepEqual([first.firstSeq, failing.firstSeq, third.firstSeq], [1, 4, 6]);

    await store.append(first);
    const restore = await failBatchWrites('disk on fire');
    try {
      await assert.rejects(store.append(failing), /cannot append: disk on fire/);
    } finally {
      restore();
    }
    await store.append(third);

    assert.deepEqual(await seqsOf(store.readPage(10)), [1, 2, 3, 6]);
    assert.equal(store.counters.lastSeq, 6);
    assert.equal(store.counters.stored, 4, 'the failed append stored nothing');
    assert.equal(await db.get('m!last-seq'), '6');
    assert.equal((await store.append(makeDrafts(1))).records[0]?.seq, 7);
  });

  it('refuses an append prepared at or below a last seq raised after it', async () => {
    // Only an open raises the last seq by other means, and opens come before appends: this
    // guards that rule rather than a path the log takes.
    const early = store.prepareAppend(makeDrafts(2));
    store.counters.raiseLastSeq(100);

    await assert.rejects(store.append(early), /seqs from 1 prepared at or below last seq 100/);
    assert.equal(store.counters.stored, 0);
  });

  it('stores and returns what the call was given, whatever is changed after it', async () => {
    const drafts = makeDrafts(3);
    const prepared = store.prepareAppend(drafts);
    const original = structuredClone(drafts);
    drafts.length = 1;
    (drafts[0] as { count: number }).count = 999;
    drafts.push(...makeDrafts(5));

    const { records } = await store.append(prepared);
    const read = (await store.readPage(10)).records;

    const expected = original.map((draft, i) => ({ ...draft, seq: i + 1 }));
    assert.deepEqual(records, expected);
    assert.deepEqual(read, expected);
    assert.equal(store.counters.pending, 3);
    assert.equal(store.counters.lastSeq, 3);
  });

  it('refuses an append whose seqs would pass the largest safe integer', async () => {
    store.counters.raiseLastSeq(Number.MAX_SAFE_INTEGER - 2);

    assert.throws(() => store.prepareAppend(makeDrafts(3)), /cannot append: no seq left for 3/);
    const { records } = await store.append(makeDrafts(2));
    assert.deepEqual(
      records.map((record) => record.seq),
      [Number.MAX_SAFE_INTEGER - 1, Number.MAX_SAFE_INTEGER],
    );
    await assert.rejects(store.append(makeDrafts(1)), /no seq left for 1 records/);
  });

  it('hands out no seq for drafts it cannot encode', () => {
    const bad = { ...makeDraft(1), tags: { big: 10n } } as unknown as ReturnType<typeof makeDraft>;
    assert.throws(() => store.prepareAppend([bad]), TypeError);
    assert.equal(store.prepareAppend(makeDrafts(1)).firstSeq, 1);
  });

  it('reads on past records deleted from the front, and sees records appended later', async () => {
    await store.append(makeDrafts(10));
    assert.deepEqual(await seqsOf(store.readPage(1)), [1]);

    await store.deletePresent([1, 2, 3, 4, 5], 'sent');
    const afterDelete = await seqsOf(store.readPage(100));
    await store.append(makeDrafts(2));
    const afterAppend = await seqsOf(store.readPage(100));

    assert.deepEqual(afterDelete, [6, 7, 8, 9, 10]);
    assert.deepEqual(afterAppend, [6, 7, 8, 9, 10, 11, 12]);
  });

  it('reads after a seq, from the floor when the seq is below it', async () => {
    await store.append(makeDrafts(6));
    await store.deletePresent([1, 2, 3], 'sent');
    await store.readPage(1);

    assert.deepEqual(await seqsOf(store.readPage(2, 4)), [5, 6]);
    assert.deepEqual(await seqsOf(store.readPage(10, 1)), [4, 5, 6]);
    const page = await store.readPage(2, 6);
    assert.deepEqual(page, { records: [], corrupt: [], lastSeq: undefined, exhausted: true });
  });

  it('reads after a seq inside a page, starting at the page that holds the next one', async () => {
    await store.append(makeDrafts(4));
    await store.append(makeDrafts(4));
    await store.deletePresent([6], 'sent');

    assert.deepEqual(await seqsOf(store.readPage(3, 2)), [3, 4, 5]);
    assert.deepEqual(await seqsOf(store.readPage(2, 5)), [7, 8]);
    assert.deepEqual(await seqsOf(store.readPage(10, 4)), [5, 7, 8]);
  });

  it('sweeps from the oldest record a read found', async () => {
    await store.append([makeDraft(1), makeDraft(1)]);
    clock.advance(10);
    await store.append([makeDraft(9)]);
    await store.deletePresent([1], 'sent');
    await store.readPage(1);

    const step = await store.sweepStep(undefined, 1_700_000_000_005);

    assert.deepEqual(step, { deleted: 1, corrupt: 0, lastKey: undefined });
    assert.deepEqual(await seqsOf(store.readPage(10)), [3]);
  });

  it('sweeps in steps of whole pages up to SWEEP_STEP_RECORDS, reporting where each stopped', async () => {
    // Small pages: several come from LevelDB at a time, and those after the one that reaches
    // SWEEP_STEP_RECORDS must wait for the next step.
    const perPage = 8;
    for (let page = 0; page <= SWEEP_STEP_RECORDS / perPage; page++) {
      await store.append(Array.from({ length: perPage }, () => makeDraft(1)));
    }
    clock.advance(10);
    const cutoff = 1_700_000_000_005;

    const first = await store.sweepStep(undefined, cutoff);
    const second = await store.sweepStep(first.lastKey, cutoff);

    assert.deepEqual(first, {
      deleted: SWEEP_STEP_RECORDS,
      corrupt: 0,
      lastKey: recordKey(SWEEP_STEP_RECORDS - perPage + 1),
    });
    assert.deepEqual(second, { deleted: perPage, corrupt: 0, lastKey: undefined });
    assert.equal(store.counters.pending, 0);
    assert.equal(store.counters.pendingBytes, 0);
  });

  it('ends each sweep step with the page that reaches SWEEP_STEP_RECORDS', async () => {
    const total = 3 * SWEEP_STEP_RECORDS;
    await store.append(Array.from({ length: total }, () => makeDraft(1)));
    clock.advance(10);
    const cutoff = 1_700_000_000_005;
    const fullStep = Math.ceil(SWEEP_STEP_RECORDS / MAX_PAGE_RECORDS) * MAX_PAGE_RECORDS;

    const steps = [await store.sweepStep(undefined, cutoff)];
    while (steps.at(-1)?.lastKey !== undefined) {
      steps.push(await store.sweepStep(steps.at(-1)?.lastKey, cutoff));
    }

    assert.ok(fullStep < SWEEP_STEP_RECORDS + MAX_PAGE_RECORDS);
    assert.deepEqual(
      steps.map((step) => step.deleted),
      [fullStep, fullStep, total - 2 * fullStep],
    );
    assert.deepEqual(
      steps.map((step) => step.lastKey),
      [
        recordKey(fullStep - MAX_PAGE_RECORDS + 1),
        recordKey(2 * fullStep - MAX_PAGE_RECORDS + 1),
        undefined,
      ],
    );
    assert.equal(store.counters.pending, 0);
  });

  it('keeps the counters when an append that drops for size fails to write', async () => {
    const capped = new RecordStore(db.location, db, LogCounters.fromMeta([]), {
      time: new LogTime(clock),
      maxBytes: 1,
    });
    await capped.append([makeDraft(1)]);
    const before = capped.counters.snapshot();
    await db.close();

    await assert.rejects(capped.append(makeDrafts(2)), /cannot append/);

    assert.deepEqual(capped.counters.snapshot(), before);
    await db.open();
  });
});
