import v8 from 'node:v8';

function freedByGcs(profile: v8.GCProfilerResult | undefined): number {
  let freed = 0;
  for (const gc of profile?.statistics ?? []) {
    freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
  }

  return freed;
}

/**
 * Bytes allocated while `run` ran: the growth of the used heap plus what every GC in between
 * freed (from `v8.GCProfiler`), so it is exact whether or not a scavenge ran meanwhile.
 */
export function allocatedBy(run: () => number): { bytes: number; gcs: number; sum: number } {
  const profiler = new v8.GCProfiler();
  profiler.start();
  const before = v8.getHeapStatistics().used_heap_size;
  const sum = run();
  const after = v8.getHeapStatistics().used_heap_size;
  const profile = profiler.stop();

  const bytes = after - before + freedByGcs(profile);

  return { bytes, gcs: profile?.statistics.length ?? 0, sum };
}
