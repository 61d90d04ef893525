import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeEntry, encodeEntry, recordProblem } from '../../src/wal/codec.js';
import { recordKey } from '../../src/wal/keys.js';
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
