import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AgentRegistry } from '../../src/collector/agents.js';
import type { Ingestor } from '../../src/collector/ingest.js';
import { buildServer } from '../../src/collector/server.js';
import { Store } from '../../src/collector/store.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { capturingLogger, makeRecord } from './harness.js';

describe('collector server when storing fails', () => {
  const { logger, lines } = capturingLogger('error');
  let dir: string;
  let store: Store;

  before(async () => {
    dir = await makeTempDir('tps-collector-server-');
    store = await Store.open(dir);
  });

  after(async () => {
    await store.close();
    await removeDir(dir);
  });

  it('answers 500 in the error shape and logs the failure', async () => {
    const ingestor = {
      applyBatch: async () => {
        throw new Error('disk on fire');
      },
    } as unknown as Ingestor;
    const agents = new AgentRegistry(store, Date.now);
    const app = buildServer({
      store,
      ingestor,
      agents,
      now: Date.now,
      logger,
      bodyLimitBytes: 1e6,
    });

    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/metrics/batch',
      payload: { agent_id: 'a', server_id: 's', records: [makeRecord()] },
    });
    await app.close();

    assert.equal(response.statusCode, 500);
    assert.deepEqual(response.json(), {
      status: 'error',
      error: 'internal error; see the collector log',
    });
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.msg, 'request failed');
  });
});
