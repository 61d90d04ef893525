import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { realisticDrafts } from '../../scripts/bench/wal/drafts.js';
import { seededRandom } from '../../scripts/bench/random.js';
import { MAX_SKETCH_BIN_SPAN, attachedBinsOf, sketchWriter } from '../../src/protocol/sketch.js';
import type { CanonicalBins } from '../../src/protocol/sketch-wire.js';
import { ByteReader, ByteWriter, MalformedBytesError } from '../../src/wal/bytes.js';
import { readGroupedBinsAsWire, writeGroupedBins } from '../../src/wal/page-bins.js';
import { readPage } from '../../src/wal/page.js';
import { RUN_BINS_PAGE } from './fixtures/run-bins-page.js';

function binsOf(counts: number[], firstKey = 40, zeroCount = 0): CanonicalBins {
  return { positive: { firstKey, counts }, zeroCount };
}

function grouped(bins: CanonicalBins): Buffer {
  const writer = new ByteWriter(16);
  writeGroupedBins(writer, bins);

  return writer.take();
}

/** Reads `bytes` as grouped bins and asserts the reader took every byte. */
function readBack(bytes: Buffer): string {
  const reader = new ByteReader(bytes, 0, bytes.length);
  const text = readGroupedBinsAsWire(reader);
  assert.equal(reader.isDone, true, 'the bins fill the bytes');

  return text;
}

/** Asserts `bins` read back as the very wire text they were written from. */
function assertRoundTrip(bins: CanonicalBins): Buffer {
  const bytes = grouped(bins);
  assert.equal(readBack(bytes), sketchWriter.encode(bins.positive, bins.zeroCount));

  return bytes;
}

describe('bins in groups of eight, each as wide as its largest count', () => {
  it('read back exactly for every count width, with partial last groups and long gaps', () => {
    const wide = [0, 1, 13, 15, 16, 255, 256, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5];
    const cases = [
      [],
      [1],
      [15, 0, 15],
      Array.from({ length: 17 }, (_, i) => i),
      [...wide, Number.MAX_SAFE_INTEGER],
      [3, ...Array<number>(300).fill(0), 2],
      [1, ...Array<number>(7).fill(0), ...Array<number>(8).fill(0), 200, 0, 0, 0, 0, 0, 0, 0, 9],
    ];
    for (const counts of cases) assertRoundTrip(binsOf(counts, -7, 3));
  });

  it('read back exactly for random counts of every width at every position', () => {
    const random = seededRandom(7);
    for (let run = 0; run < 200; run++) {
      const span = 1 + Math.floor(random() * 70);
      const counts = Array.from({ length: span }, () => {
        const pick = random();
        if (pick < 0.4) return 0;
        if (pick < 0.8) return Math.floor(random() * 16);
        if (pick < 0.9) return Math.floor(random() * 256);
        return Math.floor(random() * 2 ** 40);
      });
      assertRoundTrip(binsOf(counts, Math.floor(random() * 2000) - 1000, run));
    }
  });

  it('take the bits their counts need, a byte a count under 256, nothing when empty', () => {
    const header = 3; // first key 40 zigzagged, zero count 0, 16 bins: a byte each
    const tags = 1;
    const sizeOf = (counts: number[]): number => grouped(binsOf(counts)).length - header - tags;

    for (let bits = 1; bits <= 4; bits++) {
      const largest = 2 ** bits - 1;
      assert.equal(sizeOf([largest, ...Array<number>(15).fill(0)]), bits, `${bits} bits`);
      assert.equal(sizeOf(Array<number>(16).fill(largest)), 2 * bits, `${bits} bits, twice`);
    }
    assert.equal(sizeOf([...Array<number>(8).fill(0), ...Array<number>(8).fill(16)]), 8);
    assert.equal(sizeOf([20, 1, ...Array<number>(14).fill(0)]), 8);
    assert.equal(sizeOf([...Array<number>(8).fill(1), 255, ...Array<number>(7).fill(0)]), 1 + 8);
    assert.equal(sizeOf([256, ...Array<number>(15).fill(0)]), 2 + 7);
  });

  it('hold a busy second in under half the bytes of its runs of varints', () => {
    const [draft] = realisticDrafts(1, { callsPerDraft: 500 });
    const bins = draft === undefined ? undefined : attachedBinsOf(draft);
    assert.ok(bins !== undefined);

    const counts = Array.from(bins.positive.counts);
    const bytes = assertRoundTrip(bins);
    const runs = runsBytesOf(counts);
    assert.ok(bytes.length < 0.5 * runs, `${bytes.length} bytes, ${runs} in runs`);
  });

  it('refuse a count in the padding of the last group, and bins cut short', () => {
    const bytes = grouped(binsOf([1, 2, 3]));
    const padded = Buffer.from(bytes);
    // Two bits a count, so the second byte holds bins 5 to 8, past the three the sketch has.
    padded[padded.length - 1] = 0x10;
    assert.throws(() => readBack(padded), /a count past the sketch’s last bin/);

    for (let length = 0; length < bytes.length; length++) {
      assert.throws(() => readBack(bytes.subarray(0, length)), MalformedBytesError);
    }
  });

  it('refuse a tag no writer gives, and a tag in the unused half of the last tag byte', () => {
    const bytes = grouped(binsOf([1, 2, 3]));
    const tagAt = 3;
    assert.equal(bytes[tagAt], 2, 'one group of two bits a count');
    for (const tag of [5, 6, 7, 9, 14]) {
      const retagged = Buffer.from(bytes);
      retagged[tagAt] = tag;
      assert.throws(() => readBack(retagged), /a group of bins tagged/, `tag ${tag}`);
    }

    const stray = Buffer.from(bytes);
    stray[tagAt] = 0x12;
    assert.throws(() => readBack(stray), /a tag past the sketch’s last group/);
  });

  it('refuse a span wider than a sketch may be before allocating it', () => {
    const bytes = Buffer.from([0, 0, ...varint(MAX_SKETCH_BIN_SPAN + 1)]);
    assert.throws(() => readBack(bytes), /a sketch of 4097 bins/);
  });
});

describe('a page whose bins are in runs (written before the groups)', () => {
  it('reads back as the build that wrote it read it', () => {
    const page = readPage(RUN_BINS_PAGE.key, RUN_BINS_PAGE.value);
    assert.ok(page.isReadable);

    const records = page.seqs.map((_, index) => {
      const decoded = page.record(index);
      assert.ok(decoded.ok, decoded.ok ? '' : decoded.problem);
      return decoded.record;
    });
    assert.deepEqual(records, RUN_BINS_PAGE.records);
  });
});

/** Bytes the bins' counts take in runs, at least: a byte a count, two a run of empty bins. */
function runsBytesOf(counts: readonly number[]): number {
  let bytes = 0;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] !== 0) bytes += 1;
    else if (i === 0 || counts[i - 1] !== 0) bytes += 2;
  }

  return bytes;
}

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 127) {
    bytes.push((rest & 127) | 128);
    rest >>>= 7;
  }
  bytes.push(rest);

  return bytes;
}
