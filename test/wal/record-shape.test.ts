import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recordProblem } from '../../src/wal/codec.js';
import type { RecordDraft } from '../../src/protocol/types.js';
import { makeDraft } from './fixtures/drafts.js';

// recordProblem answers the common case with a field-by-field check of its own; these cases
// make sure it still finds every field that is missing or of the wrong type.
const WRONG_VALUES: Record<keyof RecordDraft, readonly unknown[]> = {
  t: [undefined, '1000', NaN, Infinity],
  gateway: [undefined, 7, null],
  endpoint: [undefined, 7, {}],
  tags: [undefined, null, [], 'a'],
  count: [undefined, '1', -Infinity],
  errors: [undefined, null, NaN],
  duration_sum_ms: [undefined, '2', Infinity],
  duration_min_ms: [undefined, {}, NaN],
  duration_max_ms: [undefined, true, Infinity],
  sketch: [undefined, 5, {}],
  error_kinds: [undefined, null, [], 3],
};

describe('record shape', () => {
  for (const [field, values] of Object.entries(WRONG_VALUES)) {
    it(`names ${field} when it is missing or of the wrong type`, () => {
      for (const value of values) {
        const draft: Record<string, unknown> = { ...makeDraft(1000) };
        if (value === undefined) delete draft[field];
        else draft[field] = value;

        assert.match(
          recordProblem(draft) ?? 'accepted',
          new RegExp(`^${field} is `),
          String(value),
        );
      }
    });
  }

  it('refuses what is not an object at all', () => {
    for (const value of [null, undefined, 3, 'record', [makeDraft(1000)]]) {
      assert.equal(recordProblem(value), 'not a JSON object');
    }
  });

  it('accepts a record with extra fields and with a prototype of its own', () => {
    const inherited = Object.assign(Object.create({ extra: 1 }) as object, makeDraft(1000));

    assert.equal(recordProblem({ ...makeDraft(1000), seq: 4 }), undefined);
    assert.equal(recordProblem(inherited), undefined);
  });
});
