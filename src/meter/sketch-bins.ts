import type { DDSketch } from '../protocol/sketch.js';

// Why this file exists: sketches-js grows a store's bins by copying them three times (a push of
// a new chunk, then a slice and an unshift or push to centre them on the keys so far), and
// tracks the lowest and highest key, which every add reads. The meter keeps the stores it feeds
// in a simpler form: the whole bin array is the store's key range, and the array grows here with
// one copy, leaving a little room below the new lowest key and more above the new highest, since
// durations have a floor and a long tail above it. A store holds the same count for every key
// either way; only where its array starts and how long it is differ.

type Store = DDSketch['store'];

// The library's own unit of growth, so that arrays come in the sizes it would make.
const CHUNK_BINS = 128;
// Room left past a new lowest key (a factor of 1.4 at 1% accuracy) and past a new highest (3.6).
const ROOM_BELOW = 16;
const ROOM_ABOVE = 64;

/**
 * Makes a store claim its whole bin array as its key range (`minKey` to `maxKey`), which the
 * library keeps to the keys added so far. The bins outside those keys are zero, so the store
 * holds the same counts either way, and the library's own add() then never moves or grows the
 * array for a key inside it.
 *
 * @param store - The positive store of a sketch the meter feeds.
 */
export function claimBins(store: Store): void {
  const length = store.bins.length;
  // A new store has no bins, and keeps its empty range until its first key.
  if (length === 0) return;

  store.minKey = store.offset;
  store.maxKey = store.offset + length - 1;
}

/**
 * Grows the bins of a store so that they hold `key`, keeping every count, and claims them all
 * (see {@link claimBins}). Off the hot path: a store grows only when a duration falls outside
 * every bin it had.
 *
 * @param store - The positive store of a sketch the meter feeds, its bins claimed.
 * @param key - A bin key outside the store's bins.
 * @throws RangeError when the bins would be too many for an array (a key of an infinite
 *   duration), with the store left as it was.
 */
export function growBins(store: Store, key: number): void {
  const old = store.bins;
  const oldOffset = store.offset;
  const top = oldOffset + old.length - 1;
  const isNew = old.length === 0;
  const low = isNew || key < oldOffset ? key - ROOM_BELOW : oldOffset;
  const high = isNew || key > top ? key + ROOM_ABOVE : top;
  const bins = new Array<number>(CHUNK_BINS * Math.ceil((high - low + 1) / CHUNK_BINS)).fill(0);
  for (let i = 0; i < old.length; i++) bins[oldOffset - low + i] = old[i] as number;

  store.bins = bins;
  store.offset = low;
  claimBins(store);
}

/**
 * Makes room for `key` in a store's bins if it falls outside them.
 *
 * @param store - The positive store of a sketch the meter feeds, its bins claimed.
 * @param key - A bin key.
 */
export function fitBins(store: Store, key: number): void {
  const index = key - store.offset;
  if (!(index >= 0 && index < store.bins.length)) growBins(store, key);
}
