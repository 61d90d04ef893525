import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ClassicLevel } from 'classic-level';
import { isTpsError } from '../../src/errors.js';
import { FORMAT_VERSION } from '../../src/wal/keys.js';
import { encodeEntry } from '../../src/wal/codec.js';
import { stampIdentity } from '../../src/wal/identity.js';
import { loadMeta } from '../../src/wal/meta.js';
import { MAX_PAGE_RECORDS, encodePages } from '../../src/wal/page.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { makeDraft, makeDrafts } from './fixtures/drafts.js';
import { countsOf } from './fixtures/raw.js';

// An agent id as earlier releases stored it: a bare UUID.
const OLD_ID = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

let dir: string;
let db: ClassicLevel<string, string>;

beforeEach(async () => {
  dir = await makeTempDir('tps-wal-meta-');
  db = new ClassicLevel<string, string>(join(dir, 'wal'));
  await db.open();
});

afterEach(async () => {
  await db.close();
  await removeDir(dir);
});

describe('loadMeta', () => {
  it('gives a new database a format and an agent id, and reads the same id back', async () => {
    const first = await loadMeta(db, db.location);
    const second = await loadMeta(db, db.location);

    assert.equal(await db.get('m!format'), FORMAT_VERSION);
    assert.equal(first.isNewIdentity, true);
    assert.equal(second.isNewIdentity, false);
    assert.equal(second.upgrade, undefined);
    assert.equal(await db.get('m!agent-id'), stampIdentity(first.agentId));
    assert.equal(second.agentId, first.agentId);
    assert.equal(second.counters.lastSeq, 0);
  });

  it('reads the counters from their meta keys', async () => {
    await db.put('m!format', FORMAT_VERSION);
    await db.put('m!agent-id', OLD_ID);
    await db.put('m!last-seq', '12');
    await db.put('m!deleted!retention', '4');

    const { agentId, counters, upgrade } = await loadMeta(db, db.location);

    assert.equal(agentId, OLD_ID);
    assert.equal(counters.lastSeq, 12);
    assert.deepEqual(counters.droppedCounts(), countsOf({ retention: 4 }));
    assert.equal(upgrade, undefined);
  });

  it('asks for a recount of a layout version 1 or 2 data dir, or one without a version', async () => {
    for (const format of ['1', '2', undefined]) {
      await db.batch().del('m!format').put('m!agent-id', OLD_ID).write();
      if (format !== undefined) await db.put('m!format', format);

      assert.equal((await loadMeta(db, db.location)).upgrade, 'recount', `version ${format}`);
    }
  });

  it('asks only to mark a layout version 3 data dir, whose counters hold', async () => {
    await db.put('m!format', '3');
    await db.put('m!agent-id', OLD_ID);
    await db.put('m!pending', '2');

    const meta = await loadMeta(db, db.location);

    assert.equal(meta.upgrade, 'mark');
    assert.equal(meta.counters.pending, 2);
  });

  it('drops records found without any identity, and asks for a recount', async () => {
    await db.put('r!0000000000000003', encodeEntry(3, makeDraft(1), 1).value);

    const meta = await loadMeta(db, db.location);

    assert.equal(meta.isNewIdentity, true);
    assert.equal(meta.upgrade, 'recount');
    assert.equal(meta.counters.lastSeq, 3);
    assert.deepEqual(meta.counters.droppedCounts(), countsOf({ corrupt: 1 }));
    assert.deepEqual(await db.keys({ gte: 'r!', lt: 'r"' }).all(), []);
    assert.deepEqual(
      meta.identityEvents.map(({ action, droppedRecords }) => [action, droppedRecords]),
      [['replaced', 1]],
    );
  });

  it('raises the last seq to the highest seq the last page holds', async () => {
    await db.put('m!last-seq', '2');
    const [page] = encodePages(5, makeDrafts(3), 1);
    await db.put<string, Buffer>(page?.key ?? '', page?.value ?? Buffer.alloc(0), {
      valueEncoding: 'buffer',
    });

    assert.equal((await loadMeta(db, db.location)).counters.lastSeq, 7);
  });

  it('raises the last seq past every seq an unreadable last page may hold', async () => {
    await db.put('m!last-seq', '2');
    await db.put('r!0000000000000005', 'garbage');

    const { counters } = await loadMeta(db, db.location);

    assert.equal(counters.lastSeq, 5 + MAX_PAGE_RECORDS - 1);
  });

  it('wraps a LevelDB failure, naming the location', async () => {
    await db.close();

    await assert.rejects(loadMeta(db, db.location), (error: unknown) => {
      assert.ok(isTpsError(error) && error.code === 'ERR_TPS_STORAGE');
      assert.match(error.message, /cannot read meta keys/);
      assert.ok(error.message.includes(db.location));

      return true;
    });
    await db.open();
  });
});
