import { join } from 'node:path';
import { runWorker, workerPath } from '../child.js';
import { closedUrl, startCollectorProcess } from '../e2e/collector.js';
import type { AgentJob } from '../e2e/agent-worker.js';
import { mib, num, table } from '../format.js';
import type { BenchMode } from '../mode.js';
import { progress, type Section } from '../section.js';
import { figure, type Figure } from '../stats.js';
import { withTempDir } from '../temp.js';
import type { MemoryConfig, MemoryResult } from './measure.js';

const WORKER = workerPath('./e2e/agent-worker.js');
const SERIES = 100;
const OUTAGE_RATE = 10_000;

type Scenario = MemoryConfig['scenario'];

function jobOf(mode: BenchMode, dataDir: string, url: string, scenario: Scenario): AgentJob {
  return {
    job: 'memory',
    dataDir,
    collectorUrl: url,
    series: SERIES,
    scenario,
    calls: mode.memoryCalls,
    ratePerSecond: OUTAGE_RATE,
    durationMs: mode.outageMs,
  };
}

/** One agent: with a collector for `calls`, with a closed port for `outage`. */
async function runOnce(mode: BenchMode, dir: string, scenario: Scenario, run: number) {
  const isOutage = scenario === 'outage';
  const collector = isOutage
    ? undefined
    : await startCollectorProcess(join(dir, `collector-${run}`));
  try {
    const url = collector?.url ?? (await closedUrl());
    const job = jobOf(mode, join(dir, `${scenario}-${run}`), url, scenario);
    const options = { execArgv: ['--expose-gc'], timeoutMs: 300_000 };

    return await runWorker<MemoryResult>(WORKER, job, options);
  } finally {
    await collector?.stop();
  }
}

async function runScenario(mode: BenchMode, dir: string, scenario: Scenario) {
  const runs = scenario === 'calls' ? mode.memoryRuns : mode.outageRuns;
  const what = scenario === 'calls' ? `${num(mode.memoryCalls)} calls` : 'collector outage';
  const results: MemoryResult[] = [];
  for (let run = 0; run < runs; run++) {
    progress(`memory: ${what}, run ${run + 1} of ${runs}`);
    results.push(await runOnce(mode, dir, scenario, run));
  }

  return results;
}

function mibSpread(value: Figure): string {
  if (value.runs.length === 1) return `${mib(value.median)} (1 run)`;

  return `${mib(value.median)} (${mib(value.min)}–${mib(value.max)})`;
}

function ofRuns(results: readonly MemoryResult[]) {
  return (pick: (result: MemoryResult) => number): Figure => figure(results.map(pick));
}

function readings(results: readonly MemoryResult[]): string[][] {
  const of = ofRuns(results);

  return [
    ['heap used before (after warm-up, GC)', mibSpread(of((r) => r.before.heapUsed))],
    ['heap used after (GC)', mibSpread(of((r) => r.after.heapUsed))],
    ['RSS before', mibSpread(of((r) => r.before.rss))],
    ['RSS after', mibSpread(of((r) => r.after.rss))],
    ['peak RSS', mibSpread(of((r) => r.peakRss))],
  ];
}

function outageRows(results: readonly MemoryResult[]): string[][] {
  const of = ofRuns(results);
  const highest = (result: MemoryResult, key: 'heapUsed' | 'rss'): number =>
    Math.max(...result.samples.map((sample) => sample[key]));
  // From the two readings after a forced GC: the readings in between hold garbage, and a slope
  // through them says more about when the last scavenge ran than about what is kept.
  const keptPerMinute = (result: MemoryResult): number =>
    ((result.after.heapUsed - result.before.heapUsed) / result.elapsedMs) * 60_000;

  return [
    ...readings(results),
    ['highest heap used (no forced GC)', mibSpread(of((r) => highest(r, 'heapUsed')))],
    ['highest RSS', mibSpread(of((r) => highest(r, 'rss')))],
    ['heap kept (after GC), growth per minute', mibSpread(of(keptPerMinute))],
    ['records pending at the end', num(of((r) => r.pending).median)],
    ['failed sends', num(of((r) => r.failedSends).median, 1)],
  ];
}

function body(mode: BenchMode, calls: MemoryResult[], outage: MemoryResult[]): string {
  const seconds = figure(calls.map((result) => result.elapsedMs / 1000)).median;

  return `A real agent in a fresh process (\`--expose-gc\`), ${SERIES} series.
**After ${num(mode.memoryCalls)} calls** made flat out (in ${num(seconds)} s),
with a collector up; readings after a forced GC.

${table(['reading', 'value'], readings(calls))}

**During a collector outage:** the agent's collector URL is a closed port, and it
is held at ${num(OUTAGE_RATE)} calls/s over ${SERIES} series for
${num(mode.outageMs / 1000)} s, read once a second. Records wait in the log on disk,
within \`maxLocalBytes\`, not in the heap. A window this short includes warm-up, so read the
growth per minute as an upper bound. The long outage is \`scripts/soak.ts\`'s job
(docs/crash-testing.md), which prints the heap every ten seconds through an outage of
minutes; it is not run here.

${table(['reading', 'value'], outageRows(outage))}`;
}

/** Section 5: the agent's memory after many calls, and during a collector outage. */
export async function memorySection(mode: BenchMode): Promise<Section> {
  return withTempDir('memory', async (dir) => {
    const calls = await runScenario(mode, dir, 'calls');
    const outage = await runScenario(mode, dir, 'outage');

    return { title: '5. Memory', body: body(mode, calls, outage), targets: [] };
  });
}
