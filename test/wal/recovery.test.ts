import assert from 'node:assert/strict';
import { mkdir, open, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isTpsError } from '../../src/errors.js';
import type { WriteAheadLog } from '../../src/wal/index.js';
import { REPAIR_SEQ_GAP } from '../../src/wal/reconcile.js';
import { REPAIR_MARKER, openStore } from '../../src/wal/recovery.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { LogHarness } from './fixtures/log-harness.js';
import { makeDrafts } from './fixtures/drafts.js';
import { capturingLogger, countsOf, dropRecorder, withRaw } from './fixtures/raw.js';

const harness = new LogHarness();
beforeEach(() => harness.setUp());
afterEach(() => harness.tearDown());

const BATCHES = 30;
const PER_BATCH = 10;

/** What a seeded log looked like when it was closed. */
interface Seeded {
  agentId: string;
  lastSeq: number;
}

/**
 * Appends BATCHES batches of PER_BATCH records, one synced batch each, and closes the log. With
 * `compact`, LevelDB then moves everything from its log file into a table file (`*.ldb`).
 */
async function seed(compact = false): Promise<Seeded> {
  const log = await harness.open();
  for (let i = 0; i < BATCHES; i++) await log.append(makeDrafts(PER_BATCH));
  await log.close();
  if (compact) await withRaw(harness.location, (db) => db.compactRange('a', 'z'));

  return { agentId: log.agentId, lastSeq: BATCHES * PER_BATCH };
}

/** The files of the store whose names match `pattern`, as full paths. */
async function files(pattern: RegExp): Promise<string[]> {
  const names = await readdir(harness.location);

  return names.filter((name) => pattern.test(name)).map((name) => join(harness.location, name));
}

async function onlyFile(pattern: RegExp): Promise<string> {
  const [file, ...more] = await files(pattern);
  assert.ok(file !== undefined && more.length === 0, `one file matches ${pattern}`);

  return file;
}

/** Overwrites `length` bytes of `file` at `offset` (from the end when negative) with junk. */
async function overwrite(file: string, offset: number, length: number): Promise<void> {
  const { size } = await stat(file);
  const handle = await open(file, 'r+');
  try {
    await handle.write(Buffer.alloc(length, 0xab), 0, length, offset < 0 ? size + offset : offset);
  } finally {
    await handle.close();
  }
}

/** Asserts the log works: it appends, reads, deletes, and its counters add up. */
async function assertWorks(log: WriteAheadLog): Promise<void> {
  const [record] = await log.append(makeDrafts(1));
  assert.ok(record !== undefined);
  const all = await log.readOldest(100_000);
  assert.equal(all.at(-1)?.seq, record.seq);
  assert.equal(all.length, log.pendingCount);
  assert.equal(await log.delete([record.seq], 'sent'), 1);
  const dropped = Object.values(log.counts()).reduce((sum, n) => sum + n, 0);
  assert.equal(log.totalStored, dropped + log.pendingCount);
}

/**
 * Asserts a repair kept the identity and moved the seqs on by 2^32 from the highest one left,
 * which takes them past every seq given before the damage, even those a lost tail took along.
 */
async function assertRepaired(log: WriteAheadLog, seeded: Seeded, records: number): Promise<void> {
  assert.equal(log.recovery?.action, 'repaired');
  assert.equal(log.agentId, seeded.agentId);
  assert.equal(log.pendingCount, records);
  const highestLeft = (await log.readOldest(100_000)).at(-1)?.seq ?? 0;

  const [next] = await log.append(makeDrafts(1));

  assert.equal(next?.seq, highestLeft + REPAIR_SEQ_GAP + 1);
  assert.ok(next.seq > seeded.lastSeq, 'no seq given before the damage is given again');
  await assertWorks(log);
}

describe('WriteAheadLog recovery at open', () => {
  it('repairs a truncated CURRENT, keeping every record, and jumps the seqs', async () => {
    const seeded = await seed();
    await truncate(join(harness.location, 'CURRENT'), 0);
    const lines: Record<string, unknown>[] = [];

    const log = await harness.open({ logger: capturingLogger(lines) });

    await assertRepaired(log, seeded, BATCHES * PER_BATCH);
    assert.match(log.recovery?.error ?? '', /CURRENT/);
    assert.equal(log.recovery?.lostRecords, 0);
    const warning = lines.find((line) => line.level === 40 && line.action === 'repaired');
    assert.ok(warning, 'the repair is logged at warn');
  });

  it('repairs a deleted CURRENT instead of starting an empty store over the tables', async () => {
    const seeded = await seed(true);
    await rm(join(harness.location, 'CURRENT'));

    const log = await harness.open();

    await assertRepaired(log, seeded, BATCHES * PER_BATCH);
  });

  it('repairs a deleted MANIFEST', async () => {
    const seeded = await seed(true);
    for (const file of await files(/^MANIFEST-/)) await rm(file);

    const log = await harness.open();

    await assertRepaired(log, seeded, BATCHES * PER_BATCH);
  });

  it('repairs a MANIFEST truncated to nothing or cut inside its record', async () => {
    for (const cut of [0, 0.5]) {
      const seeded = await seed();
      const manifest = await onlyFile(/^MANIFEST-/);
      await truncate(manifest, Math.floor((await stat(manifest)).size * cut));

      const log = await harness.open();

      await assertRepaired(log, seeded, BATCHES * PER_BATCH);
      await harness.tearDown();
      await harness.setUp();
    }
  });

  it('repairs a damaged tail of the log file, keeping the records before it', async () => {
    const seeded = await seed();
    await overwrite(await onlyFile(/\.log$/), -300, 200);

    const log = await harness.open();

    assert.equal(log.recovery?.action, 'repaired');
    assert.match(log.recovery?.error ?? '', /dropped \d+ bytes/);
    assert.ok(log.pendingCount > 0 && log.pendingCount < BATCHES * PER_BATCH);
    await assertRepaired(log, seeded, log.pendingCount);
  });

  it('counts records lost inside the log file as dropped for corrupt', async () => {
    const seeded = await seed();
    const file = await onlyFile(/\.log$/);
    await overwrite(file, Math.floor((await stat(file)).size / 3), 200);
    const drops = dropRecorder();

    const log = await harness.open({ onDropped: drops.onDropped });

    const lost = log.recovery?.lostRecords ?? 0;
    assert.ok(lost > 0, 'the batches after the damage tell how many are missing');
    assert.equal(log.pendingCount, BATCHES * PER_BATCH - lost);
    assert.deepEqual(log.counts(), countsOf({ corrupt: lost }));
    assert.deepEqual(drops.calls, [['corrupt', lost]]);
    await assertRepaired(log, seeded, log.pendingCount);
  });

  it('repairs junk in a table file, starting a new identity when the meta keys were in it', async () => {
    const seeded = await seed(true);
    const table = await onlyFile(/\.ldb$/);
    await writeFile(table, Buffer.alloc((await stat(table)).size, 0x5a));

    const log = await harness.open();

    assert.equal(log.recovery?.action, 'repaired');
    assert.match(log.recovery?.error ?? '', /Corruption/);
    assert.equal(log.recovery?.lostRecords, undefined, 'unknown: the counters went too');
    assert.notEqual(log.agentId, seeded.agentId);
    await assertWorks(log);
  });

  it('moves a store repair cannot fix aside and starts afresh under a new identity', async () => {
    const clock = new FakeClock();
    const seeded = await seed();
    await rm(join(harness.location, 'CURRENT'));
    await mkdir(join(harness.location, 'CURRENT'));
    const lines: Record<string, unknown>[] = [];

    const log = await harness.open({ clock, logger: capturingLogger(lines) });

    const movedTo = `${harness.location}.corrupt-1700000000000`;
    assert.equal(log.recovery?.action, 'moved-aside');
    assert.equal(log.recovery?.movedTo, movedTo);
    assert.match(log.recovery?.error ?? '', /repair did not help/);
    const kept = await readdir(movedTo);
    assert.ok(
      kept.some((name) => /\.(log|ldb)$/.test(name)),
      `the data is kept: ${kept.join(' ')}`,
    );
    assert.notEqual(log.agentId, seeded.agentId);
    assert.equal(log.pendingCount, 0);
    assert.equal((await log.append(makeDrafts(1)))[0]?.seq, 1);
    await assertWorks(log);
    assert.ok(lines.some((line) => line.level === 50 && line.action === 'moved-aside'));
    await rm(movedTo, { recursive: true });
  });

  it('repairs again a store left marked by a repair that did not finish', async () => {
    const seeded = await seed();
    await writeFile(join(harness.location, REPAIR_MARKER), 'crashed mid-repair');

    const log = await harness.open();

    assert.match(log.recovery?.error ?? '', /marked for repair: crashed mid-repair/);
    await assertRepaired(log, seeded, BATCHES * PER_BATCH);
    const again = await harness.reopen(log);
    assert.equal(again.recovery, undefined, 'the mark is gone once the repair is done');
  });

  it('repairs tables cut short instead of refusing the store', async () => {
    await seed(true);
    for (const table of await files(/\.ldb$/)) {
      await truncate(table, Math.floor((await stat(table)).size * 0.99));
    }
    const drops = dropRecorder();

    const log = await harness.open({ onDropped: drops.onDropped });

    assert.equal(log.recovery?.action, 'repaired');
    assert.match(log.recovery?.error ?? '', /^IO error: .*\.ldb: Invalid argument$/);
    // The only table held the meta keys too: nothing tells how many records it held.
    assert.equal(log.recovery?.lostRecords, undefined);
    assert.deepEqual(drops.calls, []);
    await assertWorks(log);
  });

  it('repairs a CURRENT holding a NUL byte, keeping every record', async () => {
    const seeded = await seed();
    await writeFile(join(harness.location, 'CURRENT'), Buffer.from('A\0MANIFEST-000001\n'));

    const log = await harness.open();

    // LevelDB's message stops at the NUL of the name it read from CURRENT.
    assert.equal(log.recovery?.error, `IO error: ${harness.location}/A`);
    await assertRepaired(log, seeded, BATCHES * PER_BATCH);
  });

  it('repairs damage a recount meets, instead of refusing the store', async () => {
    await seed();
    // Records without an identity: the open recounts them, and the scan meets the damage.
    await withRaw(harness.location, async (db) => {
      await db.del('m!agent-id');
      await db.compactRange('a', 'z');
    });
    const table = await onlyFile(/\.ldb$/);
    await overwrite(table, Math.floor((await stat(table)).size / 2), 200);

    const log = await harness.open();

    assert.equal(log.recovery?.action, 'repaired');
    assert.match(log.recovery?.error ?? '', /^Corruption: /);
    assert.ok(log.pendingCount < BATCHES * PER_BATCH, 'the damaged block is gone');
    await assertWorks(log);
  });

  it('counts the records of a store moved aside, when its counters tell', async () => {
    await seed();
    await writeFile(join(harness.location, REPAIR_MARKER), 'a table reads as garbage');
    const repair = async (): Promise<void> => {
      throw new Error('LevelDB repair died by SIGABRT');
    };

    const opened = await openStore(harness.location, { wallMs: () => 1, repair });
    await opened.db.close();

    assert.equal(opened.recovery?.action, 'moved-aside');
    assert.equal(opened.recovery?.lostRecords, BATCHES * PER_BATCH);
    assert.match(opened.recovery?.error ?? '', /repair did not help: .*SIGABRT/);
    const log = await harness.open();
    assert.equal(log.pendingCount, 0);
    assert.equal(log.totalStored, BATCHES * PER_BATCH);
    assert.deepEqual(log.counts(), countsOf({ corrupt: BATCHES * PER_BATCH }));
    await assertWorks(log);
    await rm(`${harness.location}.corrupt-1`, { recursive: true });
  });

  it('never repairs or moves a store another log holds, even when it is marked', async () => {
    const holder = await harness.open();
    await holder.append(makeDrafts(3));
    await writeFile(join(harness.location, REPAIR_MARKER), 'x');

    await assert.rejects(harness.open(), (error: unknown) => {
      assert.ok(isTpsError(error) && error.code === 'ERR_TPS_DATADIR_LOCKED');
      return true;
    });

    assert.deepEqual(await readdir(join(harness.location, '..')), ['wal']);
    assert.equal((await holder.readOldest(10)).length, 3);
  });

  it('opens a sound store with no recovery', async () => {
    await seed(true);

    const log = await harness.open();

    assert.equal(log.recovery, undefined);
    assert.equal(log.pendingCount, BATCHES * PER_BATCH);
  });
});
