import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ClassicLevel } from 'classic-level';
import { isTpsError } from '../../src/errors.js';
import { FORMAT_VERSION } from '../../src/wal/keys.js';
import { loadMeta } from '../../src/wal/meta.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { countsOf } from './fixtures/raw.js';

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
    assert.equal(second.needsUpgrade, false);
    assert.equal(await db.get('m!agent-id'), first.agentId);
    assert.equal(second.agentId, first.agentId);
    assert.equal(second.counters.lastSeq, 0);
  });

  it('reads the counters from their meta keys', async () => {
    await db.put('m!format', FORMAT_VERSION);
    await db.put('m!agent-id', 'agent-1');
    await db.put('m!last-seq', '12');
    await db.put('m!deleted!retention', '4');

    const { agentId, counters, needsUpgrade } = await loadMeta(db, db.location);

    assert.equal(agentId, 'agent-1');
    assert.equal(counters.lastSeq, 12);
    assert.deepEqual(counters.droppedCounts(), countsOf({ retention: 4 }));
    assert.equal(needsUpgrade, false);
  });

  it('asks for a recount of a layout version 1 data dir', async () => {
    await db.put('m!format', '1');
    await db.put('m!agent-id', 'agent-1');

    assert.equal((await loadMeta(db, db.location)).needsUpgrade, true);
  });

  it('asks for a recount when records are found without an identity', async () => {
    await db.put('r!0000000000000003', '{}');

    const meta = await loadMeta(db, db.location);

    assert.equal(meta.isNewIdentity, true);
    assert.equal(meta.needsUpgrade, true);
    assert.equal(meta.counters.lastSeq, 3);
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
