import { join } from 'node:path';
import { runWorker, workerPath } from '../child.js';
import { num, spread, table } from '../format.js';
import type { BenchMode } from '../mode.js';
import { progress } from '../section.js';
import { figure } from '../stats.js';
import {
  countedCalls,
  countText,
  isExact,
  type CallCount,
  type CollectorProcess,
} from './collector.js';
import type { LadderResult, LadderStep } from './ladder.js';
import { BOUNDED_PENDING } from './ladder-rules.js';

const WORKER = workerPath('./e2e/agent-worker.js');
const SERIES = 20;

/** A ladder's result and what the collector counted of its calls. */
interface LadderRun extends LadderResult {
  counted: CallCount;
}

async function runLadders(
  mode: BenchMode,
  collector: CollectorProcess,
  dir: string,
): Promise<LadderRun[]> {
  const runs: LadderRun[] = [];
  for (let run = 0; run < mode.ladderRuns; run++) {
    progress(`end to end: rising-rate ladder ${run + 1} of ${mode.ladderRuns}`);
    const gateway = `ladder-${run}`;
    const config = {
      job: 'ladder',
      dataDir: join(dir, `ladder-${run}`),
      collectorUrl: collector.url,
      rates: mode.ladderRates,
      stepMs: mode.ladderStepMs,
      series: SERIES,
      gateway,
    };
    const result = await runWorker<LadderResult>(WORKER, config, { timeoutMs: 300_000 });
    const fromMs = result.wallStartMs - 1000;
    const counted = await countedCalls(collector, gateway, fromMs, Date.now() + 1000);
    runs.push({ ...result, counted });
  }

  return runs;
}

function stepRow(rate: number, runs: readonly LadderRun[]): string[] {
  const steps = runs
    .map((run) => run.steps.find((step) => step.ratePerSecond === rate))
    .filter((step): step is LadderStep => step !== undefined);
  const values = (key: keyof LadderStep): number[] => steps.map((step) => Number(step[key]));

  return [
    num(rate),
    spread(figure(values('achievedPerSecond')), 'calls/s'),
    spread(figure(values('maxPendingLate'))),
    spread(figure(values('ackedPerSecond')), 'records/s'),
    `${steps.filter((step) => step.keptUp).length} of ${steps.length}`,
  ];
}

function highestKeptUp(run: LadderRun): number {
  let highest = 0;
  for (const step of run.steps) if (step.keptUp) highest = step.ratePerSecond;

  return highest;
}

/** Why the ladders stopped: calls fell short (CPU) or records piled up (delivery). */
function stopReason(mode: BenchMode, runs: readonly LadderRun[]): string {
  const failed = runs.flatMap((run) => run.steps.filter((step) => !step.keptUp));
  if (failed.length === 0) {
    return `Every ladder reached its top (${num(mode.ladderRates.at(-1) ?? NaN)} calls/s),
so the limit lies above what this harness drove.`;
  }
  const piledUp = failed.filter((step) => step.maxPendingLate > BOUNDED_PENDING).length;
  if (piledUp > 0) {
    return `In ${piledUp} of ${failed.length} stops records piled up in the log:
delivery fell behind.`;
  }
  const unsent = failed.filter((step) => !(step.ackedPerSecond > 0)).length;
  if (unsent > 0) {
    return `In ${unsent} of ${failed.length} stops the collector acknowledged nothing
during the step: delivery did not run.`;
  }

  return `Every stop was calls falling short of the rate while the log stayed small:
the process, which runs the load generator and the agent on one core, ran out of
CPU before delivery fell behind.`;
}

/** The ladder's part of section 4, as Markdown. */
export async function ladderMarkdown(
  mode: BenchMode,
  collector: CollectorProcess,
  dir: string,
): Promise<string> {
  const runs = await runLadders(mode, collector, dir);
  const rates = mode.ladderRates.filter((rate) =>
    runs.some((run) => run.steps.some((step) => step.ratePerSecond === rate)),
  );
  const highest = spread(figure(runs.map(highestKeptUp)), 'calls/s');
  const counts = runs.map((run) => countText(run.counted, run.calls)).join('; ');
  const verdict = isExact(runs)
    ? 'nothing was lost or counted twice'
    : '**the counts do not all match the calls made**';
  const header = ['rate (calls/s)', 'calls made', 'most pending, late half'];
  const rows = rates.map((rate) => stepRow(rate, runs));

  return `**Highest call rate kept up, delivery included: ${highest}.**
${stopReason(mode, runs)} The collector counted ${counts} calls made
(after the agent's close): ${verdict}.

${table([...header, 'records acknowledged', 'kept up'], rows)}`;
}
