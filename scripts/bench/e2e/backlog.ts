import { join } from 'node:path';
import { runWorker, workerPath } from '../child.js';
import type { BenchMode } from '../mode.js';
import { closedUrl, countedCalls, startCollectorProcess, type CallCount } from './collector.js';
import type { AgentJob } from './agent-worker.js';
import type { DrainResult } from './drain.js';
import type { ProduceResult } from './produce.js';

const WORKER = workerPath('./e2e/agent-worker.js');
/** The load: 10,000 calls a second over 20 series. */
export const BACKLOG_RATE = 10_000;
export const BACKLOG_SERIES = 20;

/** One backlog: how it was produced, how it drained, what the collector counted. */
export interface DrainRun {
  produced: ProduceResult;
  drained: DrainResult;
  counted: CallCount;
}

/** Produces a backlog into `dataDir` with the collector down (a closed port). */
export async function produce(
  mode: BenchMode,
  dataDir: string,
  gateway: string,
): Promise<ProduceResult> {
  const job: AgentJob = {
    job: 'produce',
    dataDir,
    collectorUrl: await closedUrl(),
    seconds: mode.backlogSeconds,
    ratePerSecond: BACKLOG_RATE,
    series: BACKLOG_SERIES,
    flushIntervalMs: 1000,
    gateway,
  };

  return runWorker<ProduceResult>(WORKER, job, { timeoutMs: 300_000 });
}

/** What drains `dataDir` into the collector at `collectorUrl`. */
export function drainJob(dataDir: string, collectorUrl: string): AgentJob {
  return { job: 'drain', dataDir, collectorUrl, timeoutMs: 240_000 };
}

/** Produces a backlog with the collector down, then drains it into a fresh collector. */
export async function produceAndDrain(
  mode: BenchMode,
  dir: string,
  run: number,
): Promise<DrainRun> {
  const dataDir = join(dir, `agent-${run}`);
  const gateway = `backlog-${run}`;
  const produced = await produce(mode, dataDir, gateway);
  const collector = await startCollectorProcess(join(dir, `collector-${run}`));
  try {
    const job = drainJob(dataDir, collector.url);
    const drained = await runWorker<DrainResult>(WORKER, job, { timeoutMs: 300_000 });
    const fromMs = produced.wallStartMs - 1000;
    const toMs = produced.wallStartMs + (mode.backlogSeconds + 600) * 1000;
    const counted = await countedCalls(collector, gateway, fromMs, toMs);

    return { produced, drained, counted };
  } finally {
    await collector.stop();
  }
}
