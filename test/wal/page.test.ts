import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../scripts/bench/random.js';
import {
  encodeSketch,
  encodeSketchFor,
  newSketch,
  sketchWriter,
} from '../../src/protocol/sketch.js';
import type { MetricRecord, RecordDraft } from '../../src/protocol/types.js';
import { decodeEntry, encodeEntry } from '../../src/wal/codec.js';
import { recordKey } from '../../src/wal/keys.js';
import {
  MAX_PAGE_RECORDS,
  PAGE_LAYOUT,
  encodePages,
  highestSeqOf,
  readPage,
  type StoredPage,
  type UnreadablePage,
} from '../../src/wal/page.js';
import { makeDraft, makeDrafts } from './fixtures/drafts.js';
import {
  BODY,
  PAGE,
  bodiesOf,
  cutInFrames,
  patched,
  patchedU32,
  sealed,
  unsealed,
  withBadStringIndex,
} from './fixtures/pages.js';

const STORED_AT = 1_700_000_000_123.5;

/** The one page `drafts` make from `firstSeq`, read back. */
function onePage(drafts: readonly RecordDraft[], firstSeq = 1): StoredPage {
  const [page, ...more] = encodePages(firstSeq, drafts, STORED_AT);
  assert.ok(page !== undefined && more.length === 0);

  return readable(readPage(page.key, page.value));
}

function readable(entry: StoredPage | UnreadablePage): StoredPage {
  assert.ok(entry.isReadable, entry.isReadable ? '' : entry.problem);

  return entry;
}

function unreadable(entry: StoredPage | UnreadablePage): UnreadablePage {
  assert.ok(!entry.isReadable, 'the page reads');

  return entry;
}

/** Every record of `page`, asserting each one decodes. */
function recordsOf(page: StoredPage): MetricRecord[] {
  return page.seqs.map((_, index) => {
    const decoded = page.record(index);
    assert.ok(decoded.ok, decoded.ok ? '' : decoded.problem);
    assert.equal(decoded.storedAtMs, page.storedAtMs);

    return decoded.record;
  });
}

/** What a page's record `index` fails with. */
function problemOf(page: StoredPage, index: number): string {
  const decoded = page.record(index);
  assert.ok(!decoded.ok, `record ${index} reads`);

  return decoded.problem;
}

/** A draft carrying a canonical sketch of `calls` service-like latencies, bins attached. */
function meterDraft(random: () => number, calls: number): RecordDraft {
  const sketch = newSketch();
  for (let call = 0; call < calls; call++) {
    sketch.accept(random() < 0.02 ? 0 : 12 * (1 + random() * random() * 40));
  }
  const draft = makeDraft(1_700_000_000_000, { endpoint: `/e/${calls}` });
  draft.sketch = encodeSketchFor(draft, sketch);

  return draft;
}

describe('encodePages and readPage', () => {
  it('read back every draft with its seq and the log time of the append', () => {
    const random = seededRandom(11);
    const drafts = Array.from({ length: 60 }, (_, i) => meterDraft(random, 1 + i * 13));
    // The same sketches without their bins: read out of the text, the slow way.
    const plain = drafts.map((draft) => ({ ...draft }));

    for (const batch of [drafts, plain]) {
      const page = onePage(batch, 40);

      assert.equal(page.storedAtMs, STORED_AT);
      assert.deepEqual(
        page.seqs,
        batch.map((_, i) => 40 + i),
      );
      assert.deepEqual(
        recordsOf(page),
        batch.map((draft, i) => ({ ...draft, seq: 40 + i })),
      );
    }
  });

  it('keeps canonical sketches as bins, far smaller than their text', () => {
    const draft = meterDraft(seededRandom(2), 500);
    const [page] = encodePages(1, [draft], STORED_AT);

    assert.ok((page?.value.length ?? 0) < draft.sketch.length / 3, `${page?.value.length}`);
  });

  it('keeps exactly the fields the compact forms cannot hold', () => {
    const sketch = newSketch();
    sketch.accept(15);
    const untrimmed = Buffer.from(sketch.toProto()).toString('base64');
    const farKey = sketchWriter.encode({ firstKey: 2 ** 54, counts: [1] }, 0);
    const manyBins = sketchWriter.encode(
      { firstKey: 0, counts: [1, ...Array(5000).fill(0), 1] },
      0,
    );
    const drafts: RecordDraft[] = [
      makeDraft(1, { tags: { n: 1, yes: true, none: null } as never }),
      makeDraft(2, { count: 2.5, errors: 0.25 }),
      makeDraft(3, { count: -1, errors: 2 ** 53 }),
      makeDraft(4, { error_kinds: { half: 0.5, big: 2 ** 60, negative: -2 } }),
      makeDraft(5, { error_kinds: { text: 'many' } as never }),
      // A string, then not: the pairs written so far are taken back for the JSON.
      makeDraft(6, { tags: { a: 'x', n: 1 } as never, error_kinds: { ok: 2, half: 0.5 } }),
      ...['', 'AAAA', '~not bins', '~~', untrimmed, farKey, manyBins].map((text, i) =>
        makeDraft(10 + i, { sketch: text }),
      ),
      makeDraft(20, { sketch: encodeSketch(sketch), tags: {}, error_kinds: {} }),
      makeDraft(21, { t: -1.5, duration_min_ms: -0, duration_max_ms: Number.MAX_VALUE }),
      makeDraft(22, {
        gateway: '',
        endpoint: '/ünïcödé/"q"\\\n🚀',
        tags: { 'ключ 🚀': '' },
      }),
    ];

    assert.deepEqual(
      recordsOf(onePage(drafts)),
      drafts.map((draft, i) => ({ ...draft, seq: i + 1 })),
    );
  });

  it('keeps a tag or error kind named __proto__ as a key of its own', () => {
    const drafts = [
      makeDraft(1, { tags: JSON.parse('{"__proto__":"x","a":"b"}') as Record<string, string> }),
      makeDraft(2, { tags: JSON.parse('{"__proto__":7}') as Record<string, string> }),
      makeDraft(3, { error_kinds: JSON.parse('{"__proto__":2}') as Record<string, number> }),
    ];

    const [first, second, third] = recordsOf(onePage(drafts));

    assert.deepEqual(Object.entries(first?.tags ?? {}), [
      ['__proto__', 'x'],
      ['a', 'b'],
    ]);
    assert.equal(Object.getPrototypeOf(first?.tags), Object.prototype);
    assert.deepEqual(Object.entries(second?.tags ?? {}), [['__proto__', 7]]);
    assert.deepEqual(Object.entries(third?.error_kinds ?? {}), [['__proto__', 2]]);
    assert.equal(Object.getPrototypeOf(third?.error_kinds), Object.prototype);
  });

  it('keeps names, tags, error kinds and sketch texts that are not well-formed UTF-16', () => {
    const draft = makeDraft(1, {
      endpoint: 'a\ud800b',
      tags: { k: 'x\udc00', ['\udbff']: '😀' },
      error_kinds: { 'Error: cut \ud83d': 2 },
    });
    const foreignSketch = makeDraft(2, { sketch: 'not base64 \udfff' });

    assert.deepEqual(recordsOf(onePage([draft, foreignSketch])), [
      { ...draft, seq: 1 },
      { ...foreignSketch, seq: 2 },
    ]);
  });

  it('splits an append into pages of MAX_PAGE_RECORDS under the seq of each first record', () => {
    for (const length of [1, MAX_PAGE_RECORDS, MAX_PAGE_RECORDS + 1, 2 * MAX_PAGE_RECORDS + 44]) {
      const drafts = makeDrafts(length);

      const pages = encodePages(10, drafts, STORED_AT);

      const firsts = pages.map((_, i) => 10 + i * MAX_PAGE_RECORDS);
      assert.deepEqual(
        pages.map((page) => page.key),
        firsts.map(recordKey),
      );
      assert.deepEqual(
        pages.map((page) => page.count),
        firsts.map((first) => Math.min(MAX_PAGE_RECORDS, 10 + length - first)),
      );
      const seqs = pages.flatMap((page) => readable(readPage(page.key, page.value)).seqs);
      assert.deepEqual(
        seqs,
        drafts.map((_, i) => 10 + i),
      );
    }
  });

  it('writes the header as documented, and each string once per page', () => {
    const [page] = encodePages(1, makeDrafts(5), STORED_AT);
    const value = page?.value ?? Buffer.alloc(0);
    const tableAt = value.readUInt32LE(PAGE.tableOffsetAt);

    assert.equal(value[0], PAGE_LAYOUT);
    assert.equal(value.readUInt32LE(PAGE.countAt), 5);
    assert.equal(value.readDoubleLE(PAGE.storedAtAt), STORED_AT);
    assert.equal(bodiesOf(value).at(-1)?.end, tableAt, 'the table follows the last record');
    assert.equal(value.indexOf('payments'), value.lastIndexOf('payments'));
    assert.ok(value.indexOf('payments') > tableAt);
  });

  it('reads a record of layouts 1 to 3 as a page of one, under its key', () => {
    const draft = makeDraft(5);
    const v3 = encodeEntry(9, draft, 77);
    const v2 = JSON.stringify({ ...draft, stored_at: 77 });

    for (const value of [v3.value, v2]) {
      const page = readable(readPage(recordKey(9), Buffer.from(value)));

      assert.deepEqual(page.seqs, [9]);
      assert.equal(page.storedAtMs, 77);
      assert.equal(page.bytes, Buffer.byteLength(value));
      assert.deepEqual(recordsOf(page), [{ ...draft, seq: 9 }]);
      assert.equal(page.quarantineText(0), value, 'the quarantine keeps its JSON as found');
      assert.equal(page.without(new Set([0])), undefined);
    }
  });
});

describe('page without some records', () => {
  it('keeps the others byte for byte, readable under their own seqs', () => {
    const random = seededRandom(5);
    const drafts = Array.from({ length: 10 }, (_, i) => meterDraft(random, 1 + i * 50));
    const [encoded] = encodePages(100, drafts, STORED_AT);
    const page = readable(readPage(encoded?.key ?? '', encoded?.value ?? Buffer.alloc(0)));
    const bodies = bodiesOf(encoded?.value ?? Buffer.alloc(0));

    const rest = page.without(new Set([0, 3, 9])) ?? Buffer.alloc(0);
    const after = readable(readPage(page.key, rest));

    const kept = [1, 2, 4, 5, 6, 7, 8];
    assert.deepEqual(
      after.seqs,
      kept.map((i) => 100 + i),
    );
    assert.equal(after.storedAtMs, STORED_AT);
    assert.equal(after.bytes, rest.length);
    assert.deepEqual(
      recordsOf(after),
      kept.map((i) => ({ ...drafts[i], seq: 100 + i })),
    );
    const keptBodies = bodiesOf(rest).map(({ start, end }) => rest.subarray(start, end));
    const original = encoded?.value ?? Buffer.alloc(0);
    assert.deepEqual(
      keptBodies,
      kept.map((i) => original.subarray(bodies[i]?.start, bodies[i]?.end)),
    );
    assert.equal(rest.readUInt32LE(PAGE.countAt), kept.length);
  });

  it('can lose records again, its first record included, and frees bytes each time', () => {
    let page = onePage(makeDrafts(6), 7);
    const sizes = [page.bytes];

    for (const seq of [7, 12, 9]) {
      const index = page.seqs.indexOf(seq);
      page = readable(readPage(page.key, page.without(new Set([index])) ?? Buffer.alloc(0)));
      sizes.push(page.bytes);
    }

    assert.deepEqual(page.seqs, [8, 10, 11]);
    assert.equal(page.key, recordKey(7), 'the key never changes');
    assert.deepEqual(
      recordsOf(page).map((record) => record.t),
      [1, 3, 4].map((i) => 1_700_000_000_000 + i * 1000),
    );
    assert.deepEqual(
      sizes,
      [...sizes].sort((a, b) => b - a),
    );
    assert.equal(new Set(sizes).size, sizes.length);
  });

  it('is nothing once every record leaves', () => {
    const page = onePage(makeDrafts(3));

    assert.equal(page.without(new Set([0, 1, 2])), undefined);
  });
});

describe('highestSeqOf', () => {
  it('is the last seq a readable page holds', () => {
    const page = onePage(makeDrafts(5), 20);
    const shorter = readable(readPage(page.key, page.without(new Set([4])) ?? Buffer.alloc(0)));

    assert.equal(highestSeqOf(page), 24);
    assert.equal(highestSeqOf(shorter), 23);
    assert.equal(
      highestSeqOf(
        readable(readPage(recordKey(3), Buffer.from(encodeEntry(3, makeDraft(1), 1).value))),
      ),
      3,
    );
  });

  it('is as far as the key allows for an entry that cannot be read', () => {
    const [encoded] = encodePages(20, makeDrafts(5), STORED_AT);
    const value = encoded?.value ?? Buffer.alloc(0);

    for (const damaged of [
      cutInFrames(value, recordKey(20)),
      Buffer.alloc(0),
      Buffer.from('{"t":'),
    ]) {
      const entry = unreadable(readPage(recordKey(20), damaged));

      assert.equal(highestSeqOf(entry), 20 + MAX_PAGE_RECORDS - 1);
    }
  });
});

describe('readPage under a key that is not a record key', () => {
  const [encoded] = encodePages(20, makeDrafts(5), STORED_AT);
  const value = encoded?.value ?? Buffer.alloc(0);

  it('cannot read it, whatever the value, and gives it no seq', () => {
    for (const key of ['r!zz', 'r!ffffffffffffffff', 'r!0000000000000000', 'r!00000000000000A0']) {
      for (const bytes of [value, Buffer.from(encodeEntry(3, makeDraft(1), 1).value)]) {
        const entry = unreadable(readPage(key, bytes));

        assert.equal(entry.problem, 'a key that is not a record key');
        assert.equal(highestSeqOf(entry), 0, key);
      }
    }
  });

  it('counts a value shaped like a page as the records it held, anything else as 1', () => {
    assert.equal(unreadable(readPage('r!zz', value)).count, 5);
    assert.equal(unreadable(readPage('r!zz', Buffer.from('junk'))).count, 1);
    assert.equal(
      unreadable(readPage('r!zz', Buffer.from(encodeEntry(3, makeDraft(1), 1).value))).count,
      1,
    );
  });
});

describe('readPage on damaged bytes', () => {
  const drafts = makeDrafts(3);
  const [encoded] = encodePages(1, drafts, STORED_AT);
  const value = encoded?.value ?? Buffer.alloc(0);
  const key = recordKey(1);
  const tableAt = value.readUInt32LE(PAGE.tableOffsetAt);

  it('never throws on a page cut short, and says what it held', () => {
    for (let length = 0; length < value.length; length++) {
      const page = unreadable(readPage(key, value.subarray(0, length)));

      assert.equal(page.count, length < PAGE.headerBytes ? 1 : 3, `cut at ${length}`);
      assert.equal(page.bytes, length);
      assert.equal(page.text, `base64:${value.subarray(0, length).toString('base64')}`);
    }
  });

  it('refuses a page whose CRC-32 does not match, whatever byte or bit was changed', () => {
    for (let at = 0; at < value.length; at++) {
      for (const bit of [0, 3, 7]) {
        const damaged = Buffer.from(value);
        damaged[at] = (damaged[at] as number) ^ (1 << bit);
        const entry = readPage(key, damaged);
        // A changed version byte: as layout 4 (bit 0), which has no CRC-32, the page reads but
        // each record fails for its flags; as anything else, the page is damaged. Either way
        // every record counts, and none reads back.
        if (at === 0) {
          const problems = entry.isReadable
            ? entry.seqs.map((_, index) => problemOf(entry, index))
            : [unreadable(entry).problem];
          for (const problem of problems) {
            assert.match(problem, /unknown flags|a damaged page: layout byte/, `bit ${bit}`);
          }
          assert.equal(entry.isReadable ? entry.seqs.length : unreadable(entry).count, 3);
          continue;
        }

        const page = unreadable(entry);
        assert.equal(page.problem, 'a damaged page: its CRC-32 does not match its bytes');
        assert.equal(page.count, 3, `bit ${bit} of byte ${at}`);
        assert.equal(page.bytes, value.length);
      }
    }
  });

  it('refuses a sound page under another key, whose seqs it would read as others', () => {
    for (const other of [recordKey(2), recordKey(129), recordKey(0x1_0000_0001)]) {
      const page = unreadable(readPage(other, value));
      assert.equal(page.problem, 'a damaged page: its CRC-32 does not match its bytes');
    }
  });

  it('reads a sealed page cut after its frames, and fails its records for the strings', () => {
    // The structure's own checks, behind the CRC-32: the frames are whole, the strings are not.
    const page = readable(readPage(key, sealed(unsealed(value).subarray(0, tableAt + 1), key)));

    for (const index of [0, 1, 2]) assert.match(problemOf(page, index), /^an unreadable record: /);
  });

  it('fails records with bins in groups in a page marked layout 4, which has no CRC-32', () => {
    // A layout 5 page whose version byte became 4, and whose other bytes may then be anything:
    // layout 4 pages were written before the groups. Those it did write read (page-bins.test.ts).
    const body = Buffer.from(unsealed(value));
    body[0] = 4;
    const page = readable(readPage(key, body));

    for (const index of [0, 1, 2]) {
      assert.match(problemOf(page, index), /^an unreadable record: unknown flags \d+$/);
    }
  });

  it('names a page whose frames do not reach its string table', () => {
    const page = unreadable(readPage(key, cutInFrames(value, key)));

    assert.match(page.problem, /^a damaged page: a string table at \d+ of \d+ bytes$/);
    assert.equal(page.count, 3);
  });

  it('counts the frames of a page whose header count is wrong', () => {
    const cases: [number, string][] = [
      [0, 'a damaged page: 0 records, not 1 to 128'],
      [MAX_PAGE_RECORDS + 1, 'a damaged page: 129 records, not 1 to 128'],
      [2, 'a damaged page: bytes between the records and the strings'],
      [4, 'a damaged page: a number runs past the end'],
    ];

    for (const [count, problem] of cases) {
      const page = unreadable(readPage(key, patchedU32(value, key, PAGE.countAt, count)));

      assert.deepEqual([page.problem, page.count], [problem, 3], `count ${count}`);
    }
  });

  it('falls back on the header count, then on 1, when the frames cannot be walked', () => {
    const noTable = patchedU32(value, key, PAGE.tableOffsetAt, value.length + 1);
    const neither = patchedU32(noTable, key, PAGE.countAt, 0);

    assert.equal(unreadable(readPage(key, noTable)).count, 3);
    assert.equal(unreadable(readPage(key, neither)).count, 1);
  });

  it('refuses two records with one seq, and a seq past what the key allows', () => {
    const bodies = bodiesOf(value);
    // The byte before each body's u32 length is its seq step, a one-byte varint.
    const secondStep = (bodies[1]?.start ?? 0) - 5;
    const firstStep = PAGE.headerBytes;

    const repeated = unreadable(readPage(key, patched(value, key, secondStep, [0])));
    const far = unreadable(readPage(key, patched(value, key, firstStep, [MAX_PAGE_RECORDS - 1])));

    assert.equal(repeated.problem, 'a damaged page: two records with one seq');
    assert.equal(
      far.problem,
      `a damaged page: seq ${MAX_PAGE_RECORDS + 1} too far past the page's 1`,
    );
  });

  it('fails only the record with a string index past the table, or unknown flags', () => {
    const badIndex = readable(readPage(key, withBadStringIndex(value, key, 1)));
    const badFlags = readable(
      readPage(key, patched(value, key, bodiesOf(value)[2]?.start ?? 0, [64])),
    );

    assert.equal(problemOf(badIndex, 1), 'an unreadable record: string 127 is not in the page');
    assert.equal(problemOf(badFlags, 2), 'an unreadable record: unknown flags 64');
    assert.deepEqual(
      [badIndex.record(0).ok, badIndex.record(2).ok, badFlags.record(0).ok],
      [true, true, true],
    );
  });

  it('fails every record of a page whose string table is damaged', () => {
    // A string count far past what the bytes left could hold.
    const damaged = patched(value, key, tableAt, [0xff, 0xff, 0xff, 0x7f]);
    const page = readable(readPage(key, damaged));

    for (const index of [0, 1, 2]) {
      assert.match(problemOf(page, index), /^an unreadable record: a table of \d+ strings/);
    }
  });

  it('fails a record whose number reads as NaN or Infinity, naming the field', () => {
    const infinity = Buffer.alloc(8);
    infinity.writeDoubleLE(Infinity);
    const body = bodiesOf(value)[0]?.start ?? 0;

    const page = readable(readPage(key, patched(value, key, body + BODY.tAt, [...infinity])));

    assert.equal(problemOf(page, 0), 't is Infinity, not a finite number');
  });
});

describe('what the quarantine keeps of a page record', () => {
  it('is the JSON of layout 3 for a record that reads, and its bytes for one that does not', () => {
    const drafts = makeDrafts(2);
    const [encoded] = encodePages(5, drafts, STORED_AT);
    const damaged = withBadStringIndex(encoded?.value ?? Buffer.alloc(0), recordKey(5), 1);
    const page = readable(readPage(recordKey(5), damaged));
    const body = bodiesOf(damaged)[1];

    assert.deepEqual(decodeEntry(recordKey(5), page.quarantineText(0)), {
      ok: true,
      record: { ...drafts[0], seq: 5 },
      storedAtMs: STORED_AT,
    });
    assert.equal(
      page.quarantineText(1),
      `base64:${damaged.subarray(body?.start, body?.end).toString('base64')}`,
    );
  });
});
