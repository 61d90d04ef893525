import { encodeSketchFor, newSketch, type DDSketch } from '../protocol/sketch.js';
import { addDuration } from './duration-sketch.js';
import { claimBins } from './sketch-bins.js';

// Why this file exists: a bucket's sketch used to be made anew each second, about 5 kB with its
// bin array, so every busy series allocated once a second, and a drain dropped them all. A
// drained bucket is now emptied and used again. sketches-js has no reset, so this file writes
// the fields of its DenseStore (bins, count, minKey, maxKey, offset) itself. A self-check at load
// time compares a reused sketch with a new one fed the same durations; if it fails (a release
// with other internals), sketches are never reused and buckets are made anew as before.
//
// An emptied store keeps its bins, claimed whole as its key range as in every store the meter
// feeds (see sketch-bins.ts), so that the next second's durations land in them without a new
// array. Being empty, the array can be placed anywhere for free. Durations have a floor and a
// long tail above it, so the array starts a little below the lowest key of the second just
// drained (see floorOf). Keys outside it grow it, and the next reset keeps the larger array.

/**
 * The most bins a sketch may hold and still be reused: 8 KiB, durations spanning a factor of
 * about 10^9 at 1% accuracy. A store only grows, so a sketch that saw a wider spread goes with
 * its bucket rather than being kept at that size.
 */
export const MAX_REUSED_BINS = 1024;

// Durations a store must have counted for its lowest key to stand for the floor. A few calls
// after a drain may all be slow ones; placing the bins above the floor would grow them again.
const FLOOR_SAMPLE = 100;

/**
 * Empties a sketch made by `newSketch()` so that it takes durations again, its bin array kept.
 * What it holds afterwards (counts per bin, count, sum, min and max) is what a new sketch fed
 * the same durations holds, so its quantiles are the same, and {@link encodeDurations} writes the
 * same text. Only the layout differs: the bin array's length and offset, and a key range that
 * spans the whole array.
 *
 * @param sketch - A sketch from `newSketch()`, fed with positive durations and zeros only.
 * @returns False, with the sketch unchanged, when it is not to be reused: it holds more than
 *   {@link MAX_REUSED_BINS} bins or negative values, or the self-check failed.
 */
export function resetSketch(sketch: DDSketch): boolean {
  if (!isReuseEnabled || !isReusable(sketch)) return false;

  empty(sketch);

  return true;
}

/**
 * Makes an empty sketch with the bin layout of `model`, as {@link resetSketch} would leave
 * `model` itself: one array as long as the model's, instead of growing from 128 bins again to
 * the span the series' durations take.
 *
 * @param model - A sketch from `newSketch()` or {@link resetSketch}; it is not changed.
 * @returns A new sketch, with the default layout when `model`'s is not to be reused.
 */
export function newSketchLike(model: DDSketch): DDSketch {
  const sketch = newSketch();
  const length = model.store.bins.length;
  if (!isReuseEnabled || length === 0 || !isReusable(model)) return sketch;

  sketch.store.bins = new Array<number>(length).fill(0);
  place(sketch.store, floorOf(model.store));

  return sketch;
}

// A sketch that is never fed: what a bucket without positive durations encodes as.
const standIn = newSketch();

/**
 * Encodes a sketch as `encodeSketch()` does, and an emptied one exactly as a new sketch fed the
 * same durations would be; attaches the bins to `draft` as `encodeSketchFor()` does.
 *
 * @param draft - The draft that will hold the returned text as its `sketch`.
 * @param sketch - A sketch from `newSketch()` or {@link resetSketch}.
 */
export function encodeDurations(draft: object, sketch: DDSketch): string {
  const store = sketch.store;
  if (store.count !== 0 || store.bins.length === 0) return encodeSketchFor(draft, sketch);

  // The encoders write an empty store's offset, which a new store has at 0 and a reused one
  // wherever its bins are: write the zeros alone through a sketch whose store is new.
  standIn.zeroCount = sketch.zeroCount;
  standIn.count = sketch.count;
  standIn.sum = sketch.sum;
  standIn.min = sketch.min;
  standIn.max = sketch.max;

  return encodeSketchFor(draft, standIn);
}

function isReusable(sketch: DDSketch): boolean {
  return sketch.store.bins.length <= MAX_REUSED_BINS && sketch.negativeStore.bins.length === 0;
}

function empty(sketch: DDSketch): void {
  const store = sketch.store;
  store.count = 0;
  // A store that never had a key keeps the new store's empty range (Infinity, -Infinity).
  if (store.bins.length > 0) {
    const floor = floorOf(store);
    store.bins.fill(0);
    place(store, floor);
  }

  sketch.zeroCount = 0;
  sketch.count = 0;
  sketch.sum = 0;
  sketch.min = Infinity;
  sketch.max = -Infinity;
}

/** Places the empty bins of `store` from a little below `lowestKey`, and claims them all. */
function place(store: DDSketch['store'], lowestKey: number): void {
  // An eighth of the bins below: room for a floor that moves down (16 of 128 bins span a factor
  // of 1.4 at 1% accuracy), and the rest above it for the tail.
  store.offset = lowestKey - Math.floor(store.bins.length / 8);
  claimBins(store);
}

/**
 * The key to place a store's bins from: the lowest key with a count when the store counted
 * enough durations to have reached the floor; else where {@link place} put the floor last time,
 * or lower if the few durations went lower.
 */
function floorOf(store: DDSketch['store']): number {
  const bins = store.bins;
  const placed = store.offset + Math.floor(bins.length / 8);
  let lowest = 0;
  while (lowest < bins.length && bins[lowest] === 0) lowest++;
  if (lowest === bins.length) return placed;

  const lowestKey = store.offset + lowest;

  return store.count >= FLOOR_SAMPLE ? lowestKey : Math.min(placed, lowestKey);
}

/** The count of the bin of `key`, 0 outside the store's bins. */
function countAt(store: DDSketch['store'], key: number): number {
  return store.bins[key - store.offset] ?? 0;
}

/** Whether two sketches hold the same durations: summary, and every bin's count. */
function isSameContent(a: DDSketch, b: DDSketch): boolean {
  const summary = (s: DDSketch): string => [s.count, s.zeroCount, s.sum, s.min, s.max].join();
  if (summary(a) !== summary(b) || a.store.count !== b.store.count) return false;

  const from = Math.min(a.store.offset, b.store.offset);
  const to = Math.max(a.store.offset + a.store.bins.length, b.store.offset + b.store.bins.length);
  for (let key = from; key < to; key++) {
    if (countAt(a.store, key) !== countAt(b.store, key)) return false;
  }

  return true;
}

/** Whether a reset sketch ends up holding what a new one does, fed the same durations. */
function selfCheck(): boolean {
  const reused = newSketch();
  // Spread enough to grow the bins past one chunk of 128, as a busy series' sketch may.
  for (const durationMs of [0.01, 0.2, 10]) addDuration(reused, durationMs);
  if (!isReusable(reused)) return false;
  empty(reused);

  const fresh = newSketch();
  // Inside the kept span, then beyond it on both sides, so that the store grows again.
  for (const durationMs of [3, 0, 0.7, 3, 1e-6, 4e4]) {
    addDuration(reused, durationMs);
    fresh.accept(durationMs);
  }

  return (
    isSameContent(reused, fresh) && reused.getValueAtQuantile(0.5) === fresh.getValueAtQuantile(0.5)
  );
}

/** Whether sketches are reused; false only when the self-check failed. */
export const isReuseEnabled = selfCheck();
