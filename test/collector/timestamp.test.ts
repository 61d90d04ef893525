import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIsoTime } from '../../src/collector/timestamp.js';

const NEW_YEAR = Date.UTC(2024, 0, 1);

describe('parseIsoTime', () => {
  it('reads a time without an offset as UTC, whatever the local zone', () => {
    assert.equal(parseIsoTime('2024-01-01T00:00:00'), NEW_YEAR);
    assert.equal(parseIsoTime('2024-01-01 00:00:00'), NEW_YEAR);
    assert.equal(parseIsoTime('2024-01-01T00:00'), NEW_YEAR);
  });

  it('reads fractional seconds of any length, cutting past the millisecond', () => {
    assert.equal(parseIsoTime('2024-01-01T00:00:01.5'), NEW_YEAR + 1500);
    assert.equal(parseIsoTime('2024-01-01T00:00:01,25'), NEW_YEAR + 1250);
    assert.equal(parseIsoTime('2024-01-01T00:00:01.123456789'), NEW_YEAR + 1123);
    assert.equal(parseIsoTime('2024-01-01T00:00:01.999999'), NEW_YEAR + 1999);
  });

  it('applies Z and numeric offsets', () => {
    assert.equal(parseIsoTime('2024-01-01T00:00:00Z'), NEW_YEAR);
    assert.equal(parseIsoTime('2024-01-01T00:00:00z'), NEW_YEAR);
    assert.equal(parseIsoTime('2024-01-01T02:30:00+02:30'), NEW_YEAR);
    assert.equal(parseIsoTime('2024-01-01T02:30:00+0230'), NEW_YEAR);
    assert.equal(parseIsoTime('2024-01-01T02:00:00+02'), NEW_YEAR);
    assert.equal(parseIsoTime('2023-12-31T19:00:00.000-05:00'), NEW_YEAR);
    assert.equal(parseIsoTime('2024-01-01T00:00:00+00:00'), NEW_YEAR);
  });

  it('agrees with Date.parse on times that carry an offset', () => {
    for (const text of ['2024-02-29T23:59:59.999Z', '1999-12-31T23:59:59+05:45']) {
      assert.equal(parseIsoTime(text), Date.parse(text));
    }
  });

  it('reads years before 100 as written', () => {
    assert.equal(parseIsoTime('0050-01-01T00:00:00Z'), Date.parse('0050-01-01T00:00:00Z'));
  });

  it('refuses text that is not an ISO-8601 date-time', () => {
    for (const text of [
      '',
      'yesterday',
      '2024-01-01',
      '01/02/2024 00:00:00',
      '2024-1-1T00:00:00',
      '2024-01-01T00:00:00.',
      '2024-01-01T00:00:00 Z',
      '2024-01-01T00:00:00+1',
      ' 2024-01-01T00:00:00',
    ]) {
      assert.equal(parseIsoTime(text), undefined, text);
    }
  });

  it('refuses fields out of range', () => {
    for (const text of [
      '2024-13-01T00:00:00',
      '2023-02-29T00:00:00',
      '2024-04-31T00:00:00',
      '2024-01-01T24:00:00',
      '2024-01-01T00:60:00',
      '2024-01-01T00:00:60',
      '2024-01-01T00:00:00+24:00',
      '2024-01-01T00:00:00+01:60',
      '2024-00-10T00:00:00',
    ]) {
      assert.equal(parseIsoTime(text), undefined, text);
    }
  });
});
