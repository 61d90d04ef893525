import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { damageOf, hasCode, lockedError, storageError } from '../../src/wal/storage.js';

/** An error shaped like Level's: a code, and maybe a cause. */
function levelError(code: string | undefined, message: string, cause?: Error): Error {
  return Object.assign(new Error(message, { cause }), { code });
}

const notOpen = (cause: Error): Error =>
  levelError('LEVEL_DATABASE_NOT_OPEN', 'Database failed to open', cause);

describe('damageOf', () => {
  it('calls corruption and missing or misplaced files damage, in LevelDB words', () => {
    const cases = [
      levelError('LEVEL_CORRUPTION', 'Corruption: CURRENT file does not end with newline'),
      levelError('LEVEL_IO_ERROR', 'IO error: /x/MANIFEST-000002: No such file or directory'),
      levelError('LEVEL_IO_ERROR', 'IO error: /x/CURRENT: Is a directory'),
      levelError(undefined, 'Invalid argument: /x: does not exist (create_if_missing is false)'),
    ];

    for (const error of cases) {
      assert.equal(damageOf(storageError('/x', 'cannot open', notOpen(error))), error.message);
    }
  });

  it('never calls a held lock, a denied permission or a full disk damage', () => {
    const cases = [
      levelError('LEVEL_LOCKED', 'IO error: lock /x/LOCK: already held by process'),
      levelError('LEVEL_IO_ERROR', 'IO error: /x/LOCK: Permission denied'),
      levelError('LEVEL_IO_ERROR', 'IO error: /x/000005.log: No space left on device'),
    ];

    for (const error of cases) assert.equal(damageOf(notOpen(error)), undefined);
    assert.equal(damageOf(new Error('plain')), undefined);
    assert.equal(damageOf('not an error'), undefined);
  });

  it('finds a code down the cause chain', () => {
    const locked = lockedError('/x', notOpen(levelError('LEVEL_LOCKED', 'IO error: lock')));

    assert.equal(locked.code, 'ERR_TPS_DATADIR_LOCKED');
    assert.equal(hasCode(locked, 'LEVEL_LOCKED'), true);
    assert.equal(hasCode(locked, 'ERR_TPS_DATADIR_LOCKED'), true);
    assert.equal(hasCode(locked, 'LEVEL_CORRUPTION'), false);
    assert.match(locked.message, /^write-ahead log at \/x: another agent is using this data dir/);
  });
});
