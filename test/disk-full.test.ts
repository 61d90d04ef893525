import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createAgent, track, type Agent } from '../src/index.js';
import { makeTempDir, removeDir } from './helpers/temp-dir.js';

const DEAD_COLLECTOR = 'http://127.0.0.1:9';

/** Mounts a 1 MiB tmpfs on a new temp dir; undefined where this process may not mount. */
async function smallDisk(): Promise<string | undefined> {
  const dir = await makeTempDir('tps-full-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    await removeDir(dir);
    return undefined;
  }
}

/**
 * Records calls and flushes until the log refuses a flush. The same 500 series each round: each
 * flush writes a record per series, and new series per round would stop at the meter's series
 * cap (10,000 records, about 600 kB as pages) before a 1 MiB disk is full.
 */
async function fillDisk(agent: Agent): Promise<void> {
  for (let round = 0; round < 400 && agent.getStats().unwrittenCount === 0; round++) {
    for (let i = 0; i < 500; i++) {
      assert.equal(
        track('disk', () => i, { agent, endpoint: `e-${i}` }),
        i,
      );
    }
    assert.ok((await agent.flush()) >= 0, 'flush resolves whatever the disk does');
  }
}

describe('a full disk', () => {
  const mounts: string[] = [];
  after(async () => {
    for (const dir of mounts) {
      execFileSync('umount', ['-l', dir]);
      await removeDir(dir);
    }
  });

  /** An agent on a new small disk, or undefined where mounting one is not allowed. */
  async function agentOnSmallDisk(): Promise<{ agent: Agent; disk: string } | undefined> {
    const disk = await smallDisk();
    if (disk === undefined) return undefined;
    mounts.push(disk);
    const agent = createAgent(join(disk, 'agent'), {
      collectorUrl: DEAD_COLLECTOR,
      flushIntervalMs: 60_000,
    });
    await agent.ready();

    return { agent, disk };
  }

  it('keeps refused records in memory and writes them once there is room', async (t) => {
    const onDisk = await agentOnSmallDisk();
    if (onDisk === undefined) return t.skip('mounting a tmpfs needs root');
    const { agent, disk } = onDisk;

    await fillDisk(agent);
    const full = agent.getStats();
    assert.ok(full.unwrittenCount > 0, 'the log refused records once the disk was full');
    assert.equal(full.droppedMetrics.storage, 0, 'refused records wait in memory first');

    execFileSync('mount', ['-o', 'remount,size=64m', disk]);
    await agent.flush();
    const roomy = agent.getStats();
    assert.equal(roomy.unwrittenCount, 0, 'the next flush wrote what had waited');
    assert.equal(roomy.droppedMetrics.storage, 0);
    await agent.close({ timeoutMs: 200 });
  });

  it('counts what never reached the disk as lost when it closes', async (t) => {
    const onDisk = await agentOnSmallDisk();
    if (onDisk === undefined) return t.skip('mounting a tmpfs needs root');
    const { agent } = onDisk;

    await fillDisk(agent);
    const waiting = agent.getStats().unwrittenCount;
    await agent.close({ timeoutMs: 200 });

    const closed = agent.getStats();
    assert.ok(waiting > 0);
    assert.equal(closed.unwrittenCount, 0);
    assert.equal(closed.droppedMetrics.storage, waiting);
  });
});
