import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogTime } from '../../src/wal/log-time.js';
import { FakeClock } from '../helpers/fake-clock.js';

describe('LogTime', () => {
  it('starts at the wall time of its creation and follows the monotonic clock', () => {
    const clock = new FakeClock();
    clock.advance(500);
    const time = new LogTime(clock);

    clock.advance(1500.4);

    assert.equal(time.nowMs(), 1_700_000_002_000);
  });

  it('ignores wall-clock steps after its creation, whether or not the clock recalibrates', () => {
    const clock = new FakeClock();
    const time = new LogTime(clock);

    clock.stepWall(-3_600_000);
    clock.calibrate();
    clock.advance(1000);
    const afterBack = time.nowMs();
    clock.stepWall(7_200_000);
    clock.advance(1000);

    assert.equal(afterBack, 1_700_000_001_000);
    assert.equal(time.nowMs(), 1_700_000_002_000);
    assert.equal(new LogTime(clock).nowMs(), 1_700_003_602_000, 'a new anchor sees the steps');
  });
});
