import { figure, pairDifference, pairRatio, type Figure } from '../stats.js';
import { CASE_KINDS, type CaseKind } from './cases.js';

/** Nanoseconds per call of each kind, one value per run. */
export type KindRuns = Record<CaseKind, number[]>;

/** CPU and wall-clock nanoseconds per call of each kind in one group of cases. */
export interface GroupRuns {
  cpu: KindRuns;
  wall: KindRuns;
}

/** A group's runs before the first one. */
export function emptyRuns(): GroupRuns {
  const none = (): KindRuns => ({ bare: [], clock: [], ours: [], prom: [], otel: [] });

  return { cpu: none(), wall: none() };
}

/** What the report shows of one group. */
export interface GroupFigures {
  perCall: Record<CaseKind, Figure>;
  wall: Record<CaseKind, Figure>;
  /** Per call minus the bare call's, in the same round. */
  overhead: Record<CaseKind, Figure>;
  /** `measureTps` overhead ÷ the kind's overhead, per round, then summarized. */
  oursOver: Record<CaseKind, Figure>;
}

function perKind<T>(make: (kind: CaseKind) => T): Record<CaseKind, T> {
  const entries = CASE_KINDS.map((kind) => [kind, make(kind)]);

  return Object.fromEntries(entries) as Record<CaseKind, T>;
}

/** Summarizes a group's runs, with overheads and ratios taken per round. */
export function figuresOf({ cpu, wall }: GroupRuns): GroupFigures {
  const overhead = (kind: CaseKind): number[] => pairDifference(cpu[kind], cpu.bare);

  return {
    perCall: perKind((kind) => figure(cpu[kind])),
    wall: perKind((kind) => figure(wall[kind])),
    overhead: perKind((kind) => figure(overhead(kind))),
    oursOver: perKind((kind) => pairRatio(overhead('ours'), overhead(kind))),
  };
}
