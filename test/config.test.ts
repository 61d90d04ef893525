import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_DATA_DIR, isTpsError, resolveConfig, type AgentOptions } from '../src/index.js';

function configError(fn: () => unknown): { code: string; message: string; field: string } {
  try {
    fn();
  } catch (error) {
    assert.ok(isTpsError(error), 'expected a TpsError');
    return error as unknown as { code: string; message: string; field: string };
  }
  assert.fail('expected resolveConfig to throw');
}

describe('resolveConfig', () => {
  it('applies the documented defaults', () => {
    const config = resolveConfig({}, {});

    assert.deepEqual(config, {
      collectorUrl: 'http://localhost:8080',
      serverId: hostname(),
      batchSize: 100,
      transmissionIntervalSeconds: 10,
      maxRetries: 3,
      localRetentionMinutes: 60,
      enableMetrics: true,
      enableThrottling: true,
      dataDir: resolve(DEFAULT_DATA_DIR),
      flushIntervalMs: 1000,
      heartbeatIntervalSeconds: 30,
      requestTimeoutMs: 10_000,
      maxLocalBytes: 256 * 1024 * 1024,
      maxSeries: 10_000,
      senderConcurrency: 1,
      handleSignals: false,
    });
    assert.ok(Object.isFrozen(config));
  });

  it('reads every TPS_* variable', () => {
    const config = resolveConfig(
      {},
      {
        TPS_COLLECTOR_URL: 'https://collector.internal:9443/',
        TPS_SERVER_ID: 'api-7',
        TPS_BATCH_SIZE: '250',
        TPS_TRANSMISSION_INTERVAL: '2.5',
        TPS_MAX_RETRIES: '0',
        TPS_LOCAL_RETENTION_MINUTES: '5',
        TPS_ENABLE_METRICS: 'No',
        TPS_ENABLE_THROTTLING: 'FALSE',
        TPS_DATA_DIR: '/var/lib/tps',
        TPS_FLUSH_INTERVAL_MS: '200',
        TPS_HEARTBEAT_INTERVAL: '15',
        TPS_REQUEST_TIMEOUT_MS: '3000',
      },
    );

    assert.equal(config.collectorUrl, 'https://collector.internal:9443');
    assert.equal(config.serverId, 'api-7');
    assert.equal(config.batchSize, 250);
    assert.equal(config.transmissionIntervalSeconds, 2.5);
    assert.equal(config.maxRetries, 0);
    assert.equal(config.localRetentionMinutes, 5);
    assert.equal(config.enableMetrics, false);
    assert.equal(config.enableThrottling, false);
    assert.equal(config.dataDir, '/var/lib/tps');
    assert.equal(config.flushIntervalMs, 200);
    assert.equal(config.heartbeatIntervalSeconds, 15);
    assert.equal(config.requestTimeoutMs, 3000);
  });

  it('prefers options over the environment', () => {
    const config = resolveConfig(
      { batchSize: 7, enableMetrics: true },
      { TPS_BATCH_SIZE: '500', TPS_ENABLE_METRICS: 'false' },
    );

    assert.equal(config.batchSize, 7);
    assert.equal(config.enableMetrics, true);
  });

  it('accepts true/false, 1/0 and yes/no in any case', () => {
    const cases: [string, boolean][] = [
      ['true', true],
      ['TRUE', true],
      ['1', true],
      ['Yes', true],
      ['false', false],
      ['0', false],
      ['NO', false],
      [' no ', false],
    ];
    for (const [word, expected] of cases) {
      assert.equal(resolveConfig({}, { TPS_ENABLE_METRICS: word }).enableMetrics, expected, word);
    }
  });

  it('treats an empty variable as unset', () => {
    assert.equal(resolveConfig({}, { TPS_BATCH_SIZE: '' }).batchSize, 100);
  });

  it('rejects a word where a number belongs, naming the variable and the value', () => {
    const error = configError(() => resolveConfig({}, { TPS_BATCH_SIZE: 'many' }));

    assert.equal(error.code, 'ERR_TPS_CONFIG');
    assert.equal(error.field, 'TPS_BATCH_SIZE');
    assert.match(error.message, /TPS_BATCH_SIZE/);
    assert.match(error.message, /"many"/);
    assert.match(error.message, /whole number of at least 1 and at most 10000/);
  });

  it('rejects a negative, zero or tiny interval, which would run a loop flat out', () => {
    const negative = configError(() => resolveConfig({ transmissionIntervalSeconds: -1 }, {}));
    assert.equal(negative.field, 'transmissionIntervalSeconds');
    assert.match(negative.message, /at least 0.01 and at most 3600/);

    const zero = configError(() => resolveConfig({}, { TPS_HEARTBEAT_INTERVAL: '0' }));
    assert.equal(zero.field, 'TPS_HEARTBEAT_INTERVAL');

    const tiny = [
      ['TPS_HEARTBEAT_INTERVAL', '0.000001', /at least 0.1 and/],
      ['TPS_LOCAL_RETENTION_MINUTES', '0.0000001', /at least 0.01 and/],
      ['TPS_TRANSMISSION_INTERVAL', '0.001', /at least 0.01 and/],
    ] as const;
    for (const [variable, value, expected] of tiny) {
      const error = configError(() => resolveConfig({}, { [variable]: value }));
      assert.equal(error.field, variable);
      assert.match(error.message, expected);
    }
    assert.equal(
      resolveConfig({ heartbeatIntervalSeconds: 0.1 }, {}).heartbeatIntervalSeconds,
      0.1,
    );
  });

  it('rejects a URL that is not http(s)', () => {
    for (const url of ['ftp://collector', 'collector:8080', 'not a url']) {
      const error = configError(() => resolveConfig({ collectorUrl: url }, {}));
      assert.equal(error.code, 'ERR_TPS_CONFIG');
      assert.match(error.message, /http:\/\/ or https:\/\//);
    }
  });

  it('rejects a URL with credentials without ever showing them', () => {
    const fromCode = configError(() =>
      resolveConfig({ collectorUrl: 'http://ops:s3cret@collector:99999' }, {}),
    );
    const fromEnv = configError(() =>
      resolveConfig({}, { TPS_COLLECTOR_URL: 'https://ops:s3cret@collector:8443/' }),
    );

    for (const [error, field] of [
      [fromCode, 'collectorUrl'],
      [fromEnv, 'TPS_COLLECTOR_URL'],
    ] as const) {
      assert.equal(error.field, field);
      assert.match(error.message, /<credentials>@collector/);
      assert.match(error.message, /without user:password@/);
      assert.doesNotMatch(error.message, /s3cret|ops:/);
    }
  });

  it('rejects a malformed boolean and a fractional whole number', () => {
    assert.equal(
      configError(() => resolveConfig({}, { TPS_ENABLE_METRICS: 'maybe' })).field,
      'TPS_ENABLE_METRICS',
    );
    assert.equal(configError(() => resolveConfig({ maxRetries: 1.5 }, {})).field, 'maxRetries');
    const word = configError(() =>
      resolveConfig({ handleSignals: 'true' as unknown as boolean }, {}),
    );
    assert.equal(word.field, 'handleSignals');
    assert.match(word.message, /expected true or false/);
  });

  it('takes plain decimals only from a variable, and numbers only from code', () => {
    for (const text of ['5e2', '0x10', '1_000', '+5']) {
      assert.equal(
        configError(() => resolveConfig({}, { TPS_BATCH_SIZE: text })).field,
        'TPS_BATCH_SIZE',
        text,
      );
    }
    assert.equal(resolveConfig({}, { TPS_BATCH_SIZE: ' 50 ' }).batchSize, 50);
    const stringly = { batchSize: '5' } as unknown as AgentOptions;
    assert.equal(configError(() => resolveConfig(stringly, {})).field, 'batchSize');
  });

  it('caps intervals where the collector or the dedupe window sets a limit', () => {
    assert.equal(
      configError(() => resolveConfig({ heartbeatIntervalSeconds: 86_401 }, {})).field,
      'heartbeatIntervalSeconds',
    );
    assert.equal(
      configError(() => resolveConfig({}, { TPS_LOCAL_RETENTION_MINUTES: '10081' })).field,
      'TPS_LOCAL_RETENTION_MINUTES',
    );
    assert.equal(
      resolveConfig({ localRetentionMinutes: 10_080 }, {}).localRetentionMinutes,
      10_080,
    );
  });

  it('refuses a server id the collector could not store', () => {
    const error = configError(() => resolveConfig({ serverId: 'api\n1' }, {}));

    assert.equal(error.field, 'serverId');
    assert.match(error.message, /without control characters/);
  });

  it('rejects an unknown option, listing the known ones', () => {
    const options = { batchsize: 10 } as unknown as AgentOptions;
    const error = configError(() => resolveConfig(options, {}));

    assert.equal(error.field, 'batchsize');
    assert.match(error.message, /batchSize/);
  });
});

describe('TPS_LOG_LEVEL', () => {
  it('refuses a level pino does not know, naming the variable', async () => {
    const { defaultLogger } = await import('../src/logger.js');
    const before = process.env.TPS_LOG_LEVEL;
    process.env.TPS_LOG_LEVEL = 'loud';
    try {
      const error = configError(() => defaultLogger());
      assert.equal(error.field, 'TPS_LOG_LEVEL');
      assert.match(error.message, /"loud"; expected one of .*info/);
    } finally {
      if (before === undefined) delete process.env.TPS_LOG_LEVEL;
      else process.env.TPS_LOG_LEVEL = before;
    }
  });
});
