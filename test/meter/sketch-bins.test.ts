import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { addDuration } from '../../src/meter/duration-sketch.js';
import { claimBins, fitBins, growBins } from '../../src/meter/sketch-bins.js';
import { newSketch, type DDSketch } from '../../src/protocol/sketch.js';

type Store = DDSketch['store'];

/** Every key with a count, and the count. */
function countsOf(store: Store): [number, number][] {
  const counts: [number, number][] = [];
  store.bins.forEach((count, i) => {
    if (count !== 0) counts.push([store.offset + i, count]);
  });

  return counts;
}

function isClaimed(store: Store): boolean {
  return store.minKey === store.offset && store.maxKey === store.offset + store.bins.length - 1;
}

describe('growBins', () => {
  it('starts a new store with room on both sides of its first key, more above', () => {
    const { store } = newSketch();

    growBins(store, 100);

    const index = 100 - store.offset;
    assert.ok(
      index > 0 && index < store.bins.length / 2,
      `key at ${index} of ${store.bins.length}`,
    );
    assert.ok(isClaimed(store));
    assert.ok(store.bins.every((count) => count === 0));
  });

  it('keeps every count as it grows up and down, in one new array each time', () => {
    const sketch = newSketch();
    for (const durationMs of [1, 2, 3, 0.5]) addDuration(sketch, durationMs);
    const { store } = sketch;
    const before = countsOf(store);

    for (const key of [store.offset + store.bins.length + 300, store.offset - 500]) {
      const old = store.bins;
      growBins(store, key);

      assert.notEqual(store.bins, old);
      assert.deepEqual(countsOf(store), before);
      assert.ok(isClaimed(store));
      assert.ok(key >= store.offset && key < store.offset + store.bins.length);
      assert.equal(store.bins.length % 128, 0);
    }
  });

  it('leaves the store as it was when the bins would be too many for an array', () => {
    const sketch = newSketch();
    addDuration(sketch, 1);
    const { store } = sketch;
    const bins = store.bins;
    const offset = store.offset;

    assert.throws(() => growBins(store, Infinity), RangeError);

    assert.equal(store.bins, bins);
    assert.equal(store.offset, offset);
    assert.deepEqual(countsOf(store), [[sketch.mapping.key(1), 1]]);
  });
});

describe('fitBins', () => {
  it('leaves bins that hold the key as they are, and grows those that do not', () => {
    const sketch = newSketch();
    addDuration(sketch, 1);
    const { store } = sketch;
    const bins = store.bins;

    fitBins(store, store.offset + bins.length - 1);
    assert.equal(store.bins, bins);

    fitBins(store, store.offset + bins.length);
    assert.notEqual(store.bins, bins);
  });
});

describe('claimBins', () => {
  it('claims the whole array of a store the library laid out, and leaves a new store alone', () => {
    const sketch = newSketch();
    sketch.accept(1);
    sketch.accept(2);
    assert.ok(!isClaimed(sketch.store));

    claimBins(sketch.store);
    const fresh = newSketch().store;
    claimBins(fresh);

    assert.ok(isClaimed(sketch.store));
    assert.deepEqual([fresh.minKey, fresh.maxKey], [Infinity, -Infinity]);
  });
});
