import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { createAgent } from '../../../src/agent.js';
import type { SyncCall } from '../hot-path/work.js';
import { holdRate, seriesCalls, type Sample } from '../e2e/drive.js';

/** An agent under load whose memory is read. */
export interface MemoryConfig {
  dataDir: string;
  collectorUrl: string;
  series: number;
  /** `calls`: make `calls` calls flat out; `outage`: hold `ratePerSecond` for `durationMs`. */
  scenario: 'calls' | 'outage';
  calls: number;
  ratePerSecond: number;
  durationMs: number;
}

/** Heap and RSS, in bytes, after a full GC. */
export interface MemoryReading {
  heapUsed: number;
  rss: number;
}

/** What the agent held before and after. */
export interface MemoryResult {
  before: MemoryReading;
  after: MemoryReading;
  /** The process's peak RSS, in bytes. */
  peakRss: number;
  calls: number;
  elapsedMs: number;
  /** Readings taken during an outage, about once a second, without a forced GC. */
  samples: Sample[];
  pending: number;
  failedSends: number;
}

function settledReading(): MemoryReading {
  globalThis.gc?.();
  const { heapUsed, rss } = process.memoryUsage();

  return { heapUsed, rss };
}

/** Calls flat out in chunks, yielding between them so that flushes and sends run. */
async function callFlatOut(calls: readonly SyncCall[], total: number): Promise<number> {
  const k = calls.length;
  let checksum = 0;
  for (let done = 0; done < total;) {
    const end = Math.min(total, done + 100_000);
    for (; done < end; done++) checksum += (calls[done % k] as SyncCall)(done);
    await yieldToLoop();
  }

  return checksum;
}

/** Runs the scenario and reads memory before and after it. */
export async function measureMemory(config: MemoryConfig): Promise<MemoryResult> {
  const agent = createAgent(config.dataDir, {
    collectorUrl: config.collectorUrl,
    serverId: 'bench',
    transmissionIntervalSeconds: 1,
  });
  await agent.ready();
  const calls = seriesCalls(agent, config.series);
  await callFlatOut(calls, 20_000);
  await agent.flush();
  const before = settledReading();

  const startMs = performance.now();
  let samples: Sample[] = [];
  let made = config.calls;
  if (config.scenario === 'calls') await callFlatOut(calls, config.calls);
  else {
    const drive = await holdRate(agent, calls, config.ratePerSecond, config.durationMs, 1000);
    samples = drive.samples;
    made = drive.calls;
  }
  const elapsedMs = performance.now() - startMs;
  await agent.flush();
  const after = settledReading();
  const stats = agent.getStats();
  await agent.close({ timeoutMs: 1000 });

  return {
    before,
    after,
    peakRss: process.resourceUsage().maxRSS * 1024,
    calls: made,
    elapsedMs,
    samples,
    pending: stats.localMetricsCount,
    failedSends: stats.sender.failedSends,
  };
}
