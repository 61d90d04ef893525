import { createAgent } from '../../../src/agent.js';

/** Where the backlog is and where it goes. */
export interface DrainConfig {
  dataDir: string;
  collectorUrl: string;
  /** Give up after this long, in milliseconds. */
  timeoutMs: number;
}

/** How the drain went; times are from the agent's creation. */
export interface DrainResult {
  records: number;
  /** Until the log was empty. */
  drainMs: number;
  /** Until the first batch was acknowledged. */
  firstAckMs: number;
  sent: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Starts an agent on a data dir that holds a backlog, with its collector up, and times until
 * its log is empty. This is the agent that restarts once the outage is over; one that ran
 * through it first waits for its breaker's probe (15 s after it opened), not counted here.
 */
export async function drainBacklog(config: DrainConfig): Promise<DrainResult> {
  const startMs = performance.now();
  const agent = createAgent(config.dataDir, {
    collectorUrl: config.collectorUrl,
    serverId: 'bench',
    transmissionIntervalSeconds: 1,
  });
  await agent.ready();
  const records = agent.getStats().localMetricsCount;

  let firstAckMs = NaN;
  for (;;) {
    const stats = agent.getStats();
    const atMs = performance.now() - startMs;
    if (Number.isNaN(firstAckMs) && stats.totalMetricsSent > 0) firstAckMs = atMs;
    if (stats.localMetricsCount === 0) break;
    if (atMs > config.timeoutMs) throw new Error(`not drained in ${config.timeoutMs} ms`);
    await sleep(5);
  }
  const drainMs = performance.now() - startMs;
  const sent = agent.getStats().totalMetricsSent;
  await agent.close({ timeoutMs: 5000 });

  return { records, drainMs, firstAckMs, sent };
}
