import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { runCollectorKills } from './collector-kills.js';

const SEED = 20_240_602;
const KILLS = 5;

describe('the collector SIGKILLed while an agent ships', () => {
  let workDir: string;

  before(async () => {
    workDir = await makeTempDir('tps-crash-collector-');
  });

  after(async () => {
    await removeDir(workDir);
  });

  it(
    `counts every flushed call exactly once across ${KILLS} kills`,
    { timeout: 120_000 },
    async (t) => {
      const summary = await runCollectorKills({ kills: KILLS, seed: SEED, workDir });

      t.diagnostic(JSON.stringify(summary));
      assert.deepEqual(summary.failures, []);
      assert.ok(summary.calls > 0);
    },
  );
});
