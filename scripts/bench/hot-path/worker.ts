/**
 * Times one hot-path case in a fresh process: warms it up, sizes chunks to the mode's chunk
 * length, times them, and reports the median nanoseconds per call.
 */
import { median } from '../stats.js';
import { withSampling, type SamplingRequest } from '../sampling.js';
import { readConfig, runMain } from '../worker-io.js';
import { buildAsync, buildSync, type BuiltCase, type CaseSpec } from './cases.js';
import type { AsyncCall, SyncCall } from './work.js';

/** What the harness asks of this worker. */
export interface HotPathConfig {
  spec: CaseSpec;
  chunkMs: number;
  chunks: number;
  /** Milliseconds of calls before timing, so that V8 has optimized the loop and the wrapper. */
  warmupMs: number;
  /** When set, the timed chunks run under the profiler it names. */
  profile?: SamplingRequest;
}

/** What this worker reports. */
export interface HotPathResult {
  /** CPU nanoseconds per call: the median over the timed chunks. */
  nsPerCall: number;
  /** Wall-clock nanoseconds per call: the median over the same chunks. */
  wallNsPerCall: number;
  chunkNs: number[];
  callsPerChunk: number;
  /** The sum of every call's result, so that no call can be optimized away. */
  checksum: number;
}

type Loop = (n: number) => Promise<number>;

function syncLoop(built: BuiltCase<SyncCall>): Loop {
  const { calls } = built;
  const k = calls.length;
  const loop = (n: number): number => {
    let acc = 0;
    for (let i = 0; i < n; i++) acc += (calls[i % k] as SyncCall)(i);
    return acc;
  };
  // Wrapped in a promise only outside the timed loop, so the sync cases stay sync.
  return (n) => Promise.resolve(loop(n));
}

function asyncLoop(built: BuiltCase<AsyncCall>): Loop {
  const { calls } = built;
  const k = calls.length;

  const loop = async (n: number): Promise<number> => {
    let acc = 0;
    for (let i = 0; i < n; i++) acc += await (calls[i % k] as AsyncCall)(i);
    return acc;
  };

  return loop;
}

/**
 * Runs `n` calls and reads both clocks around them. The figure is CPU time: on a machine other
 * tenants share, wall time also counts the slices they take the core for, which swings the
 * same case by 2–3× between chunks, while CPU time stays within a few percent.
 */
async function timed(loop: Loop, n: number): Promise<{ ns: number; wallNs: number; sum: number }> {
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  const sum = await loop(n);
  const wallNs = Number(process.hrtime.bigint() - start);
  const cpu = process.cpuUsage(cpuStart);

  return { ns: (cpu.user + cpu.system) * 1000, wallNs, sum };
}

/**
 * Runs ever larger batches until `warmupMs` of wall time passed; returns the last batch's CPU
 * nanoseconds per call, which sizes the timed chunks.
 */
async function warmUp(loop: Loop, warmupMs: number): Promise<{ nsPerCall: number; sum: number }> {
  let n = 1000;
  let spentNs = 0;
  let sum = 0;
  for (;;) {
    const run = await timed(loop, n);
    spentNs += run.wallNs;
    sum += run.sum;
    if (spentNs >= warmupMs * 1e6) return { nsPerCall: run.ns / n, sum };
    n *= 2;
  }
}

async function main(): Promise<HotPathResult> {
  const config = readConfig<HotPathConfig>();
  const { spec } = config;
  const built = spec.isAsync ? await buildAsync(spec) : await buildSync(spec);
  const loop = config.spec.isAsync
    ? asyncLoop(built as BuiltCase<AsyncCall>)
    : syncLoop(built as BuiltCase<SyncCall>);

  const warm = await warmUp(loop, config.warmupMs);
  const sized = Math.round((config.chunkMs * 1e6) / warm.nsPerCall);
  const callsPerChunk = Number.isFinite(sized) ? Math.min(Math.max(1000, sized), 5e7) : 1e6;
  const chunkNs: number[] = [];
  const chunkWallNs: number[] = [];
  let checksum = warm.sum;
  await withSampling(config.profile, async () => {
    for (let c = 0; c < config.chunks; c++) {
      // Not when profiling: the drain is not timed, so it stays out of the profile too.
      if (config.profile === undefined) built.betweenChunks();
      const run = await timed(loop, callsPerChunk);
      chunkNs.push(run.ns / callsPerChunk);
      chunkWallNs.push(run.wallNs / callsPerChunk);
      checksum += run.sum;
    }
  });
  const wallNsPerCall = median(chunkWallNs);

  return { nsPerCall: median(chunkNs), wallNsPerCall, chunkNs, callsPerChunk, checksum };
}

runMain(main);
