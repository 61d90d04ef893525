import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSeriesKey } from '../../src/collector/keys.js';
import { prepareRecords, startOfSecond } from '../../src/collector/records.js';
import { makeRecord } from './harness.js';

describe('startOfSecond', () => {
  it('rounds epoch milliseconds down to their second', () => {
    assert.equal(startOfSecond(1_704_067_200_999), 1_704_067_200_000);
    assert.equal(startOfSecond(1_704_067_201_000), 1_704_067_201_000);
    assert.equal(startOfSecond(0), 0);
  });
});

describe('prepareRecords', () => {
  it('keys each record by gateway, second, endpoint, batch server and sorted tags', () => {
    const record = makeRecord({ seq: 9, t: 5_250, tags: { z: '1', a: '2' } });

    const [prepared] = prepareRecords({ agent_id: 'a', server_id: 'srv', records: [record] });

    assert.equal(prepared!.seq, 9);
    assert.equal(prepared!.sketch.count, 1);
    assert.deepEqual(parseSeriesKey(prepared!.key), {
      gateway: 'payments',
      t: 5_000,
      endpoint: 'charge',
      serverId: 'srv',
      tags: '[["a","2"],["z","1"]]',
    });
  });

  it('names the first bad record and its field', () => {
    const records = [makeRecord({ seq: 1 }), makeRecord({ seq: 2, sketch: '' })];

    assert.throws(() => prepareRecords({ agent_id: 'a', server_id: 's', records }), {
      code: 'ERR_TPS_PROTOCOL',
      field: 'records[1].sketch',
    });
  });

  it('lets errors equal count', () => {
    const records = [makeRecord({ seq: 1, count: 2, errors: 2 }, [1, 2])];

    assert.equal(prepareRecords({ agent_id: 'a', server_id: 's', records }).length, 1);
  });
});
