import { runWorker, workerPath } from '../child.js';
import { ratio, spread, table } from '../format.js';
import type { BenchMode } from '../mode.js';
import {
  progress,
  statusOf,
  type ProfileRequest,
  type Section,
  type TargetCheck,
} from '../section.js';
import type { Figure } from '../stats.js';
import { asyncAdvice, syncAdvice } from './advice.js';
import { CASE_KINDS, type CaseKind, type CaseSpec } from './cases.js';
import { emptyRuns, figuresOf, type GroupFigures, type GroupRuns } from './figures.js';
import type { HotPathConfig, HotPathResult } from './worker.js';

const WORKER = workerPath('./hot-path/worker.js');
const WARMUP_MS = 150;

/** The four groups of cases: sync and async calls, over one series and over 100. */
const GROUPS = [
  { isAsync: false, series: 1 },
  { isAsync: false, series: 100 },
  { isAsync: true, series: 1 },
  { isAsync: true, series: 100 },
] as const;

type Group = (typeof GROUPS)[number];

const LABELS: Record<CaseKind, string> = {
  bare: 'bare call',
  clock: 'two `performance.now()` reads (floor)',
  ours: '`measureTps`',
  prom: 'prom-client counter + histogram, labels',
  otel: 'OpenTelemetry SDK counter + histogram, attributes',
};

function groupName(group: Group): string {
  const series = group.series === 1 ? 'one series' : `${group.series} series`;

  return `${group.isAsync ? 'async' : 'sync'}, ${series}`;
}

function configOf(mode: BenchMode, spec: CaseSpec): HotPathConfig {
  return { spec, chunkMs: mode.chunkMs, chunks: mode.chunks, warmupMs: WARMUP_MS };
}

/**
 * Runs every case of every group once per round, kinds back to back, so that the runs a ratio
 * pairs were taken moments apart.
 */
async function measureAll(mode: BenchMode): Promise<GroupRuns[]> {
  const results = GROUPS.map(emptyRuns);
  for (let run = 0; run < mode.runs; run++) {
    progress(`hot path: round ${run + 1} of ${mode.runs}`);
    for (const [g, group] of GROUPS.entries()) {
      const runs = results[g] as GroupRuns;
      for (const kind of CASE_KINDS) {
        const config = configOf(mode, { kind, ...group });
        const result = await runWorker<HotPathResult>(WORKER, config);
        runs.cpu[kind].push(result.nsPerCall);
        runs.wall[kind].push(result.wallNsPerCall);
      }
    }
  }

  return results;
}

function groupTable(figures: GroupFigures): string {
  const rows = CASE_KINDS.map((kind) => [
    LABELS[kind],
    spread(figures.perCall[kind], 'ns'),
    kind === 'bare' ? '—' : spread(figures.overhead[kind], 'ns'),
    kind === 'bare' || kind === 'ours' ? '—' : ratio(figures.oursOver[kind]),
    spread(figures.wall[kind], 'ns'),
  ]);
  const over = '`measureTps` overhead ÷ this';

  return table(['case', 'CPU per call', 'overhead per call', over, 'wall per call'], rows);
}

/** Half a second to a second of timed calls: thousands of samples at the 100 µs interval. */
function profileOf(mode: BenchMode, group: Group): ProfileRequest {
  const chunks = mode.name === 'quick' ? 10 : 20;

  return {
    name: `hot-path-${group.isAsync ? 'async' : 'sync'}-${group.series}`,
    script: WORKER,
    kind: 'cpu',
    scope: 'scoped',
    config: { ...configOf(mode, { kind: 'ours', ...group }), chunkMs: 50, chunks },
  };
}

function checksOf(mode: BenchMode, group: Group, figures: GroupFigures): TargetCheck[] {
  const check = (target: string, value: Figure, limit: number): TargetCheck => ({
    target: `${target} (${groupName(group)})`,
    measured: ratio(value),
    status: statusOf(value.median, value.median <= limit),
    profile: profileOf(mode, group),
    nextStep: group.isAsync ? asyncAdvice(figures) : syncAdvice(figures),
  });
  const { clock, prom } = figures.oursOver;
  if (group.isAsync) return [check('async overhead ≤ 0.4 × prom-client’s', prom, 0.4)];

  return [
    check('sync overhead ≤ 1.3 × the clock-pair floor', clock, 1.3),
    check('sync overhead ≤ 0.3 × prom-client’s', prom, 0.3),
  ];
}

const METHOD = `Each case runs in its own fresh Node process (so no case inherits
another's JIT state), warms up, then times chunks of calls in **CPU time**
(\`process.cpuUsage()\`, beside \`process.hrtime.bigint()\`): on this shared
machine wall time also counts the slices other tenants hold the core for, and
swings one case 2–3× between chunks. A child reports its median chunk; each
figure below is the median over the runs with the spread (min–max) in brackets,
and the wall-clock medians are in the last column.

Every wrapper wraps the same cheap function (\`i & 0xff\`, or an \`async\` one);
loops add up every result so nothing is optimized away. Calls go round robin
over the series, one wrapper per series, and the meter is drained between chunks
as the agent's flush does. **Overhead** is the case's per-call time minus the
bare call's in the same round. The peers record the call as their users would,
with the same two clock reads: prom-client \`counter.inc(labels)\` and
\`histogram.observe(labels, seconds)\`, OpenTelemetry \`counter.add(1, attributes)\`
and \`histogram.record(ms, attributes)\` with a reader attached (without one the
SDK drops measurements). Ratios are taken per round, then medianed; a ratio
below 1 means \`measureTps\` costs less.`;

/** Section 1: the cost of recording a call, against the bare call, the clock floor and peers. */
export async function hotPathSection(mode: BenchMode): Promise<Section> {
  const runs = await measureAll(mode);
  const parts = [METHOD];
  const targets: TargetCheck[] = [];
  for (const [g, group] of GROUPS.entries()) {
    const figures = figuresOf(runs[g] as GroupRuns);
    parts.push(`### ${groupName(group)}\n\n${groupTable(figures)}`);
    targets.push(...checksOf(mode, group, figures));
  }

  return {
    title: '1. Hot path: the cost of recording a call',
    body: parts.join('\n\n'),
    targets,
  };
}
