import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  LEGACY_HEARTBEAT_INTERVAL_SECONDS,
  STALE_AFTER_INTERVALS,
} from '../../src/collector/index.js';
import type { AgentHeartbeat, AgentsAnswer, LegacyHeartbeat } from '../../src/protocol/types.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import {
  getJson,
  manualClock,
  postJson,
  startTestCollector,
  type TestCollector,
} from './harness.js';

const START = Date.UTC(2024, 5, 1, 12, 0, 0);

function heartbeat(overrides: Partial<AgentHeartbeat> = {}): AgentHeartbeat {
  return {
    agent_id: 'agent-1',
    server_id: 'srv-1',
    version: '0.1.0',
    pid: 123,
    hostname: 'host-1',
    uptime_seconds: 10,
    timestamp: '2024-06-01T12:00:00Z',
    heartbeat_interval_seconds: 10,
    pending: 4,
    oldest_pending_age_seconds: 1.5,
    total_stored: 100,
    total_sent: 96,
    dropped: { retention: 0 },
    last_transmission: null,
    sender_state: 'idle',
    ...overrides,
  };
}

const legacy: LegacyHeartbeat = {
  server_id: 'legacy-srv',
  timestamp: '2024-06-01T12:00:00',
  status: 'healthy',
  metrics_count: 12,
  local_queue_size: 7,
  last_transmission: '2024-06-01T11:59:50',
};

describe('heartbeats and GET /api/v1/agents', () => {
  const clock = manualClock(START);
  let test: TestCollector;

  async function post(body: unknown): Promise<void> {
    const answer = await postJson(`${test.collector.url}/api/v1/agent/heartbeat`, body);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { status: 'success' });
  }

  async function agents(): Promise<AgentsAnswer['agents']> {
    return (await getJson<AgentsAnswer>(`${test.collector.url}/api/v1/agents`)).body.agents;
  }

  before(async () => {
    test = await startTestCollector({ now: clock.now });
  });

  after(async () => {
    await test.cleanup();
  });

  it('lists no agents before any heartbeat', async () => {
    assert.deepEqual(await agents(), []);
  });

  it('lists both formats, the older one under its server_id', async () => {
    await post(heartbeat());
    await post(legacy);

    assert.deepEqual(await agents(), [
      {
        agent_id: 'agent-1',
        server_id: 'srv-1',
        status: 'healthy',
        last_heartbeat: new Date(START).toISOString(),
        pending: 4,
      },
      {
        agent_id: 'legacy-srv',
        server_id: 'legacy-srv',
        status: 'healthy',
        last_heartbeat: new Date(START).toISOString(),
        pending: 7,
      },
    ]);
  });

  it('marks an agent stale after three of its intervals without a heartbeat', async () => {
    clock.set(START + STALE_AFTER_INTERVALS * 10_000);
    assert.equal((await agents())[0]!.status, 'healthy');

    clock.advance(1);
    const [ours, older] = await agents();

    assert.equal(ours!.status, 'stale');
    assert.equal(older!.status, 'healthy');
  });

  it('assumes 30 s between heartbeats of the older format', async () => {
    clock.set(START + STALE_AFTER_INTERVALS * LEGACY_HEARTBEAT_INTERVAL_SECONDS * 1000 + 1);

    const older = (await agents()).find((a) => a.agent_id === 'legacy-srv');

    assert.equal(older!.status, 'stale');
  });

  it('keeps only the last heartbeat, which makes a stale agent healthy again', async () => {
    await post(heartbeat({ pending: 0 }));

    const ours = (await agents()).find((a) => a.agent_id === 'agent-1')!;

    assert.equal(ours.status, 'healthy');
    assert.equal(ours.pending, 0);
    assert.equal(ours.last_heartbeat, new Date(clock.now()).toISOString());
  });

  it('takes a heartbeat with only the fields the collector uses', async () => {
    await post({
      agent_id: 'minimal',
      server_id: 's',
      timestamp: 'now',
      heartbeat_interval_seconds: 0.5,
      pending: 0,
    });
    await post({ server_id: 'legacy-minimal', timestamp: 'now', status: 'ok' });

    const listed = await agents();

    assert.equal(listed.find((a) => a.agent_id === 'legacy-minimal')!.pending, 0);
    assert.ok(listed.some((a) => a.agent_id === 'minimal'));
  });
});

describe('heartbeats across restarts', () => {
  let dataDir: string;

  before(async () => {
    dataDir = await makeTempDir('tps-collector-agents-');
  });

  after(async () => {
    await removeDir(dataDir);
  });

  it('lists agents heard before the restart', async () => {
    const first = await startTestCollector({ dataDir, now: () => START });
    await postJson(`${first.collector.url}/api/v1/agent/heartbeat`, heartbeat());
    await first.collector.close();

    const second = await startTestCollector({ dataDir, now: () => START + 1000 });
    try {
      const answer = await getJson<AgentsAnswer>(`${second.collector.url}/api/v1/agents`);

      assert.deepEqual(
        answer.body.agents.map((a) => [a.agent_id, a.status]),
        [['agent-1', 'healthy']],
      );
    } finally {
      await second.collector.close();
    }
  });
});
