import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { damageOf, storageError } from '../../src/wal/storage.js';

/** An error shaped like Level's: a code, and maybe a cause. */
function levelError(code: string | undefined, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** The error `openStore` meets: ours, wrapping Level's open error, wrapping LevelDB's. */
function atOpen(error: Error): Error {
  const notOpen = new Error('Database failed to open', { cause: error });

  return storageError(
    '/data/wal',
    'cannot open',
    Object.assign(notOpen, { code: 'LEVEL_DATABASE_NOT_OPEN' }),
  );
}

describe('damageOf, for files LevelDB reads as damaged', () => {
  it('calls an IO error about a table, log or MANIFEST of the store damage', () => {
    const messages = [
      'IO error: /data/wal/000005.ldb: Invalid argument',
      'IO error: /data/wal/000007.sst: Invalid argument',
      'IO error: /data/wal/000012.log: Invalid argument',
      'IO error: /data/wal/MANIFEST-000004: Invalid argument',
    ];

    for (const message of messages) {
      const error = levelError('LEVEL_IO_ERROR', message);
      assert.equal(damageOf(storageError('/data/wal', 'cannot read meta keys', error)), message);
      assert.equal(damageOf(atOpen(error), '/data/wal'), message);
    }
  });

  it('calls a name read from a damaged CURRENT, cut at its NUL, damage', () => {
    const error = levelError('LEVEL_IO_ERROR', 'IO error: /data/wal/A');

    assert.equal(damageOf(atOpen(error), '/data/wal'), 'IO error: /data/wal/A');
    assert.equal(damageOf(atOpen(error)), undefined, 'only a path under the location says so');
    assert.equal(damageOf(atOpen(error), '/data/other'), undefined);
  });

  it('never calls a failure of the machine damage, whatever file it names', () => {
    const reasons = [
      'Permission denied',
      'Operation not permitted',
      'No space left on device',
      'Disk quota exceeded',
      'Too many open files',
      'Read-only file system',
      'Cannot allocate memory',
      'Input/output error',
      'Stale file handle',
    ];

    for (const reason of reasons) {
      for (const file of ['000005.ldb', 'CURRENT', 'MANIFEST-000004', 'A']) {
        const error = levelError('LEVEL_IO_ERROR', `IO error: /data/wal/${file}: ${reason}`);
        assert.equal(damageOf(atOpen(error), '/data/wal'), undefined, `${file}: ${reason}`);
      }
    }
  });

  it('never calls a held lock damage, even with a damaged file beside it', () => {
    const locked = levelError('LEVEL_LOCKED', 'IO error: lock /data/wal/LOCK: already held');
    const chain = new Error('IO error: /data/wal/000005.ldb: Invalid argument', { cause: locked });

    assert.equal(damageOf(atOpen(locked), '/data/wal'), undefined);
    assert.equal(damageOf(chain, '/data/wal'), undefined);
  });

  it('leaves IO errors that name no file of the store alone', () => {
    const cases = [
      levelError('LEVEL_IO_ERROR', 'IO error: /elsewhere/000005.ldb.bak: Invalid argument'),
      levelError('LEVEL_IO_ERROR', 'IO error: something else went wrong'),
      levelError(undefined, 'Invalid argument: bad option'),
    ];

    for (const error of cases) assert.equal(damageOf(atOpen(error), '/data/wal'), undefined);
  });
});
