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
// empty bins; a tag of two bits per group, four to a byte, lowest bits first; then each group
// by its tag: 0 all empty (no bytes), 1 all under 16 (four bytes, two counts each, the first in
// the low half), 2 all under 256 (a byte each), 3 a varint each.
//
// In runs (pages written before the grouped form): each non-empty bin's count and each run of
// empty bins as 0 and the run's length less one, all varints.
//
// Why groups: a busy second's counts are mostly 1 to 9 over a few hundred bins, a third of them
// empty in short runs. Walking the runs bin by bin branched on every empty bin the processor
// could not predict; a group takes eight comparisons that almost always go the same way, and
// half a byte a bin. Against the runs: a busy record's bins take 120 bytes instead of 210 and
// half the time to write; a quiet one's (five calls over a hundred bins) 21 instead of 13.

const GROUP_BINS = 8;
const EMPTY = 0;
const NIBBLES = 1;
const BYTES = 2;
const VARINTS = 3;

// One group's counts, for the groups written or read one bin at a time.
const groupCounts = new Float64Array(GROUP_BINS);

/** Writes `bins` in the grouped form. */
export function writeGroupedBins(out: ByteWriter, { positive, zeroCount }: CanonicalBins): void {
  const { counts } = positive;
  const from = positive.from ?? 0;
  const to = positive.to ?? counts.length;
  const groups = Math.ceil((to - from) / GROUP_BINS);
  const tagBytes = Math.ceil(groups / 4);
  // At most 8 bytes a bin (a varint each), and the tags.
  out.reserve(24 + tagBytes + 8 * GROUP_BINS * groups);
  out.varintUnchecked(zigzag(positive.firstKey));
  out.varintUnchecked(zeroCount);
  out.varintUnchecked(to - from);

  const bytes = out.bytes;
  const tagsAt = out.at;
  let at = tagsAt + tagBytes;
  let tagByte = 0;
  for (let group = 0, i = from; group < groups; group++, i += GROUP_BINS) {
    let tag = NIBBLES;
    if (i + GROUP_BINS <= to) {
      // The common case, written out: eight loads and comparisons with no loop around them.
      const c0 = counts[i] as number;
      const c1 = counts[i + 1] as number;
      const c2 = counts[i + 2] as number;
      const c3 = counts[i + 3] as number;
      const c4 = counts[i + 4] as number;
      const c5 = counts[i + 5] as number;
      const c6 = counts[i + 6] as number;
      const c7 = counts[i + 7] as number;
      if (c0 < 16 && c1 < 16 && c2 < 16 && c3 < 16 && c4 < 16 && c5 < 16 && c6 < 16 && c7 < 16) {
        if (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 === 0) {
          tag = EMPTY;
        } else {
          bytes[at] = c0 | (c1 << 4);
          bytes[at + 1] = c2 | (c3 << 4);
          bytes[at + 2] = c4 | (c5 << 4);
          bytes[at + 3] = c6 | (c7 << 4);
          at += 4;
        }
      } else {
        tag = tagOf(counts, i, to);
        at = writeGroup(bytes, at, counts, i, to, tag);
      }
    } else {
      tag = tagOf(counts, i, to);
      at = writeGroup(bytes, at, counts, i, to, tag);
    }

    tagByte |= tag << ((group & 3) * 2);
    if ((group & 3) === 3 || group === groups - 1) {
      bytes[tagsAt + (group >>> 2)] = tagByte;
      tagByte = 0;
    }
  }
  out.at = at;
}

/** The narrowest form the group from bin `i` fits; bins at `to` on are empty. */
function tagOf(counts: ArrayLike<number>, i: number, to: number): number {
  let most = 0;
  for (let j = i; j < Math.min(i + GROUP_BINS, to); j++) most = Math.max(most, counts[j] as number);

  return most === 0 ? EMPTY : most < 16 ? NIBBLES : most < 256 ? BYTES : VARINTS;
}

/** Writes the group from bin `i` in the form `tag`; returns where the next byte goes. */
function writeGroup(
  bytes: Buffer,
  at: number,
  counts: ArrayLike<number>,
  i: number,
  to: number,
  tag: number,
): number {
  // A copy padded with empty bins, so that a last group shorter than eight is like any other.
  const group = groupCounts;
  for (let j = 0; j < GROUP_BINS; j++) group[j] = i + j < to ? (counts[i + j] as number) : 0;

  let next = at;
  if (tag === NIBBLES) {
    for (let j = 0; j < GROUP_BINS; j += 2) {
      bytes[next++] = (group[j] as number) | ((group[j + 1] as number) << 4);
    }
  } else if (tag === BYTES) {
    for (let j = 0; j < GROUP_BINS; j++) bytes[next++] = group[j] as number;
  } else if (tag === VARINTS) {
    for (let j = 0; j < GROUP_BINS; j++) next = varintAt(bytes, next, group[j] as number);
  }

  return next;
}

/** Reads bins of the grouped form and writes them back as the wire text they were stored from. */
export function readGroupedBinsAsWire(reader: ByteReader): string {
  const { firstKey, zeroCount, counts } = readBinsHeader(reader);
  const groups = Math.ceil(counts.length / GROUP_BINS);
  const tagsAt = reader.at;
  reader.skip(Math.ceil(groups / 4));

  const tags = reader.bytes;
  const group = groupCounts;
  for (let g = 0; g < groups; g++) {
    const tag = ((tags[tagsAt + (g >>> 2)] as number) >>> ((g & 3) * 2)) & 3;
    if (tag === EMPTY) continue;

    readGroup(reader, tag, group);
    const first = g * GROUP_BINS;
    for (let j = 0; j < GROUP_BINS; j++) {
      const count = group[j] as number;
      if (first + j < counts.length) counts[first + j] = count;
      else if (count !== 0) throw new MalformedBytesError('a count past the sketch’s last bin');
    }
  }

  return sketchWriter.encode({ firstKey, counts }, zeroCount);
}

function readGroup(reader: ByteReader, tag: number, group: Float64Array): void {
  if (tag === VARINTS) {
    for (let j = 0; j < GROUP_BINS; j++) group[j] = reader.varint();
    return;
  }
  if (tag === BYTES) {
    for (let j = 0; j < GROUP_BINS; j++) group[j] = reader.byte();
    return;
  }
  for (let j = 0; j < GROUP_BINS; j += 2) {
    const pair = reader.byte();
    group[j] = pair & 15;
    group[j + 1] = pair >>> 4;
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
