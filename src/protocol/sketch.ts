import { createRequire } from 'node:module';
import { DDSketch } from '@datadog/sketches-js';

// The library's own protobuf decoder, to look at a sketch before building it: building
// allocates every bin between the lowest and the highest, so a few bytes naming two far-apart
// bins would cost seconds (or the stack). The package has no exports map, so this path is
// public in practice; a test decodes through it.
const { DDSketch: ProtoSketch } = createRequire(import.meta.url)(
  '@datadog/sketches-js/dist/ddsketch/proto/compiled',
) as {
  DDSketch: {
    decode(bytes: Uint8Array): ProtoSketchMessage;
    encode(message: object): { finish(): Uint8Array };
  };
};

interface ProtoStore {
  binCounts?: Record<string, number>;
  contiguousBinCounts?: number[];
  contiguousBinIndexOffset?: number;
}

interface ProtoSketchMessage {
  positiveValues?: ProtoStore | null;
  negativeValues?: ProtoStore | null;
  zeroCount?: number;
}

/**
 * Widest span of bin keys a sketch may cover. At 1% accuracy a factor of 1.02 per bin, 4096
 * bins span 1e35: every duration from a nanosecond to a year fits in under 2,000.
 */
export const MAX_SKETCH_BIN_SPAN = 4096;

/**
 * Relative accuracy of every latency sketch. Agent and collector must agree on it: sketches
 * merge only when their mappings are the same.
 */
export const SKETCH_RELATIVE_ACCURACY = 0.01;

/** Makes an empty latency sketch with the shared accuracy. */
export function newSketch(): DDSketch {
  return new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY });
}

/**
 * Encodes a sketch for the wire: base64 of its protobuf form, with only the bins from the lowest
 * to the highest non-empty one. The library's own `toProto()` writes the whole allocated store
 * (128 bins at least, as 8-byte doubles): a record of a few calls came to 1.4 kB and about 80 µs
 * of encoding, which at a thousand busy series a second stalled the host's event loop.
 */
export function encodeSketch(sketch: DDSketch): string {
  const message = {
    mapping: sketch.mapping.toProto(),
    positiveValues: trimmedStore(sketch.store),
    negativeValues: trimmedStore(sketch.negativeStore),
    zeroCount: sketch.zeroCount,
  };

  return Buffer.from(ProtoSketch.encode(message).finish()).toString('base64');
}

function trimmedStore(store: DDSketch['store']): ProtoStore {
  const bins = store.bins;
  let first = 0;
  let last = bins.length - 1;
  while (first <= last && bins[first] === 0) first++;
  while (last >= first && bins[last] === 0) last--;

  return {
    contiguousBinCounts: bins.slice(first, last + 1),
    contiguousBinIndexOffset: store.offset + first,
  };
}

/**
 * Decodes a sketch from the wire. Throws on bytes that are not a sketch, on negative values, on
 * counts that are negative or not finite, and on bins spread wider than
 * {@link MAX_SKETCH_BIN_SPAN}; the caller names the field in its answer.
 */
export function decodeSketch(encoded: string): DDSketch {
  const bytes = Buffer.from(encoded, 'base64');
  checkSketch(ProtoSketch.decode(bytes));

  return DDSketch.fromProto(bytes);
}

function checkSketch(message: ProtoSketchMessage): void {
  checkCount(message.zeroCount ?? 0, 'its zero count');
  if (storeKeys(message.negativeValues).length > 0) {
    throw new RangeError('durations cannot be negative, and the sketch holds negative values');
  }

  const keys = storeKeys(message.positiveValues);
  if (keys.length === 0) return;
  const span = Math.max(...keys) - Math.min(...keys);
  if (span >= MAX_SKETCH_BIN_SPAN) {
    throw new RangeError(`its bins span ${span} keys; at most ${MAX_SKETCH_BIN_SPAN - 1}`);
  }
}

/** Keys of a store's bins, each count checked; throws on more bins than the span allows. */
function storeKeys(store: ProtoStore | null | undefined): number[] {
  if (store === null || store === undefined) return [];

  const sparse = Object.entries(store.binCounts ?? {});
  const contiguous = store.contiguousBinCounts ?? [];
  if (sparse.length + contiguous.length > MAX_SKETCH_BIN_SPAN) {
    throw new RangeError(`it holds more than ${MAX_SKETCH_BIN_SPAN} bins`);
  }
  const keys: number[] = [];
  for (const [key, count] of sparse) {
    checkCount(count, `bin ${key}`);
    keys.push(Number(key));
  }
  const offset = store.contiguousBinIndexOffset ?? 0;
  contiguous.forEach((count, i) => {
    checkCount(count, `bin ${offset + i}`);
    keys.push(offset + i);
  });

  return keys;
}

function checkCount(count: number, what: string): void {
  if (!Number.isFinite(count) || count < 0) {
    throw new RangeError(`${what} has count ${count}; counts must be finite and >= 0`);
  }
}

export type { DDSketch };
