import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { BatchClaims } from '../../src/delivery/claims.js';
import { WriteAheadLog } from '../../src/wal/index.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { makeDrafts } from './fixtures.js';

describe('BatchClaims', () => {
  let dir: string;
  let log: WriteAheadLog;
  beforeEach(async () => {
    dir = await makeTempDir('tps-claims-');
    log = await WriteAheadLog.open(join(dir, 'wal'));
    await log.append(makeDrafts(25));
  });
  afterEach(async () => {
    await log.close();
    await removeDir(dir);
  });

  const seqsOf = (claim: { seqs: number[] } | undefined) => claim?.seqs ?? [];

  it('hands concurrent readers distinct batches, oldest first', async () => {
    const claims = new BatchClaims(log, 10);

    const [a, b, c, d] = await Promise.all([
      claims.claimNext(),
      claims.claimNext(),
      claims.claimNext(),
      claims.claimNext(),
    ]);

    assert.deepEqual(seqsOf(a), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual(seqsOf(b), [11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    assert.deepEqual(seqsOf(c), [21, 22, 23, 24, 25]);
    assert.equal(d, undefined, 'nothing is left past the batches in flight');
    assert.equal(claims.size, 3);
  });

  it('reads past what is in flight until every claim is released, then from the oldest', async () => {
    const claims = new BatchClaims(log, 10);
    const first = await claims.claimNext();
    const second = await claims.claimNext();
    assert.ok(first && second);

    // The first batch failed: its records stay, but the second is still in flight.
    claims.release(first);
    const tail = await claims.claimNext();
    assert.deepEqual(seqsOf(tail), [21, 22, 23, 24, 25]);
    assert.ok(tail);

    await log.delete(second.seqs, 'sent');
    claims.release(second);
    claims.release(tail);

    assert.deepEqual(seqsOf(await claims.claimNext()), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual(seqsOf(await claims.claimNext()), [21, 22, 23, 24, 25]);
  });

  it("rejects with the log's error, and the next read is not held by it", async () => {
    const other = await WriteAheadLog.open(join(dir, 'other'));
    await other.close();
    const claims = new BatchClaims(other, 10);

    await assert.rejects(claims.claimNext(), { code: 'ERR_TPS_STORAGE' });
    await assert.rejects(claims.claimNext(), { code: 'ERR_TPS_STORAGE' });
  });
});
