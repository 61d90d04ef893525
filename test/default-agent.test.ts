import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configureAgent, getAgent, measureTps, track } from '../src/index.js';
import { makeTempDir, removeDir } from './helpers/temp-dir.js';

const DEAD_COLLECTOR = 'http://127.0.0.1:9';

describe('the process-wide agent', () => {
  let workDir: string;

  before(async () => {
    workDir = await makeTempDir('tps-default-');
  });
  after(async () => {
    await getAgent().close({ timeoutMs: 100 });
    await removeDir(workDir);
  });

  it('is what configureAgent set, and what wrappers use', async () => {
    const agent = configureAgent({ dataDir: join(workDir, 'a'), collectorUrl: DEAD_COLLECTOR });
    const wrapped = measureTps({ gateway: 'default-gw' })(() => 'done');

    assert.equal(getAgent(), agent);
    assert.equal(wrapped(), 'done');
    assert.equal(
      track('default-gw', () => 7),
      7,
    );
    assert.equal(await agent.flush(), 1, 'both calls fall in one series-second');
  });

  it('takes the options under config too, and replaces the agent on the same data dir', async () => {
    const first = getAgent();
    const dataDir = first.config.dataDir;
    const second = configureAgent({ config: { dataDir, collectorUrl: DEAD_COLLECTOR } });

    assert.notEqual(second, first);
    assert.equal(getAgent(), second);
    await second.ready();
    assert.equal(first.getStats().isClosed, true);
    assert.equal(second.getStats().localMetricsCount, 1, 'the record the first agent kept');
  });

  it('leaves the previous agent in place when the new options are malformed', () => {
    const current = getAgent();

    assert.throws(() => configureAgent({ batchSize: 0 }), { code: 'ERR_TPS_CONFIG' });
    assert.equal(getAgent(), current);
  });
});
