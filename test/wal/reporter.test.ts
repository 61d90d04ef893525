import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogReporter } from '../../src/wal/reporter.js';
import { capturingLogger, dropRecorder } from './fixtures/raw.js';

describe('LogReporter', () => {
  it('tells onDropped of each non-empty drop', () => {
    const drops = dropRecorder();
    const reporter = new LogReporter('/nowhere', capturingLogger([]), drops.onDropped);

    reporter.dropped('size', 3);
    reporter.dropped('retention', 0);

    assert.deepEqual(drops.calls, [['size', 3]]);
  });

  it('logs a throwing onDropped and goes on', () => {
    const lines: Record<string, unknown>[] = [];
    const reporter = new LogReporter('/nowhere', capturingLogger(lines), () => {
      throw new Error('owner bug');
    });

    assert.doesNotThrow(() => reporter.dropped('rejected', 1));

    assert.equal(lines[0]?.level, 40);
    assert.equal((lines[0]?.err as { message?: string }).message, 'owner bug');
  });

  it('logs a repair at warn and a move at error, and reports lost records', () => {
    const lines: Record<string, unknown>[] = [];
    const drops = dropRecorder();
    const reporter = new LogReporter('/data/wal', capturingLogger(lines), drops.onDropped);

    reporter.recovery(undefined, 'a');
    reporter.recovery({ action: 'repaired', error: 'Corruption', lostRecords: 2 }, 'a');
    reporter.recovery({ action: 'moved-aside', movedTo: '/data/wal.corrupt-1', error: 'x' }, 'b');

    assert.deepEqual(
      lines.map((line) => [line.level, line.action, line.location]),
      [
        [40, 'repaired', '/data/wal'],
        [50, 'moved-aside', '/data/wal'],
      ],
    );
    assert.equal(lines[1]?.movedTo, '/data/wal.corrupt-1');
    assert.deepEqual(drops.calls, [['corrupt', 2]]);
  });
});
