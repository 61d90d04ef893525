import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { Meter, measureTps } from '../../src/meter/index.js';
import { FakeClock } from '../helpers/fake-clock.js';

// How this check stays honest and steady:
// - It runs in a child process with --expose-gc and a young generation large enough (64 MB) that
//   no scavenge runs inside a measured window, so the growth of heapUsed over a window is what
//   the window allocated.
// - The clock is the fake one: performance.now() itself allocates in Node 20 (it builds an
//   hrtime array), which is not the meter's doing; the benchmark covers the real clock.
// - Code is warmed up first, across drains, and each window repeats the same loop, so what is
//   measured is the optimized steady state. The smallest of several windows is kept: a
//   recompilation or a stray allocation by the runtime can only add bytes.
// - It does not prove that no caller ever sees an allocation: where V8 stops inlining in a large
//   caller, a double returned by the clock may still be boxed. The meter is written so that
//   no per-call double crosses a call as an argument (see Series.callStartMs), which is what
//   this check guards.
// - A per-call allocation costs at least 12 bytes (one boxed double); the bound of 2 bytes per
//   call leaves room for what a new second needs, amortized over thousands of calls.
// - Every window begins with a drain, as the agent's flush does each second, so every series
//   starts a bucket inside it. Drained buckets are reused, so over 100 series that costs nearly
//   nothing; a new bucket per series (about 5 kB with its sketch) would be 2.5 bytes a call.

const PROBE_ENV = 'TPS_METER_ALLOCATION_PROBE';
const CALLS_PER_WINDOW = 200_000;

/** Runs in the child: the bytes allocated per sync call over `seriesCount` series. */
function probe(seriesCount: number): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('the probe needs --expose-gc');
  const clock = new FakeClock();
  const agent = { meter: new Meter({ clock }) };
  // 0.1 µs per call: a window stays within one wall-clock second, as a busy series does.
  const adds = Array.from({ length: seriesCount }, (_, i) =>
    measureTps({ gateway: 'g', endpoint: `e${i}`, agent })((a: number, b: number) => {
      clock.advance(0.0001);
      return a + b;
    }),
  );
  const loop = (n: number): number => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const add = adds[i % seriesCount] as (a: number, b: number) => number;
      sum += add(i, 1);
    }
    return sum;
  };

  // Warm-up spans several drains, so that the code paths of a new bucket have been seen too.
  for (let i = 0; i < 2000; i++) {
    loop(1000);
    if (i % 100 === 0) agent.meter.drain();
  }
  let least = Infinity;
  for (let window = 0; window < 8; window++) {
    agent.meter.drain();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < CALLS_PER_WINDOW / 1000; i++) loop(1000);
    const after = process.memoryUsage().heapUsed;
    least = Math.min(least, (after - before) / CALLS_PER_WINDOW);
  }

  return least;
}

/** Runs {@link probe} in a child process with a young generation no window fills. */
async function bytesPerCall(seriesCount: number): Promise<number> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--expose-gc',
      '--min-semi-space-size=64',
      '--max-semi-space-size=64',
      fileURLToPath(import.meta.url),
    ],
    { env: { ...process.env, [PROBE_ENV]: String(seriesCount) } },
  );

  return Number(stdout);
}

const probeSeries = Number(process.env[PROBE_ENV]);
if (probeSeries > 0) {
  process.stdout.write(JSON.stringify(probe(probeSeries)));
} else {
  describe('allocation on the hot path', () => {
    it('allocates nothing per sync call on a known series', async () => {
      const bytes = await bytesPerCall(1);

      assert.ok(bytes < 2, `${bytes.toFixed(2)} bytes per call`);
    });

    it('allocates nothing per call over 100 series that each start a bucket after a drain', async () => {
      const bytes = await bytesPerCall(100);

      assert.ok(bytes < 0.5, `${bytes.toFixed(2)} bytes per call`);
    });
  });
}
