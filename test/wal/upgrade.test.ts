import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { RecordDraft } from '../../src/protocol/types.js';
import { encodeEntry } from '../../src/wal/codec.js';
import type { WriteAheadLog } from '../../src/wal/index.js';
import { FORMAT_VERSION } from '../../src/wal/keys.js';
import { PAGE_LAYOUT } from '../../src/wal/page.js';
import { REPAIR_SEQ_GAP, recount } from '../../src/wal/reconcile.js';
import { REPAIR_MARKER } from '../../src/wal/recovery.js';
import { LogReporter } from '../../src/wal/reporter.js';
import { ClassicLevel } from 'classic-level';
import { FakeClock } from '../helpers/fake-clock.js';
import { LogHarness } from './fixtures/log-harness.js';
import { makeDraft, makeDrafts } from './fixtures/drafts.js';
import { RUN_BINS_PAGE } from './fixtures/run-bins-page.js';
import {
  capturingLogger,
  countsOf,
  rawPages,
  withRaw,
  writeLayout3,
  writeRaw,
} from './fixtures/raw.js';

const harness = new LogHarness();
beforeEach(() => harness.setUp());
afterEach(() => harness.tearDown());

const HOUR = 3_600_000;

/** Closes `log` and asserts its counters equal what a full scan of the store finds. */
async function assertCountersExact(log: WriteAheadLog): Promise<void> {
  const { pendingCount, pendingBytes } = log;
  await log.close();
  const found = await withRaw(harness.location, recount);

  assert.deepEqual([found.records, found.bytes], [pendingCount, pendingBytes]);
}

describe('WriteAheadLog on a layout version 1 data dir', () => {
  it('counts the bytes once, marks the current version and ages old records by their t', async () => {
    const old = JSON.stringify(makeDraft(1_700_000_000_000 - 2 * HOUR));
    const recent = JSON.stringify(makeDraft(1_700_000_000_000 - 1000));
    await writeRaw(harness.location, {
      'm!format': '1',
      'm!agent-id': '11111111-1111-4111-8111-111111111111',
      'm!last-seq': '3',
      'm!pending': '2',
      'm!stored': '3',
      'm!deleted!sent': '1',
      'r!0000000000000002': old,
      'r!0000000000000003': recent,
    });

    const log = await harness.open({ clock: new FakeClock() });

    assert.equal(log.agentId, '11111111-1111-4111-8111-111111111111');
    assert.equal(log.recovery, undefined);
    assert.equal(log.pendingBytes, Buffer.byteLength(old) + Buffer.byteLength(recent));
    assert.deepEqual(log.counts(), countsOf({ sent: 1 }));
    assert.equal(await log.sweep(HOUR), 1);
    assert.deepEqual(
      (await log.readOldest(10)).map((record) => record.seq),
      [3],
    );
    assert.equal((await log.append(makeDrafts(1)))[0]?.seq, 4);
    await assertCountersExact(log);
    assert.equal(await withRaw(harness.location, (db) => db.get('m!format')), FORMAT_VERSION);
  });
});

describe('WriteAheadLog on a layout version 2 data dir', () => {
  it('reads its JSON records as they are, writes pages after them and recounts', async () => {
    const draft = makeDraft(1_700_000_000_000 - 1000);
    const stored = JSON.stringify({ ...draft, stored_at: 1_700_000_000_000 - 500 });
    await writeRaw(harness.location, {
      'm!format': '2',
      'm!agent-id': '22222222-2222-4222-8222-222222222222',
      'm!last-seq': '1',
      'm!pending': '1',
      'm!pending-bytes': String(Buffer.byteLength(stored)),
      'm!stored': '1',
      'm!quarantined': '0',
      'r!0000000000000001': stored,
    });

    const log = await harness.open({ clock: new FakeClock() });
    await log.append([makeDraft(1_700_000_000_000)]);
    const records = await log.readOldest(10);
    await log.close();

    assert.equal(log.agentId, '22222222-2222-4222-8222-222222222222');
    assert.deepEqual(records, [
      { ...draft, seq: 1 },
      { ...makeDraft(1_700_000_000_000), seq: 2 },
    ]);
    assert.equal(await withRaw(harness.location, (db) => db.get('m!format')), FORMAT_VERSION);
    const pages = await rawPages(harness.location);
    assert.deepEqual(
      pages.map(([key, value]) => [key, value[0]]),
      [
        ['r!0000000000000001', '{'.charCodeAt(0)],
        ['r!0000000000000002', PAGE_LAYOUT],
      ],
    );
  });
});

describe('WriteAheadLog on a layout version 3 data dir', () => {
  it('keeps its counters, marks the current version and mixes its records with pages', async () => {
    const clock = new FakeClock();
    const drafts = makeDrafts(4);
    const bytes = await writeLayout3(harness.location, drafts, 1_700_000_000_000 - HOUR);

    const log = await harness.open({ clock });
    const bytesAtOpen = log.pendingBytes;
    await log.append(makeDrafts(3));
    await log.delete([2, 6], 'sent');
    await log.quarantine([3], 'rejected', 'refused');
    const [entry] = await log.readQuarantine(1);
    const swept = await log.sweep(HOUR - 1);
    const left = (await log.readOldest(10)).map((record) => record.seq);

    assert.equal(log.agentId, '33333333-3333-4333-8333-333333333333');
    assert.equal(
      bytesAtOpen,
      bytes.reduce((sum, n) => sum + n, 0),
      'the counters were taken as kept',
    );
    assert.equal(
      entry?.value,
      encodeEntry(3, drafts[2] as RecordDraft, 1_700_000_000_000 - HOUR).value,
    );
    assert.deepEqual(entry?.record, { ...drafts[2], seq: 3 });
    assert.equal(swept, 2, 'records 1 and 4, stored an hour before the open');
    assert.deepEqual(left, [5, 7]);
    assert.deepEqual(log.counts(), countsOf({ sent: 2, rejected: 1, retention: 2 }));
    const reopened = await harness.reopen(log, { clock });
    assert.deepEqual(
      (await reopened.readOldest(10)).map((record) => record.seq),
      [5, 7],
    );
    await assertCountersExact(reopened);
    assert.equal(await withRaw(harness.location, (db) => db.get('m!format')), FORMAT_VERSION);
  });
});

describe('WriteAheadLog on a layout version 4 data dir', () => {
  it('reads its pages unchecked, marks the current version and rewrites a page in it', async () => {
    const { key, value, records } = RUN_BINS_PAGE;
    const db = new ClassicLevel<string, string>(harness.location);
    await db.open();
    await db.batch([
      { type: 'put', key: 'm!format', value: '4' },
      { type: 'put', key: 'm!agent-id', value: '44444444-4444-4444-8444-444444444444' },
      { type: 'put', key: 'm!last-seq', value: '9' },
      { type: 'put', key: 'm!stored', value: '9' },
      { type: 'put', key: 'm!pending', value: '3' },
      { type: 'put', key: 'm!pending-bytes', value: String(value.length) },
      { type: 'put', key: 'm!deleted!sent', value: '6' },
    ]);
    await db.put<string, Buffer>(key, value, { valueEncoding: 'buffer' });
    await db.close();

    const log = await harness.open();
    assert.equal(log.agentId, '44444444-4444-4444-8444-444444444444');
    assert.deepEqual(await log.readOldest(10), records);
    assert.equal(log.pendingBytes, value.length, 'the counters were taken as kept');
    await log.delete([8], 'sent');
    const reopened = await harness.reopen(log);

    assert.deepEqual(await reopened.readOldest(10), [records[0], records[2]]);
    assert.deepEqual(reopened.counts(), countsOf({ sent: 7 }));
    await assertCountersExact(reopened);
    const page = await withRaw(harness.location, (raw) =>
      raw.get<string, Buffer>(key, { valueEncoding: 'buffer' }),
    );
    assert.equal(page?.[0], PAGE_LAYOUT, 'a page rewritten without a record is written anew');
    assert.equal(await withRaw(harness.location, (raw) => raw.get('m!format')), FORMAT_VERSION);
  });
});

describe('damage found while the log runs', () => {
  it('is logged once and marks the store, which the next open repairs', async () => {
    const first = await harness.open();
    await first.append(makeDrafts(3));
    const lines: Record<string, unknown>[] = [];
    const reporter = new LogReporter(harness.location, capturingLogger(lines), undefined);
    const damage = Object.assign(new Error('Corruption: bad block type'), {
      code: 'LEVEL_CORRUPTION',
    });

    await reporter.corruption(damage);
    await reporter.corruption(damage);
    await access(join(harness.location, REPAIR_MARKER));
    const second = await harness.reopen(first);

    assert.equal(lines.filter((line) => line.level === 50).length, 1);
    assert.equal(second.recovery?.action, 'repaired');
    assert.match(second.recovery?.error ?? '', /marked for repair: Corruption: bad block type/);
    assert.equal(second.pendingCount, 3);
    assert.equal((await second.append(makeDrafts(1)))[0]?.seq, 3 + REPAIR_SEQ_GAP + 1);
  });
});
