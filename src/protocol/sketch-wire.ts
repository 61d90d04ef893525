/**
 * The wire form of a latency sketch written by hand: base64 of the DDSketch protobuf message,
 * byte for byte what protobufjs writes for the same message (a test holds the two side by side).
 * protobufjs builds an object tree and a writer per sketch, about 24 µs for a busy second; this
 * writes one buffer.
 *
 * The form written here is canonical: the shared mapping, the positive bins from the lowest to
 * the highest non-empty one, no negative values, then the zero count. {@link canonicalBinsOf}
 * reads exactly that form back, which lets the write-ahead log keep a sketch as its bins.
 */

/** One store of a sketch as written: the key of its first bin and the counts from there on. */
export interface BinRun {
  /** Key of the bin `counts[from]` counts. */
  readonly firstKey: number;
  readonly counts: ArrayLike<number>;
  /** Index in `counts` of the first bin written. @default 0 */
  readonly from?: number;
  /** Index in `counts` after the last bin written. @default counts.length */
  readonly to?: number;
}

/** The parts of a canonical sketch: positive bins and the zero count. */
export interface CanonicalBins {
  readonly positive: BinRun;
  readonly zeroCount: number;
}

/** The encoded `IndexMapping` every sketch of ours carries (field 1 of the message). */
export interface WireMapping {
  readonly gamma: number;
  readonly indexOffset: number;
  /** The protobuf enum value; 0 is NONE, the logarithmic mapping. */
  readonly interpolation: number;
}

// Field tags: (field number << 3) | wire type; 1 is 64-bit, 2 length-delimited, 0 varint.
const TAG_MAPPING = 0x0a;
const TAG_GAMMA = 0x09;
const TAG_INDEX_OFFSET = 0x11;
const TAG_INTERPOLATION = 0x18;
const TAG_POSITIVE = 0x12;
const TAG_NEGATIVE = 0x1a;
const TAG_ZERO_COUNT = 0x21;
const TAG_CONTIGUOUS_COUNTS = 0x12;
const TAG_CONTIGUOUS_OFFSET = 0x18;

const EMPTY_RUN: BinRun = { firstKey: 0, counts: [] };

/**
 * Writes sketches with one mapping. Sketches of another mapping are not this writer's: the
 * caller checks {@link matches} first.
 */
export class SketchWriter {
  readonly mapping: WireMapping;
  private readonly mappingBytes: Buffer;

  constructor(mapping: WireMapping) {
    this.mapping = mapping;
    this.mappingBytes = encodeMapping(mapping);
  }

  /** Whether a sketch with `mapping` is written by this writer. */
  matches(mapping: WireMapping): boolean {
    return (
      mapping.gamma === this.mapping.gamma &&
      mapping.indexOffset === this.mapping.indexOffset &&
      mapping.interpolation === this.mapping.interpolation
    );
  }

  /** Base64 of the message with these positive bins, `negative` and the zero count. */
  encode(positive: BinRun, zeroCount: number, negative: BinRun = EMPTY_RUN): string {
    return this.encodeBytes(positive, zeroCount, negative).toString('base64');
  }

  /** The message of {@link encode}, before base64. */
  encodeBytes(positive: BinRun, zeroCount: number, negative: BinRun = EMPTY_RUN): Buffer {
    const positiveSize = storeSize(positive);
    const negativeSize = storeSize(negative);
    const size =
      this.mappingBytes.length +
      fieldSize(positiveSize) +
      fieldSize(negativeSize) +
      1 + // the zero count's tag
      8;
    const out = Buffer.allocUnsafe(size);
    let at = this.mappingBytes.copy(out, 0);
    at = writeStore(out, at, TAG_POSITIVE, positive, positiveSize);
    at = writeStore(out, at, TAG_NEGATIVE, negative, negativeSize);
    out[at++] = TAG_ZERO_COUNT;
    out.writeDoubleLE(zeroCount, at);

    return out;
  }

  /**
   * The bins of `encoded` when it is exactly what {@link encode} writes for a sketch of this
   * mapping with whole counts and no negative values, else undefined. Checked by writing the
   * bins again and comparing, so that reading them back always gives the same text.
   */
  canonicalBinsOf(encoded: string): CanonicalBins | undefined {
    const bytes = Buffer.from(encoded, 'base64');
    const bins = this.parse(bytes);
    if (bins === undefined) return undefined;

    // Bytes first, then the text: base64 decoding skips characters it does not know.
    const again = this.encodeBytes(bins.positive, bins.zeroCount);
    return again.equals(bytes) && again.toString('base64') === encoded ? bins : undefined;
  }

  private parse(bytes: Buffer): CanonicalBins | undefined {
    const mapping = this.mappingBytes;
    if (bytes.length < mapping.length + 9 || !bytes.subarray(0, mapping.length).equals(mapping)) {
      return undefined;
    }

    const reader = new Reader(bytes, mapping.length);
    if (reader.byte() !== TAG_POSITIVE) return undefined;
    const positiveEnd = reader.lengthEnd();
    let counts: Float64Array = new Float64Array(0);
    if (reader.peek() === TAG_CONTIGUOUS_COUNTS) {
      reader.byte();
      const countsEnd = reader.lengthEnd();
      if ((countsEnd - reader.at) % 8 !== 0) return undefined;
      counts = readDoubles(bytes, reader.at, countsEnd);
      reader.at = countsEnd;
    }
    if (reader.byte() !== TAG_CONTIGUOUS_OFFSET) return undefined;
    const firstKey = unzigzag(reader.varint());
    if (reader.at !== positiveEnd || !allWholeCounts(counts)) return undefined;

    if (reader.byte() !== TAG_NEGATIVE || reader.byte() !== 2) return undefined;
    if (reader.byte() !== TAG_CONTIGUOUS_OFFSET || reader.byte() !== 0) return undefined;
    if (reader.byte() !== TAG_ZERO_COUNT || reader.at + 8 !== bytes.length) return undefined;
    const zeroCount = reader.double();
    if (!isWholeCount(zeroCount)) return undefined;

    return { positive: { firstKey, counts }, zeroCount };
  }
}

function allWholeCounts(counts: Float64Array): boolean {
  for (let i = 0; i < counts.length; i++) if (!isWholeCount(counts[i] as number)) return false;

  return true;
}

/** Whether a bin or zero count can be written as a whole number and read back the same. */
export function isWholeCount(count: number): boolean {
  return Number.isSafeInteger(count) && count >= 0 && !Object.is(count, -0);
}

function encodeMapping(mapping: WireMapping): Buffer {
  const inner = Buffer.allocUnsafe(18 + varintSize(mapping.interpolation) + 1);
  inner[0] = TAG_GAMMA;
  inner.writeDoubleLE(mapping.gamma, 1);
  inner[9] = TAG_INDEX_OFFSET;
  inner.writeDoubleLE(mapping.indexOffset, 10);
  inner[18] = TAG_INTERPOLATION;
  writeVarint(inner, 19, mapping.interpolation);

  return Buffer.concat([Buffer.from([TAG_MAPPING, inner.length]), inner]);
}

function runLength(run: BinRun): number {
  return (run.to ?? run.counts.length) - (run.from ?? 0);
}

/** Bytes of a store message's body: the packed counts (if any) and the offset. */
function storeSize(run: BinRun): number {
  const countBytes = runLength(run) * 8;
  const counts = countBytes > 0 ? fieldSize(countBytes) : 0;

  return counts + 1 + varintSize(zigzag(run.firstKey));
}

/** Bytes of a length-delimited field whose body is `bodySize`: tag, length, body. */
function fieldSize(bodySize: number): number {
  return 1 + varintSize(bodySize) + bodySize;
}

function writeStore(out: Buffer, start: number, tag: number, run: BinRun, size: number): number {
  let at = start;
  out[at++] = tag;
  at = writeVarint(out, at, size);
  const length = runLength(run);
  if (length > 0) {
    out[at++] = TAG_CONTIGUOUS_COUNTS;
    at = writeVarint(out, at, length * 8);
    at = writeDoubles(out, at, run.counts, run.from ?? 0, length);
  }
  out[at++] = TAG_CONTIGUOUS_OFFSET;

  return writeVarint(out, at, zigzag(run.firstKey));
}

// Doubles go through a Float64Array and one copy: Buffer's writeDoubleLE and readDoubleLE cost
// about 40 ns each, most of encoding a busy second's sketch. The typed array holds doubles in the
// machine's byte order, which is the wire's little-endian on every platform Node runs on except
// big-endian ones, where the per-double path is taken.
const IS_LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;
let scratch = new Float64Array(256);

function writeDoubles(
  out: Buffer,
  start: number,
  counts: ArrayLike<number>,
  from: number,
  length: number,
): number {
  if (!IS_LITTLE_ENDIAN) {
    for (let i = 0; i < length; i++) out.writeDoubleLE(counts[from + i] as number, start + i * 8);
    return start + length * 8;
  }

  if (scratch.length < length) scratch = new Float64Array(length);
  for (let i = 0; i < length; i++) scratch[i] = counts[from + i] as number;
  out.set(new Uint8Array(scratch.buffer, 0, length * 8), start);

  return start + length * 8;
}

function readDoubles(bytes: Buffer, start: number, end: number): Float64Array {
  const length = (end - start) / 8;
  if (!IS_LITTLE_ENDIAN) {
    return Float64Array.from({ length }, (_, i) => bytes.readDoubleLE(start + i * 8));
  }

  // A copy, so that the doubles are aligned whatever the offset of `bytes` in its pool.
  const aligned = new Uint8Array(length * 8);
  aligned.set(bytes.subarray(start, end));

  return new Float64Array(aligned.buffer);
}

// sint32 fields are zigzag encoded: 0, -1, 1, -2 ... become 0, 1, 2, 3 ...
function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

function unzigzag(n: number): number {
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}

function varintSize(n: number): number {
  let size = 1;
  for (let rest = n; rest >= 0x80; rest = Math.floor(rest / 0x80)) size++;

  return size;
}

function writeVarint(out: Buffer, start: number, n: number): number {
  let at = start;
  let rest = n;
  while (rest >= 0x80) {
    out[at++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  out[at++] = rest;

  return at;
}

/** Reads the fields of a message in order; any read past the end yields NaN, failing checks. */
class Reader {
  constructor(
    private readonly bytes: Buffer,
    public at: number,
  ) {}

  peek(): number {
    return this.bytes[this.at] ?? NaN;
  }

  byte(): number {
    return this.bytes[this.at++] ?? NaN;
  }

  double(): number {
    const value = this.at + 8 <= this.bytes.length ? this.bytes.readDoubleLE(this.at) : NaN;
    this.at += 8;

    return value;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let shift = 0; shift < 8; shift++, scale *= 0x80) {
      const byte = this.byte();
      if (Number.isNaN(byte)) return NaN;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
    }

    return NaN;
  }

  /** Reads a length and returns where the field it prefixes ends. */
  lengthEnd(): number {
    const length = this.varint();
    const end = this.at + length;

    return end <= this.bytes.length ? end : NaN;
  }
}
