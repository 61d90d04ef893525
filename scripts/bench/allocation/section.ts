import { runWorker, workerPath } from '../child.js';
import { num, spread, table } from '../format.js';
import type { CaseKind, CaseSpec } from '../hot-path/cases.js';
import type { BenchMode } from '../mode.js';
import {
  progress,
  statusOf,
  type ProfileRequest,
  type Section,
  type TargetCheck,
} from '../section.js';
import { figure, pairDifference } from '../stats.js';
import { allocationAdvice } from './advice.js';
import type { ClockCost } from './clocks.js';
import type { AllocationJob, AllocationResult } from './worker.js';

const WORKER = workerPath('./allocation/worker.js');
const GC = { execArgv: ['--expose-gc'] };

/** The cases whose allocation is counted, all sync; the peers are there for scale only. */
const CASES: readonly { kind: CaseKind; series: number; label: string }[] = [
  { kind: 'bare', series: 1, label: 'bare call' },
  { kind: 'clock', series: 1, label: 'two `performance.now()` reads, nothing else' },
  { kind: 'ours', series: 1, label: '`measureTps`, one series' },
  { kind: 'ours', series: 100, label: '`measureTps`, 100 series' },
  { kind: 'prom', series: 100, label: 'prom-client, 100 label sets' },
  { kind: 'otel', series: 100, label: 'OpenTelemetry SDK, 100 attribute sets' },
];
const CLOCK_CASE = 1;

// Anything a call allocates is at least one 16-byte object; what is left under a byte per
// call is a new bucket per series and second, spread over that second's calls.
const PER_CALL_BYTES = 1;

type Windows = number;

function configOf(mode: BenchMode, spec: CaseSpec, windows?: Windows): AllocationJob {
  // The peers allocate hundreds of bytes a call and run ten times slower; fewer calls suffice.
  const isPeer = spec.kind === 'prom' || spec.kind === 'otel';
  const calls = isPeer ? mode.allocCalls / 20 : mode.allocCalls;

  return { job: 'case', spec, calls, windows: windows ?? mode.allocWindows };
}

/** Per case, one value per run; and each run's clock costs. */
interface Measured {
  perCall: number[][];
  afterDrain: number[][];
  newBucket: number[][];
  clocks: ClockCost[][];
}

async function measureAll(mode: BenchMode): Promise<Measured> {
  const perCall: number[][] = CASES.map(() => []);
  const afterDrain: number[][] = CASES.map(() => []);
  const newBucket: number[][] = CASES.map(() => []);
  const clocks: ClockCost[][] = [];
  for (let run = 0; run < mode.allocRuns; run++) {
    progress(`allocation: round ${run + 1} of ${mode.allocRuns}`);
    for (const [c, { kind, series }] of CASES.entries()) {
      const config = configOf(mode, { kind, series, isAsync: false });
      const result = await runWorker<AllocationResult>(WORKER, config, GC);
      perCall[c]?.push(result.bytesPerCall);
      afterDrain[c]?.push(result.bytesPerCallAfterDrain);
      newBucket[c]?.push(result.bytesPerNewBucket);
    }
    const job: AllocationJob = { job: 'clocks', reads: mode.allocCalls };
    clocks.push(await runWorker<ClockCost[]>(WORKER, job, GC));
  }

  return { perCall, afterDrain, newBucket, clocks };
}

function casesTable(measured: Measured): string {
  const clockRuns = measured.perCall[CLOCK_CASE] as number[];
  const rows = CASES.map(({ kind, label }, c) => {
    const values = measured.perCall[c] as number[];
    const ours = (text: () => string): string => (kind === 'ours' ? text() : '—');
    const own = ours(() => spread(figure(pairDifference(values, clockRuns)), 'B'));
    const drained = ours(() => spread(figure(measured.afterDrain[c] as number[]), 'B'));
    const bucket = ours(() => spread(figure(measured.newBucket[c] as number[]), 'B'));

    return [label, spread(figure(values), 'B'), own, drained, bucket];
  });
  const header = ['case', 'per call', 'beyond the clock pair', 'per call, drain first'];

  return table([...header, 'a series’ first call after a drain'], rows);
}

function clocksTable(runs: ClockCost[][]): string {
  const names = runs[0]?.map((cost) => cost.clock) ?? [];
  const rows = names.map((name) => {
    const costs = runs.map((run) => run.find((cost) => cost.clock === name) as ClockCost);
    const bytes = figure(costs.map((cost) => cost.bytesPerRead));
    const cpu = figure(costs.map((cost) => cost.cpuNsPerRead));

    return [`\`${name}\``, spread(bytes, 'B'), spread(cpu, 'ns')];
  });

  return table(['clock read', 'allocated per read', 'CPU per read'], rows);
}

function profileOf(mode: BenchMode, series: number): ProfileRequest {
  return {
    name: `allocation-${series}`,
    script: WORKER,
    kind: 'heap',
    scope: 'scoped',
    execArgv: GC.execArgv,
    config: configOf(mode, { kind: 'ours', series, isAsync: false }, 1),
  };
}

function checkOf(mode: BenchMode, measured: Measured, series: number): TargetCheck {
  const c = CASES.findIndex((one) => one.kind === 'ours' && one.series === series);
  const values = measured.perCall[c] as number[];
  const total = figure(values);
  const own = figure(pairDifference(values, measured.perCall[CLOCK_CASE] as number[]));
  const newBucket = figure(measured.newBucket[c] as number[]);
  const afterDrain = figure(measured.afterDrain[c] as number[]);
  const scope = series === 1 ? 'one series' : `${series} series`;

  // Checked beyond the clock pair: on Node 20 every clock read allocates 16 B (table below), so
  // a timed call cannot allocate nothing, and the clock is the floor the hot-path target names.
  return {
    target: `recording allocates nothing per call on a known series, beyond its two clock reads (${scope})`,
    measured: `${spread(own, 'B/call')} beyond the clock pair; ${spread(total, 'B/call')} in all`,
    status: statusOf(own.median, own.median < PER_CALL_BYTES),
    profile: profileOf(mode, series),
    nextStep: allocationAdvice({ own, newBucket, afterDrain, total }),
  };
}

const METHOD = `Each case runs in a fresh process with \`--expose-gc\`: warm-up
(with drains, so the code after a drain is compiled too), then windows of calls
on known series, a full GC before each. A window's allocation is the growth of
\`v8.getHeapStatistics().used_heap_size\` plus what every GC inside it freed
(from \`v8.GCProfiler\`), so a scavenge during the window hides nothing. **Per
call** is the median window on series that already hold their bucket; **drain
first** the median window that begins with a drain, as the agent's flush does
every second, so that every series starts a new bucket (and its sketch grows)
inside it. The clock-pair loop and each clock alone are measured too, so that
the clock's allocation and ours are told apart. **Beyond the clock pair** is the
difference from the clock-pair loop of the same run: a tenth of a byte either way,
below zero included, is the noise of the method.`;

/** Allocation per call on the hot path, ours against the clock's and the peers'. */
export async function allocationSection(mode: BenchMode): Promise<Section> {
  const measured = await measureAll(mode);
  const calls = num(mode.allocCalls * mode.allocWindows);
  const body = [
    `${METHOD} ${calls} calls per case and run (peers: a twentieth).`,
    casesTable(measured),
    'What each clock read allocates on its own:',
    clocksTable(measured.clocks),
  ];
  const targets = [1, 100].map((series) => checkOf(mode, measured, series));

  return { title: '1b. Hot path: allocation per call', body: body.join('\n\n'), targets };
}
