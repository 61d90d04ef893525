import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Meter } from '../../src/meter/index.js';
import type { Bucket } from '../../src/meter/bucket.js';
import type { Series } from '../../src/meter/series.js';
import { FakeClock } from '../helpers/fake-clock.js';

// A fixed-seed generator, so that a failure can be replayed.
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

/** The private state of a series these tests look at: which buckets it holds. */
interface SeriesState {
  open: Bucket | undefined;
  spares: Bucket | undefined;
  spareCount: number;
}

function stateOf(series: Series): SeriesState {
  return series as unknown as SeriesState;
}

class TimeoutError extends Error {
  override name = 'TimeoutError';
}

describe('bucket reuse', () => {
  it('gives the same records as a meter whose buckets are all new', () => {
    const next = random(5);
    const clock = new FakeClock();
    const reused = new Meter({ clock, maxErrorKinds: 2 });
    for (let round = 0; round < 40; round++) {
      // A meter per round, so that every bucket it has is new.
      const fresh = new Meter({ clock, maxErrorKinds: 2 });
      const calls = Math.floor(next() * 300);
      for (let i = 0; i < calls; i++) {
        clock.advance(next() * 8);
        const endMs = clock.monotonicMs();
        // Zero durations in some rounds only, wide spreads in others.
        const durationMs = round % 5 === 0 ? 0 : 10 ** (next() * (round % 7) - 1);
        const failed = next() < 0.2;
        const error = [new TypeError('t'), new RangeError('r'), new TimeoutError('x')][i % 3];
        const endpoint = `e${i % 3}`;
        for (const meter of [reused, fresh]) {
          const series = meter.series('g', endpoint);
          if (failed) series.record(endMs - durationMs, endMs, true, error);
          else series.record(endMs - durationMs, endMs, false);
        }
      }

      assert.deepEqual(reused.drain(), fresh.drain(), `round ${round}`);
    }
  });

  it('starts the next second in a bucket it drained', () => {
    const clock = new FakeClock();
    const meter = new Meter({ clock });
    const series = meter.series('g', 'e');
    series.record(0, 1, false);
    const first = stateOf(series).open;

    meter.drain();
    clock.advance(1000);
    series.record(999, 1000, false);

    assert.ok(first !== undefined);
    assert.equal(stateOf(series).open, first);
    assert.deepEqual(
      meter.drain().map((draft) => [draft.t, draft.count, draft.errors]),
      [[1_700_000_001_000, 1, 0]],
    );
  });

  it('keeps two spare buckets at most, however many seconds a drain hands over', () => {
    const clock = new FakeClock();
    const meter = new Meter({ clock });
    const series = meter.series('g', 'e');
    for (let second = 0; second < 6; second++) {
      series.record(clock.monotonicMs(), clock.monotonicMs() + 1, false);
      clock.advance(1000);
    }

    assert.equal(meter.drain().length, 6);

    assert.equal(stateOf(series).spareCount, 2);
  });

  it('lets the spares go once the series has had no call through a drain', () => {
    const clock = new FakeClock();
    const meter = new Meter({ clock });
    const busy = meter.series('g', 'busy');
    const idle = meter.series('g', 'idle');
    busy.record(0, 1, false);
    idle.record(0, 1, false);
    meter.drain();
    assert.equal(stateOf(idle).spareCount, 1);

    clock.advance(1000);
    busy.record(999, 1000, false);
    meter.drain();

    assert.equal(stateOf(idle).spareCount, 0);
    assert.equal(stateOf(idle).spares, undefined);
    assert.equal(stateOf(busy).spareCount, 1);
  });

  it('starts a reused bucket with no failures and no error kinds', () => {
    const clock = new FakeClock();
    const meter = new Meter({ clock });
    const series = meter.series('g', 'e');
    series.record(0, 1, true, new TypeError('t'));
    series.record(0, 1, true, new RangeError('r'));
    meter.drain();

    series.record(1, 2, false);
    const [draft] = meter.drain();

    assert.ok(draft);
    assert.deepEqual(
      [draft.count, draft.errors, draft.error_kinds, draft.duration_min_ms],
      [1, 0, {}, 1],
    );
  });
});
