import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { DDSketch } from '@datadog/sketches-js';
import {
  SKETCH_BINS,
  decodeSketch,
  encodeSketch,
  encodeSketchFor,
  newSketch,
  sketchWriter,
  type SketchBinsCarrier,
} from '../../src/protocol/sketch.js';
import { seededRandom } from '../../scripts/bench/random.js';

const { DDSketch: ProtoSketch } = createRequire(import.meta.url)(
  '@datadog/sketches-js/dist/ddsketch/proto/compiled',
) as { DDSketch: { encode(message: object): { finish(): Uint8Array } } };

/** What protobufjs writes for the trimmed message: the form the hand-written writer must match. */
function byProtobufjs(sketch: DDSketch): string {
  const store = (bins: number[], offset: number): object => {
    let first = 0;
    let last = bins.length - 1;
    while (first <= last && bins[first] === 0) first++;
    while (last >= first && bins[last] === 0) last--;
    return {
      contiguousBinCounts: bins.slice(first, last + 1),
      contiguousBinIndexOffset: offset + first,
    };
  };
  const message = {
    mapping: sketch.mapping.toProto(),
    positiveValues: store(sketch.store.bins, sketch.store.offset),
    negativeValues: store(sketch.negativeStore.bins, sketch.negativeStore.offset),
    zeroCount: sketch.zeroCount,
  };

  return Buffer.from(ProtoSketch.encode(message).finish()).toString('base64');
}

function randomSketch(random: () => number): DDSketch {
  const sketch = newSketch();
  const calls = Math.floor(random() * 600);
  // Log-uniform from a microsecond to an hour, with some exact zeros.
  for (let i = 0; i < calls; i++) sketch.accept(random() < 0.05 ? 0 : 10 ** (random() * 9.5 - 3));

  return sketch;
}

describe('sketchWriter', () => {
  it('writes byte for byte what protobufjs writes, for 500 random sketches', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 500; i++) {
      const sketch = randomSketch(random);
      assert.equal(encodeSketch(sketch), byProtobufjs(sketch), `sketch ${i}`);
    }
  });

  it('writes an empty sketch and one of zeros only as protobufjs does', () => {
    const zeros = newSketch();
    zeros.accept(0);
    zeros.accept(0);

    assert.equal(encodeSketch(newSketch()), byProtobufjs(newSketch()));
    assert.equal(encodeSketch(zeros), byProtobufjs(zeros));
    assert.equal(decodeSketch(encodeSketch(zeros)).count, 2);
  });

  it('writes negative values too, which the collector then refuses', () => {
    const sketch = newSketch();
    sketch.accept(-5);
    sketch.accept(3);

    assert.equal(encodeSketch(sketch), byProtobufjs(sketch));
    assert.throws(() => decodeSketch(encodeSketch(sketch)), /negative/);
  });

  it('reads back the bins of what it wrote, which write the same text again', () => {
    const random = seededRandom(11);
    for (let i = 0; i < 200; i++) {
      const encoded = encodeSketch(randomSketch(random));
      const bins = sketchWriter.canonicalBinsOf(encoded);

      assert.ok(bins !== undefined, `sketch ${i}`);
      assert.equal(sketchWriter.encode(bins.positive, bins.zeroCount), encoded);
    }
  });

  it('does not take a sketch as canonical unless it is exactly the canonical form', () => {
    const sketch = newSketch();
    sketch.accept(12);
    sketch.accept(40);
    const canonical = encodeSketch(sketch);
    const untrimmed = Buffer.from(ProtoSketch.encode(sketch.toProto()).finish()).toString('base64');
    const negative = newSketch();
    negative.accept(-1);
    const withCounts = (counts: number[]): string =>
      Buffer.from(
        ProtoSketch.encode({
          mapping: sketch.mapping.toProto(),
          positiveValues: { contiguousBinCounts: counts, contiguousBinIndexOffset: 100 },
          negativeValues: { contiguousBinCounts: [], contiguousBinIndexOffset: 0 },
          zeroCount: 0,
        }).finish(),
      ).toString('base64');
    const bytes = Buffer.from(canonical, 'base64');

    assert.ok(sketchWriter.canonicalBinsOf(canonical));
    assert.equal(sketchWriter.canonicalBinsOf(untrimmed), undefined, 'the library’s full store');
    assert.equal(sketchWriter.canonicalBinsOf(encodeSketch(negative)), undefined, 'negatives');
    assert.ok(sketchWriter.canonicalBinsOf(withCounts([1, 2])), 'whole counts');
    assert.equal(sketchWriter.canonicalBinsOf(withCounts([1, 2.5])), undefined, 'a count of 2.5');
    for (let cut = 0; cut < bytes.length; cut++) {
      const truncated = bytes.subarray(0, cut).toString('base64');
      assert.equal(sketchWriter.canonicalBinsOf(truncated), undefined, `cut at ${cut}`);
    }
    assert.equal(sketchWriter.canonicalBinsOf('not base64 at all!'), undefined);
  });
});

describe('encodeSketchFor', () => {
  it('attaches the bins the text was written from, hidden from JSON and spreads', () => {
    const random = seededRandom(13);
    for (let i = 0; i < 100; i++) {
      const sketch = randomSketch(random);
      const draft: SketchBinsCarrier = {};

      const text = encodeSketchFor(draft, sketch);
      const bins = draft[SKETCH_BINS]?.bins;

      assert.equal(text, encodeSketch(sketch));
      assert.ok(bins !== undefined, `sketch ${i}`);
      const read = sketchWriter.canonicalBinsOf(text);
      assert.deepEqual(
        [bins.positive.firstKey, Array.from(bins.positive.counts), bins.zeroCount],
        [read?.positive.firstKey, Array.from(read?.positive.counts ?? []), read?.zeroCount],
      );
      assert.equal(JSON.stringify(draft), '{}');
      assert.equal(({ ...draft } as SketchBinsCarrier)[SKETCH_BINS], undefined);
    }
  });

  it('copies the bins, so that the sketch may change afterwards', () => {
    const sketch = newSketch();
    sketch.accept(5);
    const draft: SketchBinsCarrier = {};
    const text = encodeSketchFor(draft, sketch);

    sketch.accept(5);
    sketch.accept(900);

    assert.equal(sketchWriter.encode(draft[SKETCH_BINS]!.bins.positive, 0), text);
  });

  it('attaches nothing for a sketch the canonical form cannot hold', () => {
    const negative = newSketch();
    negative.accept(-2);
    const fractional = newSketch();
    fractional.accept(3, 0.5);
    const otherMapping = new DDSketch({ relativeAccuracy: 0.05 });
    otherMapping.accept(3);

    for (const sketch of [negative, fractional, otherMapping]) {
      const draft: SketchBinsCarrier = {};
      assert.equal(encodeSketchFor(draft, sketch), encodeSketch(sketch));
      assert.equal(draft[SKETCH_BINS], undefined);
    }
  });
});
