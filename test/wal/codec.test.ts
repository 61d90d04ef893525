import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeEntry, encodeEntry, recordProblem } from '../../src/wal/codec.js';
import {
  encodeSketch,
  encodeSketchFor,
  newSketch,
  sketchWriter,
} from '../../src/protocol/sketch.js';
import { recordKey } from '../../src/wal/keys.js';
import { binsToText, textToBins } from '../../src/wal/sketch-text.js';
import { seededRandom } from '../../scripts/bench/random.js';
import { makeDraft } from './fixtures/drafts.js';

describe('record codec', () => {
  it('stores the log time beside the draft and gives it back apart from the record', () => {
    const draft = makeDraft(5000);
    const entry = encodeEntry(7, draft, 1234);

    const decoded = decodeEntry(entry.key, entry.value);

    assert.equal(entry.key, recordKey(7));
    assert.equal(entry.bytes, Buffer.byteLength(entry.value));
    assert.deepEqual(decoded, { ok: true, record: { ...draft, seq: 7 }, storedAtMs: 1234 });
    assert.equal('stored_at' in (decoded.ok ? decoded.record : {}), false);
  });

  it('lets a draft not override the log time or the seq', () => {
    const draft = { ...makeDraft(1), stored_at: 1, seq: 99 } as ReturnType<typeof makeDraft>;
    const entry = encodeEntry(3, draft, 5000);

    const decoded = decodeEntry(entry.key, entry.value);

    assert.ok(decoded.ok);
    assert.equal(decoded.storedAtMs, 5000);
    assert.equal(decoded.record.seq, 3);
  });

  it('takes t as the storage time of a layout version 1 value', () => {
    const decoded = decodeEntry(recordKey(1), JSON.stringify(makeDraft(4000)));

    assert.ok(decoded.ok);
    assert.equal(decoded.storedAtMs, 4000);
  });

  it('tells what is wrong with a value instead of throwing', () => {
    const cases: [string, RegExp][] = [
      ['{not json', /^not valid JSON/],
      ['', /^not valid JSON/],
      ['42', /^not a JSON object$/],
      [JSON.stringify({ ...makeDraft(1), t: null }), /^t is null, not a finite number$/],
      [JSON.stringify({ ...makeDraft(1), gateway: 7 }), /^gateway is 7, not a string$/],
      [JSON.stringify({ ...makeDraft(1), error_kinds: 'x' }), /^error_kinds is a string/],
    ];

    for (const [value, problem] of cases) {
      const decoded = decodeEntry(recordKey(1), value);
      assert.ok(!decoded.ok, value);
      assert.match(decoded.problem, problem);
    }
  });

  it('accepts a draft shaped like a record, extra fields and all', () => {
    assert.equal(recordProblem(makeDraft(1)), undefined);
    assert.equal(recordProblem({ ...makeDraft(1), extra: true }), undefined);
    assert.match(recordProblem({ ...makeDraft(1), count: Infinity }) ?? '', /count is Infinity/);
  });
});

describe('record codec, sketches', () => {
  it('keeps a canonical sketch as its bins and gives the same wire text back', () => {
    const random = seededRandom(3);
    for (let i = 0; i < 100; i++) {
      const sketch = newSketch();
      const calls = 1 + Math.floor(random() * 800);
      for (let call = 0; call < calls; call++)
        sketch.accept(random() < 0.02 ? 0 : 12 * (1 + random() * random() * 20));
      const draft = makeDraft(1000, { sketch: encodeSketch(sketch) });

      const entry = encodeEntry(1, draft, 5);
      const decoded = decodeEntry(entry.key, entry.value);

      assert.ok(entry.value.includes('"~'), 'stored as bins');
      assert.ok(entry.bytes < draft.sketch.length, `${entry.bytes} < ${draft.sketch.length}`);
      assert.deepEqual(decoded, { ok: true, record: { ...draft, seq: 1 }, storedAtMs: 5 });
    }
  });

  it('keeps any other sketch text as it was given', () => {
    const sketch = newSketch();
    sketch.accept(15);
    const untrimmed = Buffer.from(sketch.toProto()).toString('base64');
    for (const other of [untrimmed, '', 'AAAA', '~not bins', '~~']) {
      const draft = makeDraft(1000, { sketch: other });
      const entry = encodeEntry(2, draft, 5);

      assert.deepEqual(decodeEntry(entry.key, entry.value), {
        ok: true,
        record: { ...draft, seq: 2 },
        storedAtMs: 5,
      });
    }
  });

  it('names the sketch when its bins text is damaged', () => {
    const sketch = newSketch();
    sketch.accept(15);
    const entry = encodeEntry(1, makeDraft(1000, { sketch: encodeSketch(sketch) }), 5);
    const damaged = entry.value.replace(/"~[^"]*"/, '"~AAA*"');

    const decoded = decodeEntry(entry.key, damaged);

    assert.ok(!decoded.ok);
    assert.match(decoded.problem, /^sketch is unreadable/);
  });
});

describe('sketch bins text', () => {
  it('reads back every run of counts it writes', () => {
    const random = seededRandom(5);
    for (let i = 0; i < 300; i++) {
      const counts = Array.from({ length: Math.floor(random() * 300) }, () =>
        random() < 0.5 ? 0 : Math.floor(random() ** 4 * 2 ** (random() * 53)),
      );
      const bins = {
        positive: { firstKey: Math.floor((random() - 0.5) * 4000), counts },
        zeroCount: Math.floor(random() * 1e6),
      };

      assert.deepEqual(textToBins(binsToText(bins)), bins);
    }
  });

  it('refuses text that is not bins', () => {
    for (const text of ['', 'A', 'AAA*', 'AAg', 'AAA', 'AA' + '_'.repeat(12) + 'A', 'AA\u00e9']) {
      assert.equal(textToBins(text), undefined, JSON.stringify(text));
    }
  });
});

describe('record codec, drafts that carry their bins', () => {
  it('stores the bins a draft carries and reads back its text', () => {
    const sketch = newSketch();
    for (const ms of [3, 3, 40, 0]) sketch.accept(ms);
    const draft = makeDraft(1000);
    draft.sketch = encodeSketchFor(draft, sketch);

    const entry = encodeEntry(1, draft, 5);
    const decoded = decodeEntry(entry.key, entry.value);

    assert.ok(entry.value.includes('"~'));
    assert.deepEqual(decoded, { ok: true, record: { ...draft, seq: 1 }, storedAtMs: 5 });
  });

  it('does not store the bins of the draft a copy was spread from', () => {
    const sketch = newSketch();
    sketch.accept(3);
    const draft = makeDraft(1000);
    draft.sketch = encodeSketchFor(draft, sketch);
    const copy = { ...draft, sketch: 'AAAA' };

    const entry = encodeEntry(1, copy, 5);
    const decoded = decodeEntry(entry.key, entry.value);

    assert.ok(decoded.ok);
    assert.equal(decoded.record.sketch, 'AAAA');
  });
});

describe('record codec, what a tester tried', () => {
  it('quarantines bins text whose run of empty bins is too long, without building it', () => {
    const sketch = newSketch();
    sketch.accept(15);
    const entry = encodeEntry(1, makeDraft(1000, { sketch: encodeSketch(sketch) }), 5);
    // Bins text: key, zero count, a count, then a run of empty bins about 2^30 long.
    const damaged = entry.value.replace(/"~[^"]*"/, '"~AAB' + 'A' + '_'.repeat(5) + 'B' + 'B"');

    const started = process.hrtime.bigint();
    const decoded = decodeEntry(entry.key, damaged);

    assert.ok(!decoded.ok);
    assert.match(decoded.problem, /^sketch is unreadable/);
    assert.ok(process.hrtime.bigint() - started < 1_000_000_000n);
  });

  it('reads a version 2 record whose sketch text starts with ~ as it was stored', () => {
    for (const sketch of ['~ABBAhBBASBA-HB', '~', '~~x']) {
      const value = JSON.stringify({ ...makeDraft(1000, { sketch }), stored_at: 5 });

      const decoded = decodeEntry(recordKey(1), value);

      assert.ok(decoded.ok, sketch);
      assert.equal(decoded.record.sketch, sketch);
    }
  });

  it('stores as they came the sketches whose bins the text could not hold', () => {
    const farKey = sketchWriter.encode({ firstKey: 2 ** 54, counts: [1] }, 0);
    const manyBins = sketchWriter.encode(
      { firstKey: 0, counts: [1, ...Array(5000).fill(0), 1] },
      0,
    );

    for (const sketch of [farKey, manyBins]) {
      const draft = makeDraft(1000, { sketch });
      const entry = encodeEntry(1, draft, 5);

      assert.ok(!entry.value.includes('"~'));
      assert.deepEqual(decodeEntry(entry.key, entry.value), {
        ok: true,
        record: { ...draft, seq: 1 },
        storedAtMs: 5,
      });
    }
  });

  it('stores the text of a draft whose sketch changed after its bins were attached', () => {
    const first = newSketch();
    first.accept(3);
    const second = newSketch();
    second.accept(700);
    const draft = makeDraft(1000);
    draft.sketch = encodeSketchFor(draft, first);
    const changed = encodeSketch(second);

    draft.sketch = changed;
    const entry = encodeEntry(1, draft, 5);
    const decoded = decodeEntry(entry.key, entry.value);
    draft.sketch = encodeSketchFor(draft, second);

    assert.ok(decoded.ok);
    assert.equal(decoded.record.sketch, changed);
    assert.equal(draft.sketch, changed, 'a draft may be encoded again');
  });
});
