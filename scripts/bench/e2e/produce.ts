import { createAgent, type Agent } from '../../../src/agent.js';
import type { SyncCall } from '../hot-path/work.js';
import { latencySampler, seededRandom } from '../random.js';
import { seriesCalls } from './drive.js';
import { ScriptedClock } from './sim-clock.js';

/** What a backlog is made of. */
export interface ProduceConfig {
  dataDir: string;
  /** A URL where no collector listens: the outage. */
  collectorUrl: string;
  /** Seconds of outage the backlog stands for. */
  seconds: number;
  ratePerSecond: number;
  series: number;
  /** The agent's flush interval, in simulated milliseconds. */
  flushIntervalMs: number;
  /** A gateway of this backlog alone, so the collector's count of it can be checked. */
  gateway: string;
}

/** What was produced. */
export interface ProduceResult {
  calls: number;
  records: number;
  /** Epoch milliseconds of the first simulated second; the collector's counts are read from it. */
  wallStartMs: number;
  realMs: number;
}

/**
 * Makes the outage's calls in order of their end, each 1/rate after the previous one with a
 * service-like duration, flushing every flush interval of simulated time.
 */
async function scriptCalls(
  agent: Agent,
  clock: ScriptedClock,
  calls: readonly SyncCall[],
  config: ProduceConfig,
): Promise<number> {
  const latency = latencySampler(seededRandom(7), 12);
  const total = config.seconds * config.ratePerSecond;
  const gapMs = 1000 / config.ratePerSecond;
  let nextFlushMs = config.flushIntervalMs / 2;
  for (let i = 0; i < total; i++) {
    const endMs = (i + 1) * gapMs;
    clock.scriptCall(endMs - latency(), endMs);
    (calls[i % calls.length] as SyncCall)(i);
    if (endMs >= nextFlushMs) {
      await agent.flush();
      nextFlushMs += config.flushIntervalMs;
    }
  }
  await agent.flush();

  return total;
}

/**
 * Produces the backlog of an outage with a real agent and real wrappers, faster than real time:
 * a scripted clock stands in for the wall clock, each call is scripted to end 1/rate after the
 * previous one with a service-like duration, and the agent is flushed every flush interval of
 * simulated time, half an interval off the seconds as a real timer would be.
 */
export async function produceBacklog(config: ProduceConfig): Promise<ProduceResult> {
  // Whole seconds, ending two minutes ago: the records are in the past, within retention.
  const wallStartMs = Math.floor(Date.now() / 1000) * 1000 - (config.seconds + 120) * 1000;
  const clock = new ScriptedClock(wallStartMs);
  const agent = createAgent(config.dataDir, {
    collectorUrl: config.collectorUrl,
    serverId: 'bench',
    clock,
    // The flushes are driven by scriptCalls(); the agent's own timers must stay out of the way.
    flushIntervalMs: 60_000,
    transmissionIntervalSeconds: 3600,
  });
  await agent.ready();
  const calls = seriesCalls(agent, config.series, config.gateway);
  const realStart = performance.now();

  const total = await scriptCalls(agent, clock, calls, config);
  const realMs = performance.now() - realStart;
  const records = agent.getStats().totalMetricsStored;
  // Bounded: with the collector down the sender cannot ship anything, only fail.
  await agent.close({ timeoutMs: 1000 });

  return { calls: total, records, wallStartMs, realMs };
}
