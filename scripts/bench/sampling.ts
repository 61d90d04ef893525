import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';

/**
 * Profilers a worker starts around its timed part only, so that start-up, imports and set-up
 * stay out of the profile. They are V8's own: the CPU profiler is the one `--cpu-prof` starts,
 * and the files open in Chrome DevTools.
 */

/** Which profile a worker takes: V8's CPU profile, or sampled allocations. */
export type SamplingKind = 'cpu' | 'heap';

/** Where a worker writes its profile, when the harness asks for one. */
export interface SamplingRequest {
  kind: SamplingKind;
  path: string;
}

async function start(session: Session, kind: SamplingKind): Promise<void> {
  if (kind === 'cpu') {
    // 100 µs rather than the default 1 ms: a timed phase of a second then gives 10,000 samples.
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    return;
  }
  // Not --heap-prof: that keeps only objects still alive at the end, and a per-call allocation
  // dies young, so it would never show. Collected objects are kept in these samples.
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
}

async function stop(session: Session, kind: SamplingKind): Promise<unknown> {
  if (kind === 'cpu') return (await session.post('Profiler.stop')).profile;

  return (await session.post('HeapProfiler.stopSampling')).profile;
}

/** Runs `body` under the profiler `request` names, or plainly when there is no request. */
export async function withSampling<T>(
  request: SamplingRequest | undefined,
  body: () => Promise<T>,
): Promise<T> {
  if (request === undefined) return body();

  const session = new Session();
  session.connect();
  await start(session, request.kind);
  const result = await body();
  await writeFile(request.path, JSON.stringify(await stop(session, request.kind)));
  session.disconnect();

  return result;
}
