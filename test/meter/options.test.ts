import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { measureTps, track, type MeasureOptions } from '../../src/meter/index.js';

/** Asserts that `options` are refused at wrap time with a ConfigError naming `field`. */
function assertRefused(options: unknown, field: string, received: RegExp): void {
  assert.throws(
    () => measureTps(options as MeasureOptions),
    (error: unknown) => {
      const {
        code,
        field: named,
        message,
      } = error as { code: string; field: string; message: string };
      assert.equal(code, 'ERR_TPS_CONFIG');
      assert.equal(named, field);
      assert.match(message, new RegExp(`^${field.replace('.', '\\.')} must be`));
      assert.match(message, received);
      return true;
    },
  );
}

describe('measuring options', () => {
  it('refuses a missing, empty or non-string gateway', () => {
    assertRefused({}, 'gateway', /received undefined/);
    assertRefused({ gateway: '' }, 'gateway', /non-empty string; received ""/);
    assertRefused({ gateway: 42 }, 'gateway', /received 42/);
  });

  it('refuses an endpoint that is not a non-empty string', () => {
    assertRefused({ gateway: 'g', endpoint: '' }, 'endpoint', /received ""/);
    assertRefused({ gateway: 'g', endpoint: null }, 'endpoint', /received null/);
  });

  it('refuses tags that are not a plain object of strings, numbers and booleans', () => {
    assertRefused({ gateway: 'g', tags: ['a'] }, 'tags', /plain object .* received an array/);
    assertRefused({ gateway: 'g', tags: 'region=eu' }, 'tags', /received "region=eu"/);
    assertRefused({ gateway: 'g', tags: new Map() }, 'tags', /received an object/);
    assertRefused({ gateway: 'g', tags: { region: null } }, 'tags.region', /received null/);
    assertRefused({ gateway: 'g', tags: { nested: { a: 1 } } }, 'tags.nested', /an object/);
  });

  it('refuses names the collector could not store, before any call', () => {
    assertRefused({ gateway: 'g', endpoint: 'line1\nline2' }, 'endpoint', /control characters/);
    assertRefused({ gateway: 'tab\there' }, 'gateway', /control characters/);
    assertRefused({ gateway: 'x'.repeat(1025) }, 'gateway', /at most 1024 characters/);
    assertRefused({ gateway: 'g', tags: { region: 'eu\u0000' } }, 'tags.region', /control/);
    assertRefused({ gateway: 'g', tags: { '': 'x' } }, 'tags key', /non-empty string/);
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i]));
    assert.throws(() => measureTps({ gateway: 'g', tags: many }), {
      code: 'ERR_TPS_CONFIG',
      field: 'tags',
      message: /at most 64 keys; received 65/,
    });
  });

  it('refuses a tag key named __proto__, which the collector would refuse with every batch', () => {
    for (const tags of [JSON.parse('{"__proto__":"eu"}'), { ['__proto__']: 1 }]) {
      assert.throws(() => measureTps({ gateway: 'g', tags: tags as Record<string, string> }), {
        code: 'ERR_TPS_CONFIG',
        field: 'tags',
        message: 'tags may not hold a key named __proto__; rename the tag',
      });
    }
  });

  it('accepts every printable name, unicode included, and an empty tag value', () => {
    const options = { gateway: 'pay/ments ✓', endpoint: 'POST /v1/charge?x=1', tags: { a: '' } };

    assert.doesNotThrow(() => measureTps(options));
  });

  it('refuses an unknown option, listing the known ones', () => {
    const misspelt = { gateway: 'g', endpont: 'x' } as unknown as MeasureOptions;

    assert.throws(() => measureTps(misspelt), {
      code: 'ERR_TPS_CONFIG',
      field: 'endpont',
      message: /unknown option 'endpont'; the options are: gateway, endpoint/,
    });
  });

  it('refuses a trackErrors that is not a boolean', () => {
    assertRefused({ gateway: 'g', trackErrors: 'no' }, 'trackErrors', /boolean; received "no"/);
  });

  it('refuses an agent that is not an object with a meter', () => {
    assertRefused({ gateway: 'g', agent: 'agent-1' }, 'agent', /received "agent-1"/);
    assertRefused({ gateway: 'g', agent: {} }, 'agent', /received an object/);
  });

  it('refuses options that are not an object', () => {
    assertRefused(undefined, 'options', /received undefined/);
  });

  it('cuts a long received value short in the message', () => {
    assertRefused({ gateway: 'g', endpoint: 7, trackErrors: 'x'.repeat(100) }, 'endpoint', /7/);
    assert.throws(() => measureTps({ gateway: 'g', trackErrors: 'x'.repeat(100) as never }), {
      message: /received "x{40}…"$/,
    });
  });

  it('accepts tags with null prototype and no tags at all', () => {
    const tags = Object.assign(Object.create(null) as Record<string, string>, { a: 'b' });

    assert.doesNotThrow(() => measureTps({ gateway: 'g', tags }));
    assert.doesNotThrow(() => measureTps({ gateway: 'g', tags: {} }));
  });

  it('refuses wrapping something that is not a function', () => {
    const wrap = measureTps({ gateway: 'g' }) as unknown as (value: unknown) => unknown;

    assert.throws(() => wrap(42), { code: 'ERR_TPS_CONFIG', field: 'fn', message: /received 42/ });
  });

  it('checks the options of track before running anything', () => {
    let ran = false;
    const run = (): void => {
      ran = true;
    };

    assert.throws(() => track('', run), { field: 'gateway' });
    assert.throws(() => track('g', run, { tags: { a: undefined as never } }), { field: 'tags.a' });
    assert.throws(() => track('g', 'not a function' as never), { field: 'fn' });
    assert.equal(ran, false);
  });
});
