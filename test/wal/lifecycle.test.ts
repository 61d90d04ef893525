import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isTpsError } from '../../src/errors.js';
import { WriteAheadLog, type DeleteReason, type QuarantineReason } from '../../src/wal/index.js';
import { LogHarness } from './fixtures/log-harness.js';
import { makeDraft, makeDrafts } from './fixtures/drafts.js';
import { capturingLogger, writeRaw } from './fixtures/raw.js';

// An agent id as earlier releases stored it: a bare UUID.
const OLD_ID = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

const harness = new LogHarness();
beforeEach(() => harness.setUp());
afterEach(() => harness.tearDown());

/** Asserts `error` is `ERR_TPS_STORAGE` whose message names the location and matches `pattern`. */
function isStorageError(location: string, pattern: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(isTpsError(error), `expected a TpsError, got ${String(error)}`);
    assert.equal(error.code, 'ERR_TPS_STORAGE');
    assert.ok(error.message.includes(location), `message names the location: ${error.message}`);
    assert.match(error.message, pattern);

    return true;
  };
}

describe('WriteAheadLog open', () => {
  it('creates missing directories and keeps LevelDB at the location itself', async () => {
    const location = join(harness.location, 'deeper', 'still');

    const log = await WriteAheadLog.open(location);
    await log.close();

    assert.equal(log.location, location);
    await access(join(location, 'CURRENT'));
  });

  it("refuses a location another open log holds as locked, keeping LevelDB's error", async () => {
    const first = await harness.open();

    await assert.rejects(WriteAheadLog.open(harness.location), (error: unknown) => {
      assert.ok(isTpsError(error) && error.code === 'ERR_TPS_DATADIR_LOCKED');
      assert.ok(error.message.includes(harness.location), error.message);
      assert.match(error.message, /another agent is using this data dir/);
      const cause = error.cause as { code?: unknown; cause?: { code?: unknown } };
      assert.equal(cause.code, 'LEVEL_DATABASE_NOT_OPEN');
      assert.equal(cause.cause?.code, 'LEVEL_LOCKED');

      return true;
    });

    await first.close();
    const again = await harness.open();
    assert.equal(again.agentId, first.agentId);
  });

  it('refuses a data dir in an unknown layout, and releases it', async () => {
    await writeRaw(harness.location, { 'm!format': '9', 'm!agent-id': OLD_ID });

    await assert.rejects(harness.open(), isStorageError(harness.location, /layout version 9/));

    // The lock was released: LevelDB opens again at once.
    await writeRaw(harness.location, { 'm!format': '1' });
    assert.equal((await harness.open()).agentId, OLD_ID);
  });

  it('refuses a corrupt counter, naming the key', async () => {
    await writeRaw(harness.location, { 'm!pending': 'lots' });

    await assert.rejects(harness.open(), isStorageError(harness.location, /m!pending/));
  });

  it('never gives a seq at or below a record key found on disk', async () => {
    // A data dir whose last-seq lags its records, which this log never writes itself.
    await writeRaw(harness.location, {
      'm!last-seq': '1',
      'r!0000000000000009': JSON.stringify(makeDraft(1)),
    });

    const log = await harness.open();
    const [record] = await log.append([makeDraft(2)]);

    assert.equal(record?.seq, 10);
  });

  it('logs its opening through a wal child logger', async () => {
    const lines: Record<string, unknown>[] = [];

    await harness.open({ logger: capturingLogger(lines) });

    assert.equal(lines[0]?.component, 'wal');
    assert.equal(lines[0]?.pending, 0);
    assert.equal(typeof lines[0]?.openMs, 'number');
  });
});

describe('WriteAheadLog close', () => {
  it('refuses every operation afterwards with "log is closed"', async () => {
    const log = await harness.open();
    await log.close();
    const closed = isStorageError(harness.location, /log is closed/);

    assert.equal(log.isClosed, true);
    await assert.rejects(log.append(makeDrafts(1)), closed);
    await assert.rejects(log.readOldest(1), closed);
    await assert.rejects(log.delete([1], 'sent'), closed);
    await assert.rejects(log.sweep(0), closed);
    await assert.rejects(log.quarantine([1], 'rejected', 'x'), closed);
    await assert.rejects(log.readQuarantine(1), closed);
    await assert.rejects(log.oldestPendingTime(), closed);
  });

  it('is idempotent and warns on a second call', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = await harness.open({ logger: capturingLogger(lines) });

    const first = log.close();
    const second = log.close();
    await Promise.all([first, second]);
    await log[Symbol.asyncDispose]();

    const warnings = lines.filter((line) => line.level === 40);
    assert.equal(warnings.length, 2);
    assert.equal(log.isClosed, true);
  });

  it('waits for appends already started', async () => {
    const log = await harness.open();

    const appending = log.append(makeDrafts(50));
    await log.close();
    const records = await appending;

    const reopened = await harness.open();
    assert.equal(records.length, 50);
    assert.equal(reopened.pendingCount, 50);
  });

  it('waits for reads already started', async () => {
    const log = await harness.open();
    await log.append(makeDrafts(500));

    const reading = log.readOldest(500);
    await log.close();

    assert.equal((await reading).length, 500);
  });
});

describe('WriteAheadLog input checks', () => {
  it('refuses a draft whose t is not a finite number, storing none of the batch', async () => {
    const log = await harness.open();
    const bad = makeDraft(Number.NaN);

    await assert.rejects(
      log.append([makeDraft(1), bad]),
      /drafts\[1\] is not a record: t is NaN, not a finite number/,
    );
    assert.equal(log.totalStored, 0);
  });

  it('refuses a draft with a field missing or of the wrong type, naming it', async () => {
    const log = await harness.open();
    const noSketch: Partial<ReturnType<typeof makeDraft>> = makeDraft(1);
    delete noSketch.sketch;
    const tagsArray = { ...makeDraft(1), tags: [] as unknown as Record<string, string> };

    await assert.rejects(log.append([noSketch as never]), /drafts\[0\].*sketch is missing/);
    await assert.rejects(log.append([makeDraft(1), tagsArray]), /tags is an array, not an object/);
    await assert.rejects(log.append([null as never]), /drafts\[0\] is not a record/);
    assert.equal(log.totalStored, 0);
  });

  it('refuses seqs that are not positive integers', async () => {
    const log = await harness.open();

    for (const seq of [0, -3, 1.5, Number.NaN]) {
      await assert.rejects(log.delete([1, seq], 'sent'), RangeError);
    }
  });

  it('refuses an unknown delete reason', async () => {
    const log = await harness.open();

    await assert.rejects(log.delete([1], 'lost' as DeleteReason), /reason must be one of sent/);
    await assert.rejects(log.delete([1], 'rejected' as DeleteReason), /reason must be one of/);
  });

  it('refuses an unknown quarantine reason and bad seqs', async () => {
    const log = await harness.open();

    await assert.rejects(
      log.quarantine([1], 'sent' as QuarantineReason, 'x'),
      /reason must be one of rejected, corrupt/,
    );
    await assert.rejects(log.quarantine([0], 'rejected', 'x'), RangeError);
  });

  it('refuses options out of range, naming them', async () => {
    for (const maxBytes of [0, -1, 1.5, Number.NaN]) {
      await assert.rejects(harness.open({ maxBytes }), /maxBytes must be an integer >= 1/);
    }
    await assert.rejects(
      harness.open({ maxQuarantinedRecords: -1 }),
      /maxQuarantinedRecords must be an integer >= 0/,
    );
    await assert.rejects(harness.open({ onDropped: 'yes' as never }), TypeError);
  });

  it('refuses a limit that is not a non-negative integer', async () => {
    const log = await harness.open();

    for (const limit of [-1, 1.5, Number.NaN, Infinity]) {
      await assert.rejects(log.readOldest(limit), RangeError);
      await assert.rejects(log.readQuarantine(limit), RangeError);
    }
  });
});
