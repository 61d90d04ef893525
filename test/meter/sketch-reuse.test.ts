import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { addDuration } from '../../src/meter/duration-sketch.js';
import {
  encodeDurations,
  isReuseEnabled,
  MAX_REUSED_BINS,
  newSketchLike,
  resetSketch,
} from '../../src/meter/sketch-reuse.js';
import { decodeSketch, encodeSketch, newSketch, type DDSketch } from '../../src/protocol/sketch.js';

// A fixed-seed generator, so that a failure can be replayed.
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

function feed(sketch: DDSketch, durations: readonly number[]): void {
  for (const durationMs of durations) addDuration(sketch, durationMs);
}

/** What a record carries of a sketch, and what a reader of it computes. */
function contentOf(sketch: DDSketch): unknown {
  const quantiles = [0, 0.25, 0.5, 0.9, 0.99, 1].map((q) => sketch.getValueAtQuantile(q));
  const text = encodeDurations({}, sketch);

  return {
    text,
    count: sketch.count,
    zeroCount: sketch.zeroCount,
    sum: sketch.sum,
    min: sketch.min,
    max: sketch.max,
    quantiles,
    decodedCount: decodeSketch(text).count,
  };
}

/** A second's durations: log-uniform over `decades` decades from `lowestMs`, some zeros. */
function second(next: () => number, lowestMs: number, decades: number, calls: number): number[] {
  return Array.from({ length: calls }, (_, i) =>
    i % 97 === 0 ? 0 : lowestMs * 10 ** (next() * decades),
  );
}

describe('resetSketch', () => {
  it('is enabled with the sketches-js release installed', () => {
    assert.equal(isReuseEnabled, true);
  });

  it('leaves a sketch that then holds what a new one holds, fed the same seconds', () => {
    const next = random(11);
    let reused = newSketch();
    let widest = 0;
    for (let round = 0; round < 60; round++) {
      // Spreads from a tenth of a decade to six, and a floor that wanders, so that the kept bins
      // are sometimes too few or in the wrong place and the store grows again after a reset.
      const durations = second(next, 0.01 * 10 ** (next() * 3), 0.1 + next() * 6, 1 + round * 7);
      const fresh = newSketch();
      feed(reused, durations);
      feed(fresh, durations);

      assert.deepEqual(contentOf(reused), contentOf(fresh), `round ${round}`);
      widest = Math.max(widest, reused.store.bins.length);
      if (!resetSketch(reused)) reused = newSketch();
    }

    // The case that matters most: bins that grew past the first chunk of 128 were kept.
    assert.ok(widest > 128, `the widest store held ${widest} bins`);
  });

  it('empties count, sum, min, max and zero count', () => {
    const sketch = newSketch();
    feed(sketch, [0, 3, 40]);

    assert.equal(resetSketch(sketch), true);

    assert.deepEqual(contentOf(sketch), contentOf(newSketch()));
    assert.equal(sketch.store.count, 0);
  });

  it('encodes a reused sketch with zero durations only as a new one', () => {
    const reused = newSketch();
    feed(reused, [2, 7]);
    resetSketch(reused);
    const fresh = newSketch();
    feed(reused, [0, 0]);
    feed(fresh, [0, 0]);

    assert.equal(encodeDurations({}, reused), encodeDurations({}, fresh));
    assert.equal(encodeDurations({}, reused), encodeSketch(fresh));
  });

  it('keeps the bin array, so a second in the same span adds without growing it', () => {
    const sketch = newSketch();
    feed(sketch, [0.5, 1, 2, 50]);
    const bins = sketch.store.bins;
    const length = bins.length;

    resetSketch(sketch);
    feed(sketch, [0.6, 1.5, 30, 0.5]);

    assert.equal(sketch.store.bins, bins);
    assert.equal(sketch.store.bins.length, length);
  });

  it('refuses a sketch whose bins grew past the limit, and leaves it as it was', () => {
    const sketch = newSketch();
    // 1 ns to 3 hours: about 1,200 bins.
    feed(sketch, [1e-6, 1e7]);
    assert.ok(sketch.store.bins.length > MAX_REUSED_BINS);
    const before = contentOf(sketch);

    assert.equal(resetSketch(sketch), false);

    assert.deepEqual(contentOf(sketch), before);
  });

  it('refuses a sketch that holds negative values', () => {
    const sketch = newSketch();
    sketch.accept(-1);

    assert.equal(resetSketch(sketch), false);
    assert.equal(sketch.count, 1);
  });
});

describe('newSketchLike', () => {
  it('starts with the bins the model grew to, and holds what a new sketch holds', () => {
    const model = newSketch();
    feed(model, [0.001, 0.1, 20]);
    const durations = [0.002, 0.05, 0, 9, 4e4];
    const like = newSketchLike(model);
    const fresh = newSketch();

    assert.equal(like.store.bins.length, model.store.bins.length);
    assert.notEqual(like.store.bins, model.store.bins);
    feed(like, durations);
    feed(fresh, durations);
    assert.deepEqual(contentOf(like), contentOf(fresh));
  });

  it('makes a plain new sketch from a model that never had a duration', () => {
    const like = newSketchLike(newSketch());

    assert.equal(like.store.bins.length, 0);
    assert.equal(like.store.minKey, Infinity);
  });
});
