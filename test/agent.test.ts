import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeFile } from 'node:fs/promises';
import {
  createAgent,
  measureTps,
  track,
  type Agent,
  type Clock,
  type Logger,
} from '../src/index.js';
import { useCollectorAndWorkDir, waitFor } from './helpers/collector.js';
import { makeTempDir, removeDir } from './helpers/temp-dir.js';

/** A port nothing listens on: the collector is "down". */
const DEAD_COLLECTOR = 'http://127.0.0.1:9';

describe('Agent with a real collector', () => {
  const env = useCollectorAndWorkDir('tps-agent-');

  function agentAt(name: string, collectorUrl = env.collector.url): Agent {
    return createAgent(join(env.workDir, name), {
      collectorUrl,
      serverId: name,
      flushIntervalMs: 50,
      transmissionIntervalSeconds: 0.1,
      requestTimeoutMs: 2000,
      maxRetries: 1,
    });
  }

  it('delivers N calls as exactly N, errors included', async () => {
    const agent = agentAt('exact');
    const pay = measureTps({ gateway: 'exact-gw', endpoint: 'pay', agent })((fail: boolean) => {
      if (fail) throw new RangeError('card declined');
      return 'ok';
    });

    for (let i = 0; i < 5000; i += 1) {
      try {
        pay(i % 10 === 0);
      } catch {
        // The host sees its own error; the agent counts it.
      }
    }
    await agent.close({ timeoutMs: 5000 });

    const { total } = await env.collector.tps('exact-gw');
    assert.deepEqual(total, { count: 5000, errors: 500 });
    const stats = agent.getStats();
    assert.equal(stats.localMetricsCount, 0);
    assert.equal(stats.totalMetricsSent, stats.totalMetricsStored);
    assert.ok(stats.lastTransmission !== null);
  });

  it('ships in the background while the host keeps calling', async () => {
    const agent = agentAt('background');
    for (let i = 0; i < 300; i += 1) await track('bg-gw', async () => i, { agent });

    await waitFor(async () => (await env.collector.tps('bg-gw')).total.count === 300);
    // The acknowledgement comes before the delete that counts a record as sent.
    await waitFor(() => agent.getStats().localMetricsCount === 0);
    assert.ok(agent.getStats().totalMetricsSent > 0);
    await agent.close();
  });

  it('keeps what it could not send and delivers it once after a restart', async () => {
    const down = agentAt('restart', DEAD_COLLECTOR);
    for (let i = 0; i < 1234; i += 1) track('restart-gw', () => i, { agent: down });
    await down.close({ timeoutMs: 300 });
    const pending = down.getStats().localMetricsCount;
    assert.ok(pending > 0, 'records wait in the log');
    assert.deepEqual((await env.collector.tps('restart-gw')).total, { count: 0, errors: 0 });

    const up = agentAt('restart');
    await waitFor(() => up.getStats().localMetricsCount === 0);
    await up.close();

    assert.deepEqual((await env.collector.tps('restart-gw')).total, { count: 1234, errors: 0 });
    assert.equal(up.getStats().totalMetricsSent, pending);
  });

  it('reports its health in heartbeats', async () => {
    const agent = createAgent(join(env.workDir, 'beats'), {
      collectorUrl: env.collector.url,
      serverId: 'beats-server',
      heartbeatIntervalSeconds: 0.1,
    });
    await agent.ready();

    await waitFor(async () =>
      (await env.collector.agents()).agents.some((a) => a.server_id === 'beats-server'),
    );
    const listed = (await env.collector.agents()).agents.find(
      (a) => a.server_id === 'beats-server',
    );
    assert.equal(listed?.agent_id, agent.getStats().agentId);
    assert.equal(listed?.status, 'healthy');
    await agent.close();
  });
});

describe('Agent when things go wrong', () => {
  let workDir: string;

  before(async () => {
    workDir = await makeTempDir('tps-agent-');
  });
  after(async () => {
    await removeDir(workDir);
  });

  it('keeps the host working while the collector is down', async () => {
    const agent = createAgent(join(workDir, 'down'), {
      collectorUrl: DEAD_COLLECTOR,
      maxRetries: 0,
      transmissionIntervalSeconds: 0.05,
      flushIntervalMs: 20,
    });
    const double = measureTps({ gateway: 'g', agent })((n: number) => n * 2);

    for (let i = 0; i < 100; i += 1) assert.equal(double(i), i * 2);
    await agent.flush();
    await waitFor(() => agent.getStats().sender.failedSends > 0);

    const stats = agent.getStats();
    assert.equal(stats.totalMetricsSent, 0);
    assert.ok(stats.localMetricsCount > 0);
    assert.match(stats.sender.lastError ?? '', /ECONNREFUSED|connect/);
    await agent.close({ timeoutMs: 200 });
  });

  it('counts records it cannot store instead of throwing', async () => {
    const blocker = join(workDir, 'file-not-dir');
    await import('node:fs/promises').then((fs) => fs.writeFile(blocker, 'x'));
    const agent = createAgent(join(blocker, 'data'), { collectorUrl: DEAD_COLLECTOR });

    assert.equal(
      track('g', () => 'still works', { agent }),
      'still works',
    );
    await assert.rejects(agent.ready(), { code: 'ERR_TPS_STORAGE' });
    assert.equal(await agent.flush(), 0);
    assert.equal(agent.getStats().droppedMetrics.storage, 1);
    await agent.close();
  });

  it('refuses a data dir another agent holds, naming it, and keeps the host working', async () => {
    const dataDir = join(workDir, 'shared');
    const first = createAgent(dataDir, { collectorUrl: DEAD_COLLECTOR });
    await first.ready();
    const warned = new Promise<Error>((resolve) => process.once('warning', resolve));
    const second = createAgent(dataDir, { collectorUrl: DEAD_COLLECTOR });

    await assert.rejects(second.ready(), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ERR_TPS_DATADIR_LOCKED');
      assert.ok(error.message.includes(dataDir), error.message);
      return true;
    });
    assert.match((await warned).message, /tps-agent/);
    assert.equal(
      track('g', () => 'host still runs', { agent: second }),
      'host still runs',
    );
    await second.flush();
    assert.equal(second.getStats().droppedMetrics.storage, 1);
    await second.close({ timeoutMs: 100 });
    await first.close({ timeoutMs: 100 });
  });

  it('counts calls as lost from the first flush when the log cannot open', async () => {
    const blocker = join(workDir, 'another-file');
    await writeFile(blocker, 'x');
    process.once('warning', () => undefined);
    const agent = createAgent(join(blocker, 'data'), {
      collectorUrl: DEAD_COLLECTOR,
      flushIntervalMs: 20,
    });
    for (let i = 0; i < 10; i++) track('g', () => i, { agent, endpoint: `e${i}` });

    await waitFor(() => agent.getStats().droppedMetrics.storage === 10);
    await agent.close({ timeoutMs: 100 });
  });

  it('refuses a logger or clock it could not use, naming it', () => {
    const logger = { info: () => undefined } as unknown as Logger;
    const clock = {} as unknown as Clock;

    assert.throws(() => createAgent(join(workDir, 'parts'), { logger }), {
      code: 'ERR_TPS_CONFIG',
      field: 'logger',
      message: /lacks trace, debug, warn, error, fatal, child/,
    });
    assert.throws(() => createAgent(join(workDir, 'parts'), { clock }), {
      code: 'ERR_TPS_CONFIG',
      field: 'clock',
    });
  });

  it('listens to beforeExit once, however many agents there are', async () => {
    const before = process.listenerCount('beforeExit');
    const agents = Array.from({ length: 12 }, (_, i) =>
      createAgent(join(workDir, `many-${i}`), { collectorUrl: DEAD_COLLECTOR }),
    );

    assert.ok(process.listenerCount('beforeExit') <= before + 1);
    await Promise.all(agents.map((agent) => agent.close({ timeoutMs: 100 })));
    assert.equal(process.listenerCount('beforeExit'), before === 0 ? 0 : before);
  });

  it('closes once: a second close returns the same promise', async () => {
    const agent = createAgent(join(workDir, 'twice'), { collectorUrl: DEAD_COLLECTOR });
    const first = agent.close({ timeoutMs: 100 });

    assert.equal(agent.close(), first);
    await first;
    assert.equal(agent.getStats().isClosed, true);
    assert.equal(agent.getStats().sender.state, 'stopped');
  });

  it('supports await using', async () => {
    let disposed: Agent | undefined;
    {
      await using agent = createAgent(join(workDir, 'using'), { collectorUrl: DEAD_COLLECTOR });
      disposed = agent;
      track('g', () => 1, { agent });
    }

    assert.equal(disposed.getStats().isClosed, true);
    assert.equal(disposed.getStats().localMetricsCount, 1);
  });

  it('stops measuring once closed but still runs the function', async () => {
    const agent = createAgent(join(workDir, 'closed'), { collectorUrl: DEAD_COLLECTOR });
    await agent.close({ timeoutMs: 100 });

    const add = measureTps({ gateway: 'g', agent })((a: number, b: number) => a + b);
    assert.equal(add(2, 3), 5);
    assert.equal(await agent.flush(), 0);
  });

  it('measures nothing when enableMetrics is false', async () => {
    const agent = createAgent(join(workDir, 'disabled'), {
      collectorUrl: DEAD_COLLECTOR,
      enableMetrics: false,
    });
    measureTps({ gateway: 'g', agent })(() => 1)();

    assert.equal(await agent.flush(), 0);
    await agent.close({ timeoutMs: 100 });
  });
});
