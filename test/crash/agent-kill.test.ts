import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { runAgentKills } from './agent-kills.js';

/** Seeded, so a failure can be replayed with `node build/scripts/crash.js --seed <seed>`. */
const SEED = 20_240_601;
const KILLS = 24;

describe('an agent SIGKILLed under load', () => {
  let workDir: string;

  before(async () => {
    workDir = await makeTempDir('tps-crash-agent-');
  });

  after(async () => {
    await removeDir(workDir);
  });

  it(
    `counts every flushed call exactly once across ${KILLS} kills`,
    { timeout: 180_000 },
    async (t) => {
      const summary = await runAgentKills({ kills: KILLS, seed: SEED, workDir });

      t.diagnostic(JSON.stringify(summary));
      assert.deepEqual(summary.failures, []);
      for (const kind of ['flush', 'send', 'applied', 'sweep'] as const) {
        assert.ok(summary.kills[kind] >= 4, `${summary.kills[kind]} ${kind} kills`);
      }
      assert.ok(summary.flushedCalls > 0);
      assert.ok(summary.duplicateRecords > 0, 'some batch was resent after an applied kill');
    },
  );
});
