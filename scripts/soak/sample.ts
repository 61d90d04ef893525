import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Agent } from '../../src/index.js';

/** One look at the agent's process and data dir. */
export interface Sample {
  heapUsedBytes: number;
  rssBytes: number;
  /** Bytes of every file under the agent's data dir. */
  diskBytes: number;
  pending: number;
  senderState: string;
}

/** The highest of each figure over the samples taken. */
export type Peaks = Pick<Sample, 'heapUsedBytes' | 'rssBytes' | 'diskBytes' | 'pending'>;

/** Bytes of every file under `dir`; files that vanish while it looks (compaction) count 0. */
export async function dirSize(dir: string): Promise<number> {
  let total = 0;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await dirSize(path);
    else
      total += await stat(path).then(
        (s) => s.size,
        () => 0,
      );
  }

  return total;
}

/** Samples the agent running in this process. */
export async function sample(agent: Agent, dataDir: string): Promise<Sample> {
  const memory = process.memoryUsage();
  const stats = agent.getStats();

  return {
    heapUsedBytes: memory.heapUsed,
    rssBytes: memory.rss,
    diskBytes: await dirSize(dataDir),
    pending: stats.localMetricsCount,
    senderState: stats.sender.state,
  };
}

/** Raises `peaks` to the figures of `now` where they are higher. */
export function raisePeaks(peaks: Peaks, now: Sample): void {
  peaks.heapUsedBytes = Math.max(peaks.heapUsedBytes, now.heapUsedBytes);
  peaks.rssBytes = Math.max(peaks.rssBytes, now.rssBytes);
  peaks.diskBytes = Math.max(peaks.diskBytes, now.diskBytes);
  peaks.pending = Math.max(peaks.pending, now.pending);
}

/** Mebibytes with one decimal. */
export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
