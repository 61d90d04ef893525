import { allocatedBy } from './heap.js';

/** What one way of reading the time costs. */
export interface ClockCost {
  clock: string;
  bytesPerRead: number;
  cpuNsPerRead: number;
}

// Each read lands in a typed array: storing there boxes nothing, so any byte counted is the
// clock's own.
const sink = new Float64Array(1);

// Node 20 defines the global `performance` as a lazy accessor; a kept reference skips its getter.
const keptPerformance = performance;

const CLOCKS: Record<string, (reads: number) => number> = {
  'performance.now()': (reads) => {
    for (let i = 0; i < reads; i++) sink[0] = performance.now();
    return sink[0] as number;
  },
  'performance.now() on a kept reference': (reads) => {
    for (let i = 0; i < reads; i++) sink[0] = keptPerformance.now();
    return sink[0] as number;
  },
  'Date.now()': (reads) => {
    for (let i = 0; i < reads; i++) sink[0] = Date.now();
    return sink[0] as number;
  },
  'process.hrtime.bigint()': (reads) => {
    for (let i = 0; i < reads; i++) sink[0] = Number(process.hrtime.bigint() & 0xffffn);
    return sink[0] as number;
  },
  'process.hrtime()': (reads) => {
    for (let i = 0; i < reads; i++) sink[0] = process.hrtime()[1];
    return sink[0] as number;
  },
};

/**
 * Bytes and CPU time per read of each clock Node offers, after a warm-up. It tells whether any
 * of them could time a call without allocating.
 */
export function clockCosts(reads: number): ClockCost[] {
  return Object.entries(CLOCKS).map(([clock, read]) => {
    read(reads);
    const cpuStart = process.cpuUsage();
    const { bytes } = allocatedBy(() => read(reads));
    const cpu = process.cpuUsage(cpuStart);

    return {
      clock,
      bytesPerRead: bytes / reads,
      cpuNsPerRead: ((cpu.user + cpu.system) * 1000) / reads,
    };
  });
}
