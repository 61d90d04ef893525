import { MAX_SKETCH_BIN_SPAN, sketchWriter } from '../protocol/sketch.js';
import type { CanonicalBins } from '../protocol/sketch-wire.js';
import {
  ByteReader,
  ByteWriter,
  MalformedBytesError,
  unzigzag,
  varintAt,
  zigzag,
} from './bytes.js';

// A sketch's bins in a page record. Both forms start with the first bin's key (zigzagged), the
// zero count and the number of bins, as varints.
//
// Grouped (what a page is written with): the bins in groups of eight, the last one padded with
// empty bins. Each group has a tag of four bits, two to a byte, the first in the low half: the
// bits each of its counts takes. Tag 0 is a group of empty bins and takes no bytes; 1 to 4 pack
// the eight counts into that many bytes, lowest bits first; 8 is a byte a count; 15 a varint a
// count. A group whose largest count needs 5 to 7 bits takes 8.
//
// In runs (pages written before the grouped form): each non-empty bin's count and each run of
// empty bins as 0 and the run's length less one, all varints.
//
// Why groups of bit widths: a busy second's counts are mostly 0 to 9 over a few hundred bins,
// larger in the middle of the distribution and 0 to 3 in its tails. Walking the runs bin by bin
// branched on every empty bin the processor could not predict; a group takes an add, an OR and a
// shift per count, and one branch. And LevelDB's own CPU grows with the bytes it is given (4 to
// 7 µs a kilobyte here, compression and compaction included), so the tails' narrower groups pay
// for themselves: a busy record's bins take 86 bytes (210 in runs, 123 in half bytes a count), a
// quiet one's, five calls over a hundred bins, 11 (13 in runs, 21 in half bytes).

const GROUP_BINS = 8;
/** The widest group packed in bits; wider ones take a byte or a varint a count. */
const MOST_PACKED_BITS = 4;
const BYTE_BITS = 8;
const VARINTS = 15;

// One group's counts, for the groups written or read one bin at a time.
const groupCounts = new Float64Array(GROUP_BINS);

/** Writes `bins` in the grouped form. */
export function writeGroupedBins(out: ByteWriter, { positive, zeroCount }: CanonicalBins): void {
  const { counts } = positive;
  const from = positive.from ?? 0;
  const to = positive.to ?? counts.length;
  const groups = Math.ceil((to - from) / GROUP_BINS);
  const tagBytes = Math.ceil(groups / 2);
  // At most 8 bytes a bin (a varint each), and the tags.
  out.reserve(24 + tagBytes + 8 * GROUP_BINS * groups);
  out.varintUnchecked(zigzag(positive.firstKey));
  out.varintUnchecked(zeroCount);
  out.varintUnchecked(to - from);

  const bytes = out.bytes;
  const view = out.view;
  const tagsAt = out.at;
  let at = tagsAt + tagBytes;
  let evenTag = 0;
  for (let group = 0, i = from; group < groups; group++, i += GROUP_BINS) {
    let bits = -1;
    if (i + GROUP_BINS <= to) {
      // The common case, written out: eight loads with no loop around them.
      const c0 = counts[i] as number;
      const c1 = counts[i + 1] as number;
      const c2 = counts[i + 2] as number;
      const c3 = counts[i + 3] as number;
      const c4 = counts[i + 4] as number;
      const c5 = counts[i + 5] as number;
      const c6 = counts[i + 6] as number;
      const c7 = counts[i + 7] as number;
      // Counts are whole and not negative: when they sum below 2^31, each is a 32-bit integer
      // and their bitwise OR is exact. A larger sum (or a hole) goes the general way below.
      const any = c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7;
      if (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 <= 0x7fffffff && any < 1 << BYTE_BITS) {
        if (any < 1 << MOST_PACKED_BITS) {
          bits = 32 - Math.clz32(any);
          const packed =
            c0 |
            (c1 << bits) |
            (c2 << (2 * bits)) |
            (c3 << (3 * bits)) |
            (c4 << (4 * bits)) |
            (c5 << (5 * bits)) |
            (c6 << (6 * bits)) |
            (c7 << (7 * bits));
          // Eight counts of `bits` bits each are `bits` bytes. All four are stored, with no
          // branch on `bits`; the next group overwrites those past them.
          view.setUint32(at, packed, true);
          at += bits;
        } else {
          bits = BYTE_BITS;
          view.setUint32(at, c0 | (c1 << 8) | (c2 << 16) | (c3 << 24), true);
          view.setUint32(at + 4, c4 | (c5 << 8) | (c6 << 16) | (c7 << 24), true);
          at += GROUP_BINS;
        }
      }
    }
    if (bits < 0) {
      copyGroup(counts, i, to);
      bits = bitsOf(groupCounts);
      at = writeGroup(bytes, at, groupCounts, bits);
    }

    // Two tags a byte, the even group's in the low half; a last even group's byte is written
    // after the loop.
    if ((group & 1) === 0) evenTag = bits;
    else bytes[tagsAt + (group >>> 1)] = evenTag | (bits << 4);
  }
  if (groups % 2 === 1) bytes[tagsAt + (groups >>> 1)] = evenTag;
  out.at = at;
}

/** Copies the group from bin `i` to {@link groupCounts}, padded with empty bins from `to` on. */
function copyGroup(counts: ArrayLike<number>, i: number, to: number): void {
  for (let j = 0; j < GROUP_BINS; j++) groupCounts[j] = i + j < to ? (counts[i + j] ?? 0) : 0;
}

/** The tag of `group`: the bits its largest count needs, as the grouped form rounds them. */
function bitsOf(group: Float64Array): number {
  let most = 0;
  for (let j = 0; j < GROUP_BINS; j++) most = Math.max(most, group[j] as number);
  if (most < 1 << MOST_PACKED_BITS) return 32 - Math.clz32(most);

  return most < 1 << BYTE_BITS ? BYTE_BITS : VARINTS;
}

/** Writes `group` in the form of tag `bits`; returns where the next byte goes. */
function writeGroup(bytes: Buffer, at: number, group: Float64Array, bits: number): number {
  let next = at;
  if (bits === VARINTS) {
    for (let j = 0; j < GROUP_BINS; j++) next = varintAt(bytes, next, group[j] as number);
  } else if (bits === BYTE_BITS) {
    for (let j = 0; j < GROUP_BINS; j++) bytes[next++] = group[j] as number;
  } else {
    let packed = 0;
    for (let j = 0; j < GROUP_BINS; j++) packed |= (group[j] as number) << (j * bits);
    for (let k = 0; k < bits; k++) bytes[next++] = packed >>> (8 * k);
  }

  return next;
}

/** Reads bins of the grouped form and writes them back as the wire text they were stored from. */
export function readGroupedBinsAsWire(reader: ByteReader): string {
  const { firstKey, zeroCount, counts } = readBinsHeader(reader);
  const groups = Math.ceil(counts.length / GROUP_BINS);
  const tagsAt = reader.at;
  reader.skip(Math.ceil(groups / 2));

  const tags = reader.bytes;
  if (groups % 2 === 1 && (tags[tagsAt + (groups >>> 1)] as number) >>> 4 !== 0) {
    throw new MalformedBytesError('a tag past the sketch’s last group');
  }
  const group = groupCounts;
  for (let g = 0; g < groups; g++) {
    const bits = ((tags[tagsAt + (g >>> 1)] as number) >>> ((g & 1) * 4)) & 15;
    if (bits === 0) continue;

    readGroup(reader, bits, group);
    const first = g * GROUP_BINS;
    for (let j = 0; j < GROUP_BINS; j++) {
      const count = group[j] as number;
      if (first + j < counts.length) counts[first + j] = count;
      else if (count !== 0) throw new MalformedBytesError('a count past the sketch’s last bin');
    }
  }

  return sketchWriter.encode({ firstKey, counts }, zeroCount);
}

function readGroup(reader: ByteReader, bits: number, group: Float64Array): void {
  if (bits === VARINTS) {
    for (let j = 0; j < GROUP_BINS; j++) group[j] = reader.varint();
  } else if (bits === BYTE_BITS) {
    for (let j = 0; j < GROUP_BINS; j++) group[j] = reader.byte();
  } else if (bits <= MOST_PACKED_BITS) {
    let packed = 0;
    for (let k = 0; k < bits; k++) packed |= reader.byte() << (8 * k);
    const mask = (1 << bits) - 1;
    for (let j = 0; j < GROUP_BINS; j++) group[j] = (packed >>> (j * bits)) & mask;
  } else {
    throw new MalformedBytesError(`a group of bins tagged ${bits}`);
  }
}

/** Reads bins in runs and writes them back as the wire text they were stored from. */
export function readBinRunsAsWire(reader: ByteReader): string {
  const { firstKey, zeroCount, counts } = readBinsHeader(reader);
  for (let i = 0; i < counts.length;) {
    const count = reader.varint();
    if (count !== 0) {
      counts[i++] = count;
      continue;
    }

    const run = reader.varint() + 1;
    if (i + run > counts.length)
      throw new MalformedBytesError('a run of empty bins past the sketch');
    i += run;
  }

  return sketchWriter.encode({ firstKey, counts }, zeroCount);
}

function readBinsHeader(reader: ByteReader): {
  firstKey: number;
  zeroCount: number;
  counts: Float64Array;
} {
  const firstKey = unzigzag(reader.varint());
  const zeroCount = reader.varint();
  const span = reader.varint();
  // Checked before allocating: a damaged length must not make millions of bins.
  if (span > MAX_SKETCH_BIN_SPAN) throw new MalformedBytesError(`a sketch of ${span} bins`);

  return { firstKey, zeroCount, counts: new Float64Array(span) };
}
