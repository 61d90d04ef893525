import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { startWorker, workerPath, type RunningWorker } from '../child.js';
import { num } from '../format.js';
import type { CollectorConfig, CollectorReady } from './collector-worker.js';

/** A collector running in its own process. */
export interface CollectorProcess {
  readonly url: string;
  /** Where the collector logs its errors. */
  readonly errorLogPath: string;
  /** Closes it cleanly (SIGTERM) and waits for the process to end. */
  stop(): Promise<void>;
}

/** Starts a collector process on `dataDir` and a free port. */
export async function startCollectorProcess(dataDir: string): Promise<CollectorProcess> {
  const errorLogPath = `${dataDir}-errors.log`;
  const config: CollectorConfig = { dataDir, port: 0, errorLogPath };
  const worker: RunningWorker<CollectorReady> = startWorker(
    workerPath('./e2e/collector-worker.js'),
    config,
    { timeoutMs: 3_600_000 },
  );
  const { url } = await worker.nextMessage();

  return {
    url,
    errorLogPath,
    stop: async () => {
      worker.child.kill('SIGTERM');
      await worker.done;
    },
  };
}

/** A loopback URL where nothing listens: a port the system just handed out and took back. */
export async function closedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port was assigned');

  return `http://127.0.0.1:${address.port}`;
}

/** What the collector counted for a gateway, or why it could not be read. */
export interface CallCount {
  count: number;
  problem?: string;
}

async function queryCount(url: string, query: URLSearchParams): Promise<CallCount> {
  try {
    const answer = await fetch(`${url}/api/v1/tps?${query.toString()}`);
    const text = await answer.text();
    const count = (JSON.parse(text) as { total?: { count?: unknown } }).total?.count;
    if (typeof count === 'number') return { count };

    return { count: NaN, problem: `HTTP ${answer.status}: ${text.slice(0, 200)}` };
  } catch (error) {
    return { count: NaN, problem: String(error).slice(0, 200) };
  }
}

/**
 * The calls the collector counted for `gateway` between two epoch milliseconds. Asked up to
 * three times, half a second apart: a collector still busy with the last batches may answer
 * late or with an error, and one failed read must not pass for a lost count.
 */
export async function countedCalls(
  collector: CollectorProcess,
  gateway: string,
  fromMs: number,
  toMs: number,
): Promise<CallCount> {
  const query = new URLSearchParams({ gateway, from: String(fromMs), to: String(toMs) });
  let result = await queryCount(collector.url, query);
  for (let attempt = 1; attempt < 3 && result.problem !== undefined; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    result = await queryCount(collector.url, query);
  }
  if (result.problem === undefined) return result;

  return { ...result, problem: `${result.problem}; ${await firstError(collector.errorLogPath)}` };
}

/** The message and error of the first line the collector logged, for the report. */
async function firstError(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const line = text.split('\n').find((candidate) => candidate.trim() !== '');
  if (line === undefined) return 'the collector logged no error';

  let entry: { msg?: string; err?: { message?: string; stack?: string } };
  try {
    entry = JSON.parse(line) as typeof entry;
  } catch {
    return `collector log: ${line.slice(0, 300)}`;
  }
  const where = entry.err?.stack?.split('\n').slice(0, 3).join(' ') ?? entry.err?.message;

  return `collector log: ${entry.msg ?? ''}: ${where ?? 'no error attached'}`.slice(0, 400);
}

/** Whether every count was read and equals the calls made. */
export function isExact(counts: readonly { counted: CallCount; calls: number }[]): boolean {
  return counts.every(({ counted, calls }) => counted.count === calls);
}

/** A count for the report: `n of m`, or why it was not read. */
export function countText(counted: CallCount, calls: number): string {
  if (counted.problem !== undefined) {
    return `no count for ${num(calls)} calls made (${counted.problem.replace(/[|\n]/g, ' ')})`;
  }

  return `${num(counted.count)} of ${num(calls)}`;
}
