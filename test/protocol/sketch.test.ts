import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import {
  MAX_SKETCH_BIN_SPAN,
  decodeSketch,
  encodeSketch,
  newSketch,
} from '../../src/protocol/sketch.js';

const { DDSketch: ProtoSketch } = createRequire(import.meta.url)(
  '@datadog/sketches-js/dist/ddsketch/proto/compiled',
) as { DDSketch: { encode(message: object): { finish(): Uint8Array } } };

/** A sketch's wire form written field by field, as a hostile or broken sender could. */
function handMade(message: object): string {
  const mapping = { gamma: 1.02 / 0.98, indexOffset: 0, interpolation: 0 };
  return Buffer.from(ProtoSketch.encode({ mapping, ...message }).finish()).toString('base64');
}

describe('decodeSketch', () => {
  it('reads back what encodeSketch wrote', () => {
    const sketch = newSketch();
    for (let ms = 1; ms <= 100; ms++) sketch.accept(ms);

    const decoded = decodeSketch(encodeSketch(sketch));

    assert.equal(decoded.count, 100);
    assert.ok(Math.abs(decoded.getValueAtQuantile(0.5) - 50) <= 1);
  });

  it('takes every duration from a nanosecond to a day', () => {
    const sketch = newSketch();
    for (const ms of [1e-6, 1e-3, 1, 1e3, 86_400_000]) sketch.accept(ms);

    assert.equal(decodeSketch(encodeSketch(sketch)).count, 5);
  });

  it('refuses bins spread wide, before building them', () => {
    const wide = handMade({ positiveValues: { binCounts: { 0: 1, 120000: 1 } } });
    const started = performance.now();

    assert.throws(() => decodeSketch(wide), /span 120000 keys; at most/);
    assert.ok(performance.now() - started < 1000, 'refused without allocating the span');
  });

  it('refuses more bins than the span allows', () => {
    const many = handMade({
      positiveValues: { contiguousBinCounts: new Array(MAX_SKETCH_BIN_SPAN + 1).fill(1) },
    });

    assert.throws(() => decodeSketch(many), /more than 4096 bins/);
  });

  it('refuses negative, infinite and NaN counts, and negative values', () => {
    for (const count of [-3, Infinity, NaN]) {
      const bad = handMade({ positiveValues: { binCounts: { 5: count } } });
      assert.throws(() => decodeSketch(bad), /counts must be finite and >= 0/, String(count));
    }
    assert.throws(() => decodeSketch(handMade({ zeroCount: -1 })), /zero count/);
    const negative = handMade({ negativeValues: { binCounts: { 5: 1 } } });
    assert.throws(() => decodeSketch(negative), /cannot be negative/);
  });
});

describe('encodeSketch', () => {
  it('writes only the bins in use, and reads back to the same quantiles', () => {
    const sketch = newSketch();
    for (let i = 0; i < 5; i++) sketch.accept(1 + i * 0.1);
    const library = Buffer.from(sketch.toProto()).toString('base64');

    const ours = encodeSketch(sketch);
    const decoded = decodeSketch(ours);
    const viaLibrary = decodeSketch(library);

    assert.ok(ours.length * 5 < library.length, `${ours.length} against ${library.length}`);
    assert.equal(decoded.count, 5);
    for (const q of [0, 0.5, 0.99, 1]) {
      assert.equal(decoded.getValueAtQuantile(q), viaLibrary.getValueAtQuantile(q), `q=${q}`);
    }
  });

  it('writes an empty sketch that reads back empty', () => {
    assert.equal(decodeSketch(encodeSketch(newSketch())).count, 0);
  });
});
