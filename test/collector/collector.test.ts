import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_DATA_DIR,
  DEFAULT_DEDUPE_WINDOW_MS,
  DEFAULT_HOST,
  DEFAULT_PORT,
  startCollector,
} from '../../src/collector/index.js';
import { resolveCollectorOptions } from '../../src/collector/options.js';
import { isTpsError } from '../../src/errors.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { capturingLogger, getJson, startTestCollector } from './harness.js';

describe('resolveCollectorOptions', () => {
  it('applies the documented defaults', () => {
    const options = resolveCollectorOptions();

    assert.equal(options.port, DEFAULT_PORT);
    assert.equal(options.port, 8080);
    assert.equal(options.host, DEFAULT_HOST);
    assert.equal(options.host, '127.0.0.1');
    assert.equal(options.dataDir, resolve(process.cwd(), DEFAULT_DATA_DIR));
    assert.equal(DEFAULT_DATA_DIR, '.tps-collector');
    assert.equal(options.bodyLimitBytes, DEFAULT_BODY_LIMIT_BYTES);
    assert.equal(options.now, Date.now);
    assert.equal(options.dedupeWindowMs, DEFAULT_DEDUPE_WINDOW_MS);
    assert.equal(DEFAULT_DEDUPE_WINDOW_MS, 7 * 24 * 60 * 60 * 1000);
    assert.equal(options.onBatchApplied, undefined);
  });

  it('refuses a dedupe window under a second and a hook that is no function', () => {
    for (const dedupeWindowMs of [999, 1.5e3 + 0.5, -1]) {
      assert.throws(() => resolveCollectorOptions({ dedupeWindowMs }), {
        code: 'ERR_TPS_CONFIG',
        field: 'dedupeWindowMs',
        message: `dedupeWindowMs must be an integer from 1000 to 9007199254740991, got ${dedupeWindowMs}`,
      });
    }
    const onBatchApplied = 'kill' as unknown as () => void;
    assert.throws(() => resolveCollectorOptions({ onBatchApplied }), {
      field: 'onBatchApplied',
      message: 'onBatchApplied must be a function, got string',
    });
  });

  it('refuses a port out of range, naming it and the value', () => {
    for (const port of [-1, 65_536, 1.5, Number.NaN]) {
      assert.throws(() => resolveCollectorOptions({ port }), {
        code: 'ERR_TPS_CONFIG',
        field: 'port',
        message: `port must be an integer from 0 to 65535, got ${port}`,
      });
    }
  });

  it('refuses an empty host or data dir, a tiny body limit and a now that is no function', () => {
    assert.throws(() => resolveCollectorOptions({ host: ' ' }), { field: 'host' });
    assert.throws(() => resolveCollectorOptions({ dataDir: '' }), { field: 'dataDir' });
    assert.throws(() => resolveCollectorOptions({ bodyLimitBytes: 10 }), {
      field: 'bodyLimitBytes',
    });
    const now = 5 as unknown as () => number;
    assert.throws(() => resolveCollectorOptions({ now }), { field: 'now' });
  });
});

describe('Collector lifecycle', () => {
  let dataDir: string;

  before(async () => {
    dataDir = await makeTempDir('tps-collector-life-');
  });

  after(async () => {
    await removeDir(dataDir);
  });

  it('reports the port picked for port 0 and its URL', async () => {
    const test = await startTestCollector({ dataDir });
    try {
      assert.ok(test.collector.port > 0);
      assert.equal(test.collector.url, `http://127.0.0.1:${test.collector.port}`);
      assert.equal(test.collector.dataDir, dataDir);
    } finally {
      await test.collector.close();
    }
  });

  it('closes once; a second close warns and resolves', async () => {
    const { logger, lines } = capturingLogger('warn');
    const collector = await startCollector({ port: 0, dataDir, logger });

    await Promise.all([collector.close(), collector.close()]);
    await collector.close();

    const warnings = lines.filter((line) => line.level === 40);
    assert.equal(warnings.length, 2);
    assert.equal(warnings[0]!.component, 'collector');
    await assert.rejects(fetch(`${collector.url}/api/v1/health`));
  });

  it('closes on await using', async () => {
    let url: string;
    {
      await using collector = await startCollector({ port: 0, dataDir });
      url = collector.url;
      assert.equal((await getJson(`${url}/api/v1/health`)).status, 200);
    }

    await assert.rejects(fetch(`${url}/api/v1/health`));
  });

  it('refuses a data dir another collector holds, as a storage error', async () => {
    const first = await startCollector({ port: 0, dataDir });
    try {
      await assert.rejects(startCollector({ port: 0, dataDir }), (error: unknown) => {
        assert.ok(isTpsError(error));
        assert.equal(error.code, 'ERR_TPS_STORAGE');
        assert.match(error.message, /could not open/);
        assert.ok(error.cause !== undefined);
        return true;
      });
    } finally {
      await first.close();
    }
  });

  it('releases the data dir when it cannot listen', async () => {
    const first = await startCollector({ port: 0, dataDir: `${dataDir}-other` });
    try {
      await assert.rejects(startCollector({ port: first.port, dataDir }), { code: 'EADDRINUSE' });

      const again = await startCollector({ port: 0, dataDir });
      await again.close();
    } finally {
      await first.close();
      await removeDir(`${dataDir}-other`);
    }
  });

  it('makes missing parent directories of the data dir', async () => {
    const nested = `${dataDir}-nested/a/b`;
    const collector = await startCollector({ port: 0, dataDir: nested });
    try {
      assert.equal(collector.dataDir, nested);
    } finally {
      await collector.close();
      await removeDir(`${dataDir}-nested`);
    }
  });
});
