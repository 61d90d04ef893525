/** How much work each section does: the full run (under ten minutes) or `--quick` (about one). */
export interface BenchMode {
  readonly name: 'full' | 'quick';
  /** Fresh child processes per hot-path case; figures are medians over them. */
  readonly runs: number;
  /** Target length of one timed chunk of calls inside a hot-path child, in milliseconds. */
  readonly chunkMs: number;
  /** Timed chunks per hot-path child; the child reports their median. */
  readonly chunks: number;
  /** Calls per allocation window, and windows per allocation child. */
  readonly allocCalls: number;
  readonly allocWindows: number;
  /** Child processes per allocation case. */
  readonly allocRuns: number;
  /** Fresh logs per append form, and batches of 1,000 records appended to each. */
  readonly walRuns: number;
  readonly walBatches: number;
  /** Pending records in the log whose open is timed, and how many times it is opened. */
  readonly startupRecords: number;
  readonly startupOpens: number;
  /** Rising-rate ladders, each in a fresh agent, and the call rates they climb. */
  readonly ladderRuns: number;
  readonly ladderRates: readonly number[];
  /** How long each rate of a ladder is held, in milliseconds. */
  readonly ladderStepMs: number;
  /** Backlogs produced and drained, and the outage each one stands for, in seconds. */
  readonly drainRuns: number;
  readonly backlogSeconds: number;
  /** Calls over 100 series before memory is read, and how many agents do it. */
  readonly memoryCalls: number;
  readonly memoryRuns: number;
  /** How long an agent runs under load with its collector down, in milliseconds. */
  readonly outageMs: number;
  readonly outageRuns: number;
}

const FULL: BenchMode = {
  name: 'full',
  runs: 7,
  chunkMs: 20,
  chunks: 5,
  allocCalls: 1_000_000,
  allocWindows: 6,
  allocRuns: 3,
  walRuns: 4,
  walBatches: 100,
  startupRecords: 1_000_000,
  startupOpens: 5,
  ladderRuns: 3,
  ladderRates: [10_000, 100_000, 1_000_000, 2_000_000, 4_000_000, 6_000_000, 8_000_000, 12_000_000],
  ladderStepMs: 2000,
  drainRuns: 3,
  backlogSeconds: 600,
  memoryCalls: 10_000_000,
  memoryRuns: 2,
  outageMs: 20_000,
  outageRuns: 2,
};

const QUICK: BenchMode = {
  name: 'quick',
  runs: 3,
  chunkMs: 15,
  chunks: 3,
  allocCalls: 500_000,
  allocWindows: 4,
  allocRuns: 1,
  walRuns: 3,
  walBatches: 20,
  startupRecords: 100_000,
  startupOpens: 3,
  ladderRuns: 1,
  ladderRates: [10_000, 100_000, 1_000_000, 4_000_000, 8_000_000, 12_000_000],
  // Two send rounds a step, as in full mode: a one-second step may hold none.
  ladderStepMs: 2000,
  drainRuns: 1,
  backlogSeconds: 60,
  memoryCalls: 1_000_000,
  memoryRuns: 1,
  outageMs: 5000,
  outageRuns: 1,
};

/** The mode named by the command line: `--quick` picks the short one. */
export function modeFromArgs(args: readonly string[]): BenchMode {
  return args.includes('--quick') ? QUICK : FULL;
}

/**
 * Batches of the log's forms that run before the clock starts, so that each is timed warm:
 * timed over 20 batches after three, appends of light records ran about a fifth slower than
 * over 500, while V8 was still compiling the encoder and the young heap had not settled.
 */
export const WAL_WARMUP_BATCHES = 50;
