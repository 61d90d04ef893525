import { createAgent } from '../../../src/agent.js';
import { holdRate, seriesCalls, type DriveResult, type Sample } from './drive.js';
import { isKeptUp } from './ladder-rules.js';

/** A rising-rate ladder against a running collector. */
export interface LadderConfig {
  dataDir: string;
  collectorUrl: string;
  rates: number[];
  stepMs: number;
  series: number;
  /** A gateway of this ladder alone, so the collector's count of it can be checked. */
  gateway: string;
}

/** One rate of the ladder. */
export interface LadderStep {
  ratePerSecond: number;
  achievedPerSecond: number;
  /** The most records pending in the log during the second half of the step. */
  maxPendingLate: number;
  /** Records the collector acknowledged per second during the step. */
  ackedPerSecond: number;
  keptUp: boolean;
}

/** The ladder's steps, and the calls made in all, for checking the collector's count. */
export interface LadderResult {
  steps: LadderStep[];
  calls: number;
  /** Epoch milliseconds when calls began. */
  wallStartMs: number;
  pendingAfterClose: number;
}

function stepOf(rate: number, drive: DriveResult): LadderStep {
  const { calls, elapsedMs, samples } = drive;
  const late = samples.filter((sample) => sample.atMs >= elapsedMs / 2);
  const maxPendingLate = Math.max(...late.map((sample) => sample.pending));
  const first = samples[0] as Sample;
  const last = samples.at(-1) as Sample;
  const achievedPerSecond = (calls / elapsedMs) * 1000;
  const ackedPerSecond = ((last.sent - first.sent) / (last.atMs - first.atMs)) * 1000;

  return {
    ratePerSecond: rate,
    achievedPerSecond,
    maxPendingLate,
    ackedPerSecond,
    keptUp: isKeptUp(rate, achievedPerSecond, maxPendingLate, ackedPerSecond),
  };
}

/**
 * Holds each rate in turn and stops after the first the agent cannot keep up with: the calls
 * fall short of the rate, or records pile up in the log.
 */
export async function runLadder(config: LadderConfig): Promise<LadderResult> {
  const agent = createAgent(config.dataDir, {
    collectorUrl: config.collectorUrl,
    serverId: 'bench',
    transmissionIntervalSeconds: 1,
  });
  await agent.ready();
  const calls = seriesCalls(agent, config.series, config.gateway);
  const wallStartMs = Date.now();

  const steps: LadderStep[] = [];
  let total = 0;
  for (const rate of config.rates) {
    const drive = await holdRate(agent, calls, rate, config.stepMs, 100);
    total += drive.calls;
    steps.push(stepOf(rate, drive));
    if (!steps.at(-1)?.keptUp) break;
  }
  await agent.close({ timeoutMs: 15_000 });

  return {
    steps,
    calls: total,
    wallStartMs,
    pendingAfterClose: agent.getStats().localMetricsCount,
  };
}
