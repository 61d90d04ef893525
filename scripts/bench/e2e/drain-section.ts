import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workerPath } from '../child.js';
import { num, ratio, spread, table } from '../format.js';
import type { BenchMode } from '../mode.js';
import { progress, statusOf, type ProfileRequest, type TargetCheck } from '../section.js';
import { figure, type Figure } from '../stats.js';
import {
  BACKLOG_RATE,
  BACKLOG_SERIES,
  drainJob,
  produce,
  produceAndDrain,
  type DrainRun,
} from './backlog.js';
import { countText, startCollectorProcess } from './collector.js';

const TARGET_RATIO = 20;

/** Profiles the draining agent (`--cpu-prof`, whole process) on a fresh backlog. */
function drainProfile(mode: BenchMode): ProfileRequest {
  return {
    name: 'drain',
    script: workerPath('./e2e/agent-worker.js'),
    kind: 'cpu',
    scope: 'process',
    config: undefined,
    prepare: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'tps-bench-drain-profile-'));
      await produce(mode, join(dir, 'agent'), 'profile');
      const collector = await startCollectorProcess(join(dir, 'collector'));
      const cleanup = async (): Promise<void> => {
        await collector.stop();
        await rm(dir, { recursive: true, force: true });
      };

      return { config: drainJob(join(dir, 'agent'), collector.url), cleanup };
    },
  };
}

function drainTable(mode: BenchMode, runs: readonly DrainRun[], speedup: Figure): string {
  const of = (pick: (run: DrainRun) => number, unit = ''): string =>
    spread(figure(runs.map(pick)), unit);
  const counted = runs.map((run) => countText(run.counted, run.produced.calls));
  const rows = [
    ['records in the backlog', of((run) => run.produced.records)],
    ['produced at', of((run) => run.produced.records / mode.backlogSeconds, 'records/s')],
    ['time to produce it here (scripted clock)', of((run) => run.produced.realMs / 1000, 's')],
    ['first batch acknowledged after', of((run) => run.drained.firstAckMs, 'ms')],
    ['log empty after', of((run) => run.drained.drainMs / 1000, 's')],
    [
      'drained at (records acknowledged)',
      of((run) => (run.drained.records / run.drained.drainMs) * 1000, 'records/s'),
    ],
    ['drain speed ÷ production speed', ratio(speedup)],
    ['calls counted by the collector', counted.join('; ')],
  ];

  return table(['backlog', 'figure'], rows);
}

function method(mode: BenchMode): string {
  return `A backlog of ${mode.backlogSeconds} s of outage at ${num(BACKLOG_RATE)}
calls/s over ${BACKLOG_SERIES} series is produced by a real agent whose collector
URL points at a closed port, through real \`measureTps\` wrappers, faster than
real time: a scripted clock makes each call end 0.1 ms after the previous one
with a service-like duration, and the agent is flushed every simulated second,
half a second off the wall-clock seconds as its timer would be. Then a collector
starts, and a new agent on the same data dir (the agent restarting after the
outage) drains it with the default batch size (100); times run from its
creation. An agent that ran through the outage would first wait for its
breaker's probe (15 s after it opened); that wait is not in these figures.`;
}

/** The drain's part of section 4: Markdown and the target check. */
export async function drainPart(
  mode: BenchMode,
  dir: string,
): Promise<{ markdown: string; target: TargetCheck }> {
  const runs: DrainRun[] = [];
  for (let run = 0; run < mode.drainRuns; run++) {
    progress(`end to end: backlog ${run + 1} of ${mode.drainRuns}`);
    runs.push(await produceAndDrain(mode, dir, run));
  }
  // Production speed is records per second of outage; drain speed records per second drained,
  // so their ratio is the outage's length over the drain's.
  const outageMs = mode.backlogSeconds * 1000;
  const speedup = figure(runs.map((run) => outageMs / run.drained.drainMs));
  const target: TargetCheck = {
    target:
      `a backlog drains ≥ ${TARGET_RATIO}× faster than it was produced ` +
      '(10,000 calls/s over 20 series)',
    measured: ratio(speedup),
    status: statusOf(speedup.median, speedup.median >= TARGET_RATIO),
    profile: drainProfile(mode),
    nextStep:
      'Drains run one batch of 100 records at a time, each waiting for the ' +
      'collector’s synced write and the log’s synced delete; larger batches or ' +
      'several in flight are the lever.',
  };

  return { markdown: `${method(mode)}\n\n${drainTable(mode, runs, speedup)}`, target };
}
