import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildHeartbeat, initialSenderStats } from '../../src/delivery/index.js';

describe('buildHeartbeat', () => {
  const facts = {
    agentId: 'agent-1',
    serverId: 'server-1',
    version: '1.2.3',
    heartbeatIntervalSeconds: 30,
    pending: 12,
    oldestPendingWallMs: 1_700_000_000_000,
    totalStored: 100,
    totalSent: 88,
    duplicatesAcknowledged: 3,
    dropped: { retention: 0, rejected: 10 },
    lastTransmission: null,
    senderState: 'paused',
  };

  it("carries the sender's state, so the collector can tell a paused agent", () => {
    const heartbeat = buildHeartbeat(facts, 1_700_000_065_400);

    assert.equal(heartbeat.sender_state, 'paused');
    assert.equal(heartbeat.oldest_pending_age_seconds, 65);
    assert.equal(heartbeat.timestamp, new Date(1_700_000_065_400).toISOString());
    assert.deepEqual(heartbeat.dropped, { retention: 0, rejected: 10 });
    assert.equal(heartbeat.duplicates_acknowledged, 3);
  });

  it('reports no age when nothing is pending', () => {
    const heartbeat = buildHeartbeat({ ...facts, oldestPendingWallMs: undefined }, 0);

    assert.equal(heartbeat.oldest_pending_age_seconds, null);
  });
});

describe('initialSenderStats', () => {
  it('is a sender that has sent nothing, idle unless told', () => {
    assert.deepEqual(initialSenderStats(), {
      state: 'idle',
      lastTransmission: null,
      failedSends: 0,
      lastError: null,
      duplicatesAcknowledged: 0,
      rejectedRecords: 0,
      pausedUntil: null,
      isAuthFailed: false,
      probes: 0,
    });
    assert.equal(initialSenderStats('stopped').state, 'stopped');
  });
});
