import { createRequire } from 'node:module';
import { DDSketch } from '@datadog/sketches-js';
import {
  SketchWriter,
  isWholeCount,
  type BinRun,
  type CanonicalBins,
  type WireMapping,
} from './sketch-wire.js';

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

// The interpolation depends on the mapping's class alone, and the library looks it up with a
// require() on every call, which was most of encoding a sketch: asked once per class.
const interpolationByClass = new Map<unknown, number>();

/** Writes sketches of the shared mapping; see `sketch-wire.ts`. */
export const sketchWriter = new SketchWriter(wireMappingOf(newSketch()));

/**
 * Encodes a sketch for the wire: base64 of its protobuf form, with only the bins from the lowest
 * to the highest non-empty one. The library's own `toProto()` writes the whole allocated store
 * (128 bins at least, as 8-byte doubles): a record of a few calls came to 1.4 kB and about 80 µs
 * of encoding, which at a thousand busy series a second stalled the host's event loop.
 */
export function encodeSketch(sketch: DDSketch): string {
  return encodeParts(sketch).text;
}

/** The wire text of a sketch, with its trimmed positive bins and whether its mapping is ours. */
function encodeParts(sketch: DDSketch): { text: string; positive: BinRun; isOurs: boolean } {
  const positive = trimmedRun(sketch.store);
  const negative = trimmedRun(sketch.negativeStore);
  if (sketchWriter.matches(wireMappingOf(sketch))) {
    const text = sketchWriter.encode(positive, sketch.zeroCount, negative);
    return { text, positive, isOurs: true };
  }

  // Another mapping than ours: only a sketch decoded from elsewhere has one.
  const message = {
    mapping: sketch.mapping.toProto(),
    positiveValues: protoStore(positive),
    negativeValues: protoStore(negative),
    zeroCount: sketch.zeroCount,
  };
  const text = Buffer.from(ProtoSketch.encode(message).finish()).toString('base64');

  return { text, positive, isOurs: false };
}

/**
 * Where a record draft may keep the bins its `sketch` text was written from: the agent's
 * write-ahead log stores the bins, and reading them back out of the base64 text cost it more
 * than the rest of storing a record. A symbol, so that JSON and the wire never see it, and set
 * non-enumerable by {@link encodeSketchFor}, so that a spread copy of a draft, which may then
 * change its `sketch`, does not carry stale bins along.
 */
export const SKETCH_BINS: unique symbol = Symbol('tps.sketchBins');

/** Bins attached to a draft, with the text they were written as. */
export interface AttachedBins {
  readonly text: string;
  readonly bins: CanonicalBins;
}

/** A record draft that may carry the bins of its sketch; see {@link SKETCH_BINS}. */
export interface SketchBinsCarrier {
  readonly [SKETCH_BINS]?: AttachedBins;
}

/**
 * The bins attached to `draft`, if its `sketch` is still the text they were written as: a draft
 * whose sketch was changed afterwards is read from its text.
 */
export function attachedBinsOf(
  draft: SketchBinsCarrier & { sketch: string },
): CanonicalBins | undefined {
  const attached = draft[SKETCH_BINS];

  // The same string object in the common case, so the comparison costs nothing.
  return attached !== undefined && attached.text === draft.sketch ? attached.bins : undefined;
}

/**
 * Encodes `sketch` as {@link encodeSketch} does and attaches a copy of its bins to `draft`,
 * which must hold the returned text as its `sketch`. Sketches that are not canonical (another
 * mapping, negative values, counts that are not whole) get no bins.
 *
 * @returns the wire text.
 */
export function encodeSketchFor(draft: object, sketch: DDSketch): string {
  const { text, positive, isOurs } = encodeParts(sketch);
  const negatives = sketch.negativeStore;
  const isCanonical =
    isOurs &&
    negatives.count === 0 &&
    negatives.bins.length === 0 &&
    negatives.offset === 0 &&
    isWholeCount(sketch.zeroCount);
  if (!isCanonical) return text;

  // A copy: the meter empties and reuses the sketch after the drain.
  const counts = Array.prototype.slice.call(positive.counts, positive.from, positive.to);
  if (!(counts as number[]).every(isWholeCount)) return text;

  const bins: CanonicalBins = {
    positive: { firstKey: positive.firstKey, counts: counts as number[] },
    zeroCount: sketch.zeroCount,
  };
  const attached: AttachedBins = { text, bins };
  // Configurable, so that a draft may be encoded again with another sketch.
  Object.defineProperty(draft, SKETCH_BINS, { value: attached, configurable: true });

  return text;
}

interface LibraryMapping {
  gamma: number;
  _offset: number;
  _protoInterpolation(): number;
}

function wireMappingOf(sketch: DDSketch): WireMapping {
  const mapping = sketch.mapping as unknown as LibraryMapping;
  let interpolation = interpolationByClass.get(mapping.constructor);
  if (interpolation === undefined) {
    interpolation = mapping._protoInterpolation();
    interpolationByClass.set(mapping.constructor, interpolation);
  }

  return { gamma: mapping.gamma, indexOffset: mapping._offset, interpolation };
}

function trimmedRun(store: DDSketch['store']): BinRun {
  const bins = store.bins;
  let first = 0;
  let last = bins.length - 1;
  while (first <= last && bins[first] === 0) first++;
  while (last >= first && bins[last] === 0) last--;

  return { firstKey: store.offset + first, counts: bins, from: first, to: last + 1 };
}

function protoStore(run: BinRun): ProtoStore {
  const counts = Array.from(run.counts).slice(run.from, run.to);

  return { contiguousBinCounts: counts, contiguousBinIndexOffset: run.firstKey };
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
