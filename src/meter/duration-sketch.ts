import { newSketch, type DDSketch } from '../protocol/sketch.js';
import { fitBins, growBins } from './sketch-bins.js';

// Why this file exists: DDSketch.accept() maps a value to its bin with Math.log2, which costs
// about 17 ns, more than the rest of recording a call together. Here the bin key is read from a
// table indexed by the double's exponent and top mantissa bits. A table cell that straddles a
// bin boundary (about 7% of them) holds no key, and those values take Math.log2 after all.
// The keys are the ones the sketch's own mapping computes, which a self-check proves at load
// time against `mapping.key()`; if it fails (a sketches-js release with another mapping),
// every value goes through accept() instead.

const MANTISSA_BITS = 9;
const CELLS = 1 << MANTISSA_BITS;
// The table covers 2^-20 ms (about 1 ns) to 2^25 ms (about 9 hours); other durations take
// accept(). 45 octaves of 512 cells as 16-bit keys: 46 KB.
const MIN_EXPONENT = -20;
const MAX_EXPONENT = 24;
const FIRST_INDEX = (1023 + MIN_EXPONENT) << MANTISSA_BITS;
const TABLE_SIZE = (MAX_EXPONENT - MIN_EXPONENT + 1) << MANTISSA_BITS;
// Marks a cell whose values fall in two bins. Keys in the covered range are within ±1200.
const AMBIGUOUS = -32768;
// Keeps table keys clear of rounding, in cells (about 2e-9 of a value): the library's log2 may
// differ from our pow in the last bits, so a cell this close to a boundary counts as straddling.
const BOUNDARY_MARGIN = 1e-6;

/**
 * The duration, in milliseconds, that {@link addSlotDuration} adds next. A slot rather than an
 * argument: where V8 does not inline a call, a double argument is boxed, one allocation per
 * call, while a typed array element is written in place. Its bits are also what the key table
 * is indexed by.
 */
export const durationSlot = new Float64Array(1);
// The slot's high word holds the sign, the exponent and the top mantissa bits.
const words = new Uint32Array(durationSlot.buffer);
const HIGH_WORD = ((): number => {
  durationSlot[0] = 1;
  return words[1] === 0x3ff00000 ? 1 : 0;
})();

const probe = newSketch();
const mapping = probe.mapping as unknown as { _multiplier?: unknown; _offset?: unknown };
// key(v) = ceil(log2(v) * M) + O in sketches-js's LogarithmicMapping.
const M = typeof mapping._multiplier === 'number' ? mapping._multiplier : NaN;
const O = typeof mapping._offset === 'number' ? mapping._offset : NaN;
const KEYS = buildKeys();

// Fills the table octave by octave, walking the bin boundaries in it (about 35 per octave) rather
// than computing each of the 23,040 cells: this runs at import, before V8 has optimized anything.
function buildKeys(): Int16Array {
  const keys = new Int16Array(TABLE_SIZE);
  for (let exponent = MIN_EXPONENT; exponent <= MAX_EXPONENT; exponent++) {
    const row = (exponent - MIN_EXPONENT) << MANTISSA_BITS;
    // Bin n + O holds the values whose log2(v) * M lies in (n - 1, n].
    let boundary = Math.ceil(exponent * M);
    let next = 0;
    for (; boundary <= (exponent + 1) * M; boundary++) {
      // Where the boundary falls, in cells from the start of the octave.
      const at = (2 ** (boundary / M - exponent) - 1) * CELLS;
      const first = Math.min(CELLS, Math.max(next, Math.floor(at - BOUNDARY_MARGIN)));
      const last = Math.min(CELLS - 1, Math.floor(at + BOUNDARY_MARGIN));
      keys.fill(boundary + O, row + next, row + first);
      keys.fill(AMBIGUOUS, row + first, row + last + 1);
      next = Math.max(next, last + 1);
    }
    keys.fill(boundary + O, row + next, row + CELLS);
  }

  return keys;
}

/** The bin key of the duration in the slot. */
function keyOfSlot(): number {
  const index = ((words[HIGH_WORD] as number) >>> (20 - MANTISSA_BITS)) - FIRST_INDEX;
  const key = index >= 0 && index < TABLE_SIZE ? (KEYS[index] as number) : AMBIGUOUS;

  return key !== AMBIGUOUS ? key : exactKeyOfSlot();
}

// Apart from keyOfSlot() so that the common path stays small enough for V8 to inline.
function exactKeyOfSlot(): number {
  return Math.ceil(Math.log2(durationSlot[0] as number) * M) + O;
}

/** Whether the table agrees with the sketch's own mapping on a spread of values. */
function selfCheck(): boolean {
  if (!Number.isFinite(M) || !Number.isFinite(O)) return false;
  // Enough to tell another mapping or offset; the tests check every cell and boundary.
  for (let value = 2 ** MIN_EXPONENT; value < 2 ** (MAX_EXPONENT + 1); value *= 1.07) {
    durationSlot[0] = value;
    if (keyOfSlot() !== probe.mapping.key(value)) return false;
  }

  return true;
}

/** Whether durations take the table; false only when the self-check failed. */
export const isFastKeyEnabled = selfCheck();

/**
 * Adds the duration in {@link durationSlot} to a sketch made by `newSketch()`, with the same
 * counts, sum, min and max as `sketch.accept(durationMs)` but, for most values, without its
 * Math.log2. The hot path calls this; elsewhere {@link addDuration} reads better.
 *
 * @param sketch - A sketch from `newSketch()` fed only through this function, or one emptied by
 *   `resetSketch()`; its mapping is the one checked at load time. Its bins are kept as
 *   `sketch-bins.ts` describes.
 */
export function addSlotDuration(sketch: DDSketch): void {
  const durationMs = durationSlot[0] as number;
  if (
    !(durationMs >= 2 ** MIN_EXPONENT && durationMs < 2 ** (MAX_EXPONENT + 1)) ||
    !isFastKeyEnabled
  ) {
    accept(sketch, durationMs > 0 ? durationMs : 0);
    return;
  }

  // What accept() does for a positive value, with the key from the table, and what
  // DenseStore.add() does for a key inside the bins (see sketch-bins.ts).
  const key = keyOfSlot();
  const store = sketch.store;
  let index = key - store.offset;
  if (!(index >= 0 && index < store.bins.length)) {
    growBins(store, key);
    index = key - store.offset;
  }
  const bins = store.bins;
  bins[index] = (bins[index] as number) + 1;
  store.count += 1;
  sketch.count += 1;
  sketch.sum += durationMs;
  if (durationMs < sketch.min) sketch.min = durationMs;
  if (durationMs > sketch.max) sketch.max = durationMs;
}

// Durations off the table, and zero: the library's accept(), into bins grown here if need be.
function accept(sketch: DDSketch, durationMs: number): void {
  if (durationMs > sketch.mapping.minPossible) {
    fitBins(sketch.store, sketch.mapping.key(durationMs));
  }
  sketch.accept(durationMs);
}

/**
 * Adds one duration to a sketch made by `newSketch()`, as {@link addSlotDuration} does.
 *
 * @param sketch - A sketch from `newSketch()` or `resetSketch()`.
 * @param durationMs - The duration; zero and negative values count as zero.
 */
export function addDuration(sketch: DDSketch, durationMs: number): void {
  durationSlot[0] = durationMs;
  addSlotDuration(sketch);
}
