import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { addDuration, isFastKeyEnabled } from '../../src/meter/duration-sketch.js';
import { encodeSketch, newSketch } from '../../src/protocol/sketch.js';

// A fixed-seed generator, so that a failure can be replayed.
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

describe('addDuration', () => {
  it('takes the fast path with the sketch mapping of this sketches-js release', () => {
    assert.equal(isFastKeyEnabled, true);
  });

  it('builds the same sketch as accept() across the whole range of durations', () => {
    const next = random(7);
    const fast = newSketch();
    const reference = newSketch();
    for (let i = 0; i < 200_000; i++) {
      // From 1 ns to 10^7 ms, evenly on a log scale, plus zero and negatives now and then.
      const value = i % 997 === 0 ? 0 : i % 991 === 0 ? -3 : Math.exp(next() * 30 - 14);
      addDuration(fast, value);
      reference.accept(value > 0 ? value : 0);
    }

    assert.equal(encodeSketch(fast), encodeSketch(reference));
    assert.equal(fast.count, reference.count);
    assert.equal(fast.sum, reference.sum);
    assert.equal(fast.min, reference.min);
    assert.equal(fast.max, reference.max);
  });

  it('puts the middle of every 1/512 of every octave where accept() puts it', () => {
    const fast = newSketch();
    const reference = newSketch();
    // Octaves beyond the table's 2^-20 .. 2^25 ms on both sides.
    for (let exponent = -23; exponent <= 27; exponent++) {
      for (let cell = 0; cell < 512; cell++) {
        const value = 2 ** exponent * (1 + (cell + 0.5) / 512);
        addDuration(fast, value);
        reference.accept(value);
      }
    }

    assert.equal(encodeSketch(fast), encodeSketch(reference));
  });

  it('puts values on both sides of every bin boundary where accept() puts them', () => {
    const probe = newSketch();
    const fast = newSketch();
    const reference = newSketch();
    // The upper boundaries of the bins, where a fast key is most likely to be off by one.
    // value(key) is the middle of a bin; (1 + gamma) / 2 times it is the boundary above.
    const toBoundary = (1 + probe.mapping.gamma) / 2;
    let onBoundary = 0;
    for (let key = probe.mapping.key(1e-6); key <= probe.mapping.key(1e9); key++) {
      const boundary = probe.mapping.value(key) * toBoundary;
      if (probe.mapping.key(boundary * (1 + 1e-12)) === key + 1) onBoundary++;
      for (const value of [boundary * (1 - 1e-12), boundary, boundary * (1 + 1e-12)]) {
        addDuration(fast, value);
        reference.accept(value);
      }
    }

    assert.equal(encodeSketch(fast), encodeSketch(reference));
    // The probes did straddle boundaries, so the test checks what it claims to.
    assert.ok(onBoundary > 1000, `only ${onBoundary} boundaries straddled`);
  });

  it('keeps the whole bin array as the key range while the store grows both ways', () => {
    const fast = newSketch();
    const reference = newSketch();
    // Each value lies beyond the array the ones before it left, below or above, so the library
    // grows and moves the bins every time; zero and out-of-table values take accept().
    for (const value of [1, 0.01, 200, 1e-4, 5e4, 0, 1e-9, 1e9, 3]) {
      addDuration(fast, value);
      reference.accept(value);
      const { store } = fast;

      assert.equal(store.minKey, store.offset, `after ${value}`);
      assert.equal(store.maxKey, store.offset + store.bins.length - 1, `after ${value}`);
    }

    assert.equal(encodeSketch(fast), encodeSketch(reference));
    assert.equal(fast.getValueAtQuantile(0.5), reference.getValueAtQuantile(0.5));
  });
});
