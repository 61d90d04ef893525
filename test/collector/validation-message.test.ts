import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  fieldPath,
  isBadRequestError,
  BadRequestError,
} from '../../src/collector/request-error.js';
import { pointerToPath, validationMessage } from '../../src/collector/validation-message.js';
import { TpsError } from '../../src/errors.js';

describe('pointerToPath', () => {
  it('writes indexes in brackets and names after dots', () => {
    assert.equal(pointerToPath(''), '');
    assert.equal(pointerToPath('/records/3/count'), 'records[3].count');
    assert.equal(pointerToPath('/records/0/tags/a b'), 'records[0].tags["a b"]');
    assert.equal(pointerToPath('/tags/a~1b~0c'), 'tags["a/b~c"]');
  });
});

describe('fieldPath', () => {
  it('joins a base and a key the way JavaScript reads them', () => {
    assert.equal(fieldPath('', 'agent_id'), 'agent_id');
    assert.equal(fieldPath('records', 2), 'records[2]');
    assert.equal(fieldPath('x', '$ok_1'), 'x.$ok_1');
    assert.equal(fieldPath('x', '1a'), 'x["1a"]');
  });
});

describe('validationMessage', () => {
  it('says the part is not valid when there is no error to name', () => {
    assert.equal(validationMessage([], 'body'), 'body is not valid');
  });

  it('falls back on the validator message for other keywords', () => {
    const error = {
      keyword: 'maxItems',
      instancePath: '/records',
      schemaPath: '#/properties/records/maxItems',
      params: { limit: 2 },
      message: 'must NOT have more than 2 items',
    };

    assert.equal(validationMessage([error], 'body'), 'records must NOT have more than 2 items');
  });
});

describe('isBadRequestError', () => {
  it('tells a bad request by code and field', () => {
    assert.equal(isBadRequestError(new BadRequestError('x', 'x is bad')), true);
    assert.equal(isBadRequestError(new TpsError('ERR_TPS_PROTOCOL', 'no field')), false);
    assert.equal(isBadRequestError({ code: 'ERR_TPS_PROTOCOL', field: 'x' }), false);
  });
});
