import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  afterAgentMarkers,
  appliedKey,
  appliedRange,
  canonicalTags,
  heartbeatKey,
  heartbeatRange,
  parseAppliedKey,
  parseSeriesKey,
  seriesKey,
  seriesRange,
  type SeriesKeyParts,
} from '../../src/collector/keys.js';

function parts(overrides: Partial<SeriesKeyParts> = {}): SeriesKeyParts {
  return { gateway: 'g', t: 1000, endpoint: 'e', serverId: 's', tags: '[]', ...overrides };
}

function inRange(key: string, range: { gte: string; lt: string }): boolean {
  return key >= range.gte && key < range.lt;
}

describe('series keys', () => {
  it('round-trips names with spaces, quotes, slashes and non-ASCII text', () => {
    const odd = parts({
      gateway: 'gw "main" / ünïcødé 🚀',
      endpoint: 'GET /users/{id}?x=1&y=\\',
      serverId: 'host:8080',
      tags: canonicalTags({ 'k\u0001': 'v\u0000' }),
      t: 1_704_067_200_000,
    });

    assert.deepEqual(parseSeriesKey(seriesKey(odd)), odd);
  });

  it('sorts one gateway by time before endpoint, server and tags', () => {
    const keys = [
      seriesKey(parts({ t: 2000, endpoint: 'a' })),
      seriesKey(parts({ t: 1000, endpoint: 'z' })),
      seriesKey(parts({ t: 10_000, endpoint: 'a' })),
      seriesKey(parts({ t: 1000, endpoint: 'a', serverId: 'z' })),
    ];

    const times = [...keys].sort().map((key) => parseSeriesKey(key).t);

    assert.deepEqual(times, [1000, 1000, 2000, 10_000]);
  });

  it('bounds a range inclusively at both ends', () => {
    const range = seriesRange('g', 2000, 4000);

    assert.equal(inRange(seriesKey(parts({ t: 1000 })), range), false);
    assert.equal(inRange(seriesKey(parts({ t: 2000 })), range), true);
    assert.equal(inRange(seriesKey(parts({ t: 4000, endpoint: '\uffff' })), range), true);
    assert.equal(inRange(seriesKey(parts({ t: 5000 })), range), false);
  });

  it('keeps a gateway out of the range of a gateway it starts with', () => {
    const range = seriesRange('g', 0, 10_000);

    assert.equal(inRange(seriesKey(parts({ gateway: 'g2' })), range), false);
    assert.equal(inRange(seriesKey(parts({ gateway: 'g\u0001' })), range), false);
    assert.equal(inRange(seriesKey(parts({ gateway: 'g' })), range), true);
  });

  it('refuses a key of another kind', () => {
    assert.throws(() => parseSeriesKey(heartbeatKey('a')), /not a series key/);
  });
});

describe('canonicalTags', () => {
  it('writes the same text whatever the order of the tags', () => {
    assert.equal(canonicalTags({ b: '2', a: '1' }), canonicalTags({ a: '1', b: '2' }));
    assert.equal(canonicalTags({ 10: 'x', 2: 'y' }), '[["10","x"],["2","y"]]');
    assert.equal(canonicalTags({}), '[]');
  });

  it('never holds a raw separator', () => {
    assert.equal(canonicalTags({ '\u0000': '\u0000' }).includes('\u0000'), false);
  });
});

describe('applied and heartbeat keys', () => {
  it('orders applied markers of one agent by seq', () => {
    const keys = [appliedKey('a', 10), appliedKey('a', 9), appliedKey('a', 100)];

    assert.deepEqual([...keys].sort(), [
      appliedKey('a', 9),
      appliedKey('a', 10),
      appliedKey('a', 100),
    ]);
  });

  it('splits an applied key back into agent and seq', () => {
    assert.deepEqual(parseAppliedKey(appliedKey('agent "x" 🚀', 42)), {
      agentId: 'agent "x" 🚀',
      seq: 42,
    });
    assert.throws(() => parseAppliedKey(heartbeatKey('a')), /not an applied marker key/);
  });

  it('puts every applied key, and no other kind, in the applied range', () => {
    const range = appliedRange();

    assert.equal(inRange(appliedKey('', 0), range), true);
    assert.equal(inRange(appliedKey('\uffff', Number.MAX_SAFE_INTEGER), range), true);
    assert.equal(inRange(heartbeatKey('a'), range), false);
    assert.equal(inRange(seriesKey(parts()), range), false);
  });

  it('bounds the markers of one agent from above, below every later agent', () => {
    const end = afterAgentMarkers('a');

    assert.ok(appliedKey('a', Number.MAX_SAFE_INTEGER) < end);
    assert.ok(end < appliedKey('a ', 0), 'an id that extends it with a space sorts after');
    assert.ok(end < appliedKey('b', 0));
    assert.ok(appliedKey('', 1) < end);
  });

  it('puts every heartbeat key, and no other kind, in the heartbeat range', () => {
    const range = heartbeatRange();

    assert.equal(inRange(heartbeatKey(''), range), true);
    assert.equal(inRange(heartbeatKey('\uffff agent'), range), true);
    assert.equal(inRange(appliedKey('a', 1), range), false);
    assert.equal(inRange(seriesKey(parts()), range), false);
  });
});
