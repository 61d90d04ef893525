import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { WriteAheadLog } from '../../src/wal/index.js';
import { IDENTITY_FILE, stampIdentity } from '../../src/wal/identity.js';
import { REPAIR_SEQ_GAP } from '../../src/wal/reconcile.js';
import { LogHarness } from './fixtures/log-harness.js';
import { makeDrafts } from './fixtures/drafts.js';
import { capturingLogger, countsOf, dropRecorder, withRaw, writeRaw } from './fixtures/raw.js';

const harness = new LogHarness();
beforeEach(() => harness.setUp());
afterEach(() => harness.tearDown());

// An agent id as earlier releases stored it: a bare UUID.
const OLD_ID = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const RECORDS = 300;

/** A closed log holding RECORDS pending records, the first 100 of them acknowledged. */
async function seeded(): Promise<{ agentId: string; seqs: number[] }> {
  const log = await harness.open();
  const records = await log.append(makeDrafts(RECORDS + 100));
  await log.delete(
    records.slice(0, 100).map(({ seq }) => seq),
    'sent',
  );
  await log.close();

  return { agentId: log.agentId, seqs: records.slice(100).map(({ seq }) => seq) };
}

function identityFile(): string {
  return join(harness.location, IDENTITY_FILE);
}

async function metaId(): Promise<string | undefined> {
  return withRaw(harness.location, (db) => db.get('m!agent-id'));
}

async function pendingSeqs(log: WriteAheadLog): Promise<number[]> {
  return (await log.readOldest(100_000)).map(({ seq }) => seq);
}

/** The warn lines of `lines` that tell of the identity, as [action, droppedRecords]. */
function identityWarnings(lines: Record<string, unknown>[]): [unknown, unknown][] {
  return lines
    .filter((line) => line.level === 40 && typeof line.action === 'string')
    .map((line) => [line.action, line.droppedRecords]);
}

describe('the agent id at open', () => {
  it('is written, stamped, to the meta keys and to a file in the directory of a new log', async () => {
    const lines: Record<string, unknown>[] = [];

    const log = await harness.open({ logger: capturingLogger(lines) });

    const stamped = stampIdentity(log.agentId);
    assert.equal(await readFile(identityFile(), 'utf8'), `${stamped}\n`);
    await log.close();
    assert.equal(await metaId(), stamped);
    assert.deepEqual(identityWarnings(lines), [], 'a new log is not news');
  });

  it('keeps a bare UUID of an earlier layout, stamping it and filing a copy', async () => {
    await writeRaw(harness.location, { 'm!format': '4', 'm!agent-id': OLD_ID });

    const log = await harness.open();

    assert.equal(log.agentId, OLD_ID);
    assert.equal(await readFile(identityFile(), 'utf8'), `${stampIdentity(OLD_ID)}\n`);
    await log.close();
    assert.equal(await metaId(), stampIdentity(OLD_ID));
  });

  it('is restored from its file when its key is deleted, records and their seqs kept', async () => {
    const { agentId, seqs } = await seeded();
    await withRaw(harness.location, (db) => db.del('m!agent-id'));
    const lines: Record<string, unknown>[] = [];
    const drops = dropRecorder();

    const log = await harness.open({ logger: capturingLogger(lines), ...drops });

    assert.equal(log.agentId, agentId);
    assert.deepEqual(await pendingSeqs(log), seqs, 'the same records under the same seqs');
    assert.equal(log.pendingCount, RECORDS);
    assert.deepEqual(log.counts(), countsOf({ sent: 100 }));
    assert.deepEqual(drops.calls, []);
    assert.deepEqual(identityWarnings(lines), [['restored', 0]]);
    const [next] = await log.append(makeDrafts(1));
    assert.equal(next?.seq, RECORDS + 100 + REPAIR_SEQ_GAP + 1, 'the seqs jump by 2^32');
    await log.close();
    assert.equal(await metaId(), stampIdentity(agentId), 'the key is written back');
    assert.equal((await harness.open()).agentId, agentId);
  });

  it('is restored from its file when the bytes of its key are damaged', async () => {
    const { agentId, seqs } = await seeded();
    const damaged = stampIdentity(agentId).replace(/^(...)./, (_, head: string) => `${head}x`);
    await writeRaw(harness.location, { 'm!agent-id': damaged });
    const lines: Record<string, unknown>[] = [];

    const log = await harness.open({ logger: capturingLogger(lines) });

    assert.equal(log.agentId, agentId);
    assert.deepEqual(await pendingSeqs(log), seqs);
    assert.deepEqual(identityWarnings(lines), [['restored', 0]]);
    const restored = lines.find((line) => line.action === 'restored');
    assert.match(String(restored?.problem), /checksum does not match/);
  });

  it('is restored when one byte of it is flipped inside a LevelDB table', async () => {
    const { agentId, seqs } = await seeded();
    await withRaw(harness.location, (db) => db.compactRange('a', 'z'));
    let flipped = 0;
    for (const name of (await readdir(harness.location)).filter((n) => n.endsWith('.ldb'))) {
      const path = join(harness.location, name);
      const bytes = await readFile(path);
      const at = bytes.indexOf(agentId);
      if (at < 0) continue;
      bytes[at + 3] = bytes[at + 3] === 0x61 ? 0x62 : 0x61;
      await writeFile(path, bytes);
      flipped += 1;
    }
    assert.equal(flipped, 1, 'the id is in one table, uncompressed');

    const log = await harness.open();

    assert.equal(log.agentId, agentId);
    assert.deepEqual(await pendingSeqs(log), seqs);
  });

  it('is made anew when both copies are gone, the records pending dropped as corrupt', async () => {
    const { agentId } = await seeded();
    await withRaw(harness.location, (db) => db.del('m!agent-id'));
    await rm(identityFile());
    const lines: Record<string, unknown>[] = [];
    const drops = dropRecorder();

    const log = await harness.open({ logger: capturingLogger(lines), ...drops });

    assert.notEqual(log.agentId, agentId);
    assert.deepEqual(await pendingSeqs(log), [], 'none is sent under the new id');
    assert.equal(log.pendingCount, 0);
    assert.equal(log.pendingBytes, 0);
    assert.deepEqual(log.counts(), countsOf({ sent: 100, corrupt: RECORDS }));
    assert.equal(log.totalStored, RECORDS + 100);
    assert.deepEqual(drops.calls, [['corrupt', RECORDS]]);
    assert.deepEqual(identityWarnings(lines), [['replaced', RECORDS]]);
    assert.equal(await readFile(identityFile(), 'utf8'), `${stampIdentity(log.agentId)}\n`);
    const [next] = await log.append(makeDrafts(1));
    assert.ok(next !== undefined && next.seq > RECORDS + 100, 'seqs still only grow');
  });

  it('is made anew when its copies are damaged, dropping the records', async () => {
    const { agentId } = await seeded();
    await writeRaw(harness.location, { 'm!agent-id': 'not an id' });
    await writeFile(identityFile(), `${stampIdentity(agentId).replace(/.$/, '_')}\n`);
    const drops = dropRecorder();

    const log = await harness.open(drops);

    assert.notEqual(log.agentId, agentId);
    assert.equal(log.pendingCount, 0);
    assert.deepEqual(drops.calls, [['corrupt', RECORDS]]);
  });

  it('is made anew when the last seq is lost with it: the seqs given under the file copy are unknown', async () => {
    const { agentId } = await seeded();
    await withRaw(harness.location, (db) => db.batch().del('m!agent-id').del('m!last-seq').write());
    const lines: Record<string, unknown>[] = [];

    const log = await harness.open({ logger: capturingLogger(lines) });

    assert.notEqual(log.agentId, agentId);
    assert.equal(log.pendingCount, 0);
    assert.deepEqual(identityWarnings(lines), [['replaced', RECORDS]]);
    const replaced = lines.find((line) => line.action === 'replaced');
    assert.match(String(replaced?.problem), /m!last-seq/);
  });

  it('writes its file again when the file is damaged or holds another id', async () => {
    const log = await harness.open();
    await log.close();
    const other = stampIdentity('ffffffff-0000-4000-8000-000000000000');
    for (const text of ['junk\n', `${other}\n`]) {
      await writeFile(identityFile(), text);
      const lines: Record<string, unknown>[] = [];

      const again = await harness.open({ logger: capturingLogger(lines) });
      await again.close();

      assert.equal(again.agentId, log.agentId, 'the meta copy wins');
      assert.equal(await readFile(identityFile(), 'utf8'), `${stampIdentity(log.agentId)}\n`);
      assert.deepEqual(identityWarnings(lines), [['file-rewritten', 0]]);
    }
  });

  it('opens, and warns, when its file cannot be written', async () => {
    await mkdir(join(identityFile(), 'in-the-way'), { recursive: true });
    const lines: Record<string, unknown>[] = [];

    const log = await harness.open({ logger: capturingLogger(lines) });

    // A copy was there, but unreadable: the new id is news too.
    assert.deepEqual(identityWarnings(lines), [
      ['replaced', 0],
      ['file-failed', 0],
    ]);
    assert.equal((await log.append(makeDrafts(1))).length, 1);
  });
});
