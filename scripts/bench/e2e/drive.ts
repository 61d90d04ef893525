import type { Agent } from '../../../src/agent.js';
import { measureTps } from '../../../src/index.js';
import { work, type SyncCall } from '../hot-path/work.js';

/** One wrapper of the same cheap function per series of `gateway`, recording into `agent`. */
export function seriesCalls(agent: Agent, series: number, gateway = 'bench'): SyncCall[] {
  return Array.from({ length: series }, (_, s) =>
    measureTps({ gateway, endpoint: `e${s}`, agent })(work),
  );
}

/** A reading of the agent taken while driving it. */
export interface Sample {
  /** Milliseconds since the drive began. */
  atMs: number;
  pending: number;
  sent: number;
  heapUsed: number;
  rss: number;
}

/** What holding a rate achieved. */
export interface DriveResult {
  calls: number;
  elapsedMs: number;
  samples: Sample[];
  checksum: number;
}

function sample(agent: Agent, atMs: number): Sample {
  const stats = agent.getStats();
  const memory = process.memoryUsage();

  return {
    atMs,
    pending: stats.localMetricsCount,
    sent: stats.totalMetricsSent,
    heapUsed: memory.heapUsed,
    rss: memory.rss,
  };
}

/**
 * Calls round robin over `calls` at `ratePerSecond` for `durationMs`, on a timer so that the
 * agent's flush and sends run in between. A tick makes up for lost time by at most 20 ms of
 * calls, so a rate the process cannot reach shows as fewer calls, not as a blocked loop.
 */
export function holdRate(
  agent: Agent,
  calls: readonly SyncCall[],
  ratePerSecond: number,
  durationMs: number,
  sampleEveryMs: number,
): Promise<DriveResult> {
  const k = calls.length;
  const maxPerTick = Math.max(1, Math.round(ratePerSecond * 0.02));
  const startMs = performance.now();
  const samples: Sample[] = [sample(agent, 0)];
  let done = 0;
  let checksum = 0;

  return new Promise((resolve) => {
    const tick = (): void => {
      const elapsedMs = performance.now() - startMs;
      if (elapsedMs - (samples.at(-1)?.atMs ?? 0) >= sampleEveryMs) {
        samples.push(sample(agent, elapsedMs));
      }

      // The calls due by now (or by the end), so that the last tick still catches up.
      const dueBy = Math.floor((ratePerSecond * Math.min(elapsedMs, durationMs)) / 1000);
      const due = Math.min(dueBy - done, maxPerTick);
      for (let i = 0; i < due; i++) checksum += (calls[(done + i) % k] as SyncCall)(i);
      done += Math.max(0, due);
      if (elapsedMs >= durationMs) {
        // The calls were due within the window, however late this last tick came.
        resolve({ calls: done, elapsedMs: durationMs, samples, checksum });
        return;
      }

      // Behind: go on at once. Caught up: sleep, rather than spin a core the collector needs.
      if (due >= maxPerTick) setImmediate(tick);
      else setTimeout(tick, 1);
    };
    tick();
  });
}
