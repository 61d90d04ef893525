/**
 * Byte-level writing and reading for the log's binary pages (`page.ts`): unsigned varints,
 * little-endian doubles and u32s, and length-prefixed UTF-8 text.
 */

// Buffer's writeDoubleLE and readDoubleLE cost about 40 ns each, and a record holds four. The
// writer stores through a DataView of its buffer, made once per buffer; a reader, made for
// every record read, reads doubles through one shared Float64Array and its bytes instead.
// Typed arrays use the machine's byte order, which is little-endian on every platform Node
// supports but s390x and ppc64 big-endian ones; there the bytes are taken in reverse.
const doubleSlot = new Float64Array(1);
const doubleBytes = new Uint8Array(doubleSlot.buffer);
const IS_LITTLE_ENDIAN = ((): boolean => {
  doubleSlot[0] = 1;
  return doubleBytes[7] === 0x3f;
})();

// A surrogate code unit that is not half of a pair: in a `u` pattern a pair is one code point.
const LONE_SURROGATE = /\p{Surrogate}/u;

/** The error a reader throws when bytes are not what the layout says; the page is unreadable. */
export class MalformedBytesError extends Error {
  override readonly name = 'MalformedBytesError';
}

function viewOf(bytes: Buffer): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Writes into one growing buffer. Each method checks for room first, except the `*Unchecked`
 * ones, which a caller uses after {@link reserve} for a loop whose size it knows.
 */
export class ByteWriter {
  /** Bytes written so far; the next write goes here. */
  at = 0;
  private out: Buffer;
  private outView: DataView;

  /**
   * The buffer written into, for a loop that writes bytes itself after {@link reserve} and then
   * sets {@link at}. Growing replaces it: read it again after any call that may grow.
   */
  get bytes(): Buffer {
    return this.out;
  }

  /** A view of {@link bytes}, for stores of several bytes at once; growing replaces it too. */
  get view(): DataView {
    return this.outView;
  }

  constructor(initialBytes = 64 * 1024) {
    this.out = Buffer.allocUnsafe(initialBytes);
    this.outView = viewOf(this.out);
  }

  /** Makes sure `bytes` more fit without growing. */
  reserve(bytes: number): void {
    if (this.at + bytes <= this.out.length) return;

    const grown = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.at + bytes));
    this.out.copy(grown, 0, 0, this.at);
    this.out = grown;
    this.outView = viewOf(grown);
  }

  /** Starts over, keeping the buffer for the next writes. */
  reset(): void {
    this.at = 0;
  }

  byte(value: number): void {
    this.reserve(1);
    this.out[this.at++] = value;
  }

  /** An unsigned varint: 7 bits a byte, lowest first. `value` is a safe integer >= 0. */
  varint(value: number): void {
    this.reserve(8);
    this.varintUnchecked(value);
  }

  /** {@link varint} without the room check: at most 8 bytes (2^53 takes 8 of 7 bits). */
  varintUnchecked(value: number): void {
    this.at = varintAt(this.out, this.at, value);
  }

  double(value: number): void {
    this.reserve(8);
    this.outView.setFloat64(this.at, value, true);
    this.at += 8;
  }

  u32(value: number): void {
    this.reserve(4);
    this.u32At(this.at, value);
    this.at += 4;
  }

  /** Writes a u32 over bytes already written, at `at`. */
  u32At(at: number, value: number): void {
    this.outView.setUint32(at, value, true);
  }

  /**
   * Text, exactly: UTF-8 after a varint of its byte length times two. A string that is not
   * well-formed UTF-16 (a lone surrogate, as an error message cut inside a pair leaves) has no
   * UTF-8 form, so it goes as its JSON, which escapes such code units, and the varint is odd.
   */
  text(value: string): void {
    const isJson = LONE_SURROGATE.test(value);
    const written = isJson ? JSON.stringify(value) : value;
    const bytes = Buffer.byteLength(written);
    this.reserve(8 + bytes);
    this.varintUnchecked(bytes * 2 + (isJson ? 1 : 0));
    this.at += this.out.write(written, this.at, 'utf8');
  }

  /** Copies `bytes[from, to)` as they are. */
  copy(bytes: Uint8Array, from: number, to: number): void {
    this.reserve(to - from);
    this.out.set(bytes.subarray(from, to), this.at);
    this.at += to - from;
  }

  /** A copy of what was written, which later writes do not touch. */
  take(): Buffer {
    return Buffer.from(this.out.subarray(0, this.at));
  }
}

/** Reads what a {@link ByteWriter} wrote, checking every length against the end. */
export class ByteReader {
  constructor(
    readonly bytes: Buffer,
    public at: number,
    private readonly end: number,
  ) {}

  /** Whether every byte up to the end has been read. */
  get isDone(): boolean {
    return this.at === this.end;
  }

  byte(): number {
    this.need(1);
    return this.bytes[this.at++] as number;
  }

  /**
   * An unsigned varint of at most 8 bytes.
   *
   * @throws {MalformedBytesError} when it runs past the end or past 2^53.
   */
  varint(): number {
    const bytes = this.bytes;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (this.at >= this.end) throw new MalformedBytesError('a number runs past the end');
      const byte = bytes[this.at++] as number;
      value += (byte & 127) * scale;
      if (byte < 128) {
        if (!Number.isSafeInteger(value)) throw new MalformedBytesError('a number past 2^53');
        return value;
      }
      scale *= 128;
    }

    throw new MalformedBytesError('a number longer than 8 bytes');
  }

  double(): number {
    this.need(8);
    const bytes = this.bytes;
    const at = this.at;
    for (let i = 0; i < 8; i++) doubleBytes[IS_LITTLE_ENDIAN ? i : 7 - i] = bytes[at + i] as number;
    this.at = at + 8;

    return doubleSlot[0] as number;
  }

  u32(): number {
    this.need(4);
    const value = this.bytes.readUInt32LE(this.at);
    this.at += 4;

    return value;
  }

  /** Text written by {@link ByteWriter.text}. */
  text(): string {
    const header = this.varint();
    const length = Math.floor(header / 2);
    this.need(length);
    const written = this.bytes.toString('utf8', this.at, this.at + length);
    this.at += length;
    if (header % 2 === 0) return written;

    return jsonString(written);
  }

  /** Moves past `length` bytes, which must be there. */
  skip(length: number): void {
    this.need(length);
    this.at += length;
  }

  private need(length: number): void {
    if (this.end - this.at < length) throw new MalformedBytesError('a field runs past the end');
  }
}

/**
 * Writes `value`, a safe integer >= 0, as a varint at `at` of `bytes`, which must have room for
 * 8 more; returns where the next byte goes. For loops that write into a buffer themselves.
 */
export function varintAt(bytes: Uint8Array, at: number, value: number): number {
  let rest = value;
  let next = at;
  // Bit operations only below 2^31, where they are exact.
  while (rest > 0x7fffffff) {
    bytes[next++] = (rest % 128) | 128;
    rest = Math.floor(rest / 128);
  }
  while (rest > 127) {
    bytes[next++] = (rest & 127) | 128;
    rest >>>= 7;
  }
  bytes[next++] = rest;

  return next;
}

/** Maps a signed integer to an unsigned one, small magnitudes first: 0, -1, 1 become 0, 1, 2. */
export function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

/** The inverse of {@link zigzag}. */
export function unzigzag(n: number): number {
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}

function jsonString(written: string): string {
  let value: unknown;
  try {
    value = JSON.parse(written);
  } catch {
    throw new MalformedBytesError('text marked as JSON does not parse');
  }
  if (typeof value !== 'string')
    throw new MalformedBytesError('text marked as JSON is not a string');

  return value;
}
