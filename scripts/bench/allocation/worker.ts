/**
 * Counts the bytes a sync case allocates per call, in a fresh process, or what each clock
 * allocates per read.
 */
import { buildSync, type BuiltCase, type CaseSpec } from '../hot-path/cases.js';
import type { SyncCall } from '../hot-path/work.js';
import { median } from '../stats.js';
import { readConfig, runMain } from '../worker-io.js';
import { withSampling, type SamplingRequest } from '../sampling.js';
import { clockCosts, type ClockCost } from './clocks.js';
import { allocatedBy } from './heap.js';

/** What the harness asks of this worker: a case's allocation, or each clock's. */
export type AllocationJob = ({ job: 'case' } & AllocationConfig) | { job: 'clocks'; reads: number };

/** The allocation of one case. */
export interface AllocationConfig {
  spec: CaseSpec;
  /** Calls per window, and windows. */
  calls: number;
  windows: number;
  /** When set, one more window runs under the profiler it names. */
  profile?: SamplingRequest;
}

/** What this worker reports. */
export interface AllocationResult {
  /** The median over windows on series that already have their bucket. */
  bytesPerCall: number;
  /** The median over windows that each begin with a drain, so every series starts a bucket. */
  bytesPerCallAfterDrain: number;
  windowBytesPerCall: number[];
  /**
   * Bytes the first call of each series after a drain allocates, per series: a new bucket and
   * its sketch. Made once per series and second, so spread over that second's calls.
   */
  bytesPerNewBucket: number;
  checksum: number;
}

type Loop = (n: number) => number;
type Built = BuiltCase<SyncCall>;

function loopOf(calls: SyncCall[]): Loop {
  const k = calls.length;

  return (n) => {
    let acc = 0;
    for (let i = 0; i < n; i++) acc += (calls[i % k] as SyncCall)(i);
    return acc;
  };
}

/** Bytes per series of one call on every series right after a drain. */
function newBucketBytes(loop: Loop, series: number, drain: () => void): number {
  drain();
  globalThis.gc?.();
  // What reading the heap costs by itself (a few KiB of statistics objects), taken off.
  const baseline = allocatedBy(() => 0).bytes;
  globalThis.gc?.();

  return (allocatedBy(() => loop(series)).bytes - baseline) / series;
}

/** Bytes per call in each of `windows` windows, with a drain before each or not. */
function windowsOf(built: Built, loop: Loop, calls: number, windows: number, drain: boolean) {
  const bytesPerCall: number[] = [];
  let sum = 0;
  for (let w = 0; w < windows; w++) {
    if (drain) built.betweenChunks();
    globalThis.gc?.();
    const window = allocatedBy(() => loop(calls));
    bytesPerCall.push(window.bytes / calls);
    sum += window.sum;
  }

  return { bytesPerCall, sum };
}

async function measureCase(config: AllocationConfig): Promise<AllocationResult> {
  const built = await buildSync(config.spec);
  const loop = loopOf(built.calls);
  // Warm-up with drains in between, so that the code after a drain is compiled too: a window
  // that still recompiles counts the new code and feedback as allocation.
  let checksum = 0;
  for (let w = 0; w < 3; w++) {
    built.betweenChunks();
    checksum += loop(300_000);
  }

  // Steady windows first: every series has its bucket, as on a known series mid-second.
  const steady = windowsOf(built, loop, config.calls, config.windows, false);
  const drained = windowsOf(built, loop, config.calls, config.windows, true);
  checksum += steady.sum + drained.sum;
  if (config.profile !== undefined) {
    checksum += await withSampling(config.profile, async () => loop(config.calls));
  }

  return {
    bytesPerCall: median(steady.bytesPerCall),
    bytesPerCallAfterDrain: median(drained.bytesPerCall),
    windowBytesPerCall: steady.bytesPerCall,
    bytesPerNewBucket: newBucketBytes(loop, config.spec.series, built.betweenChunks),
    checksum,
  };
}

function main(): Promise<AllocationResult | ClockCost[]> {
  const config = readConfig<AllocationJob>();

  if (config.job === 'clocks') return Promise.resolve(clockCosts(config.reads));

  return measureCase(config);
}

runMain(main);
