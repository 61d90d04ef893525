/** A profile to take when a target is missed: the worker that shows the cost, run again. */
export interface ProfileRequest {
  /** File name stem of the profile, such as `hot-path-sync-100`. */
  name: string;
  /** The compiled worker, from `workerPath()`. */
  script: string;
  config: unknown;
  /** `cpu` for where time goes, `heap` for what allocates. */
  kind: 'cpu' | 'heap';
  /**
   * `scoped`: the worker profiles its timed part itself, given `profile` in its configuration;
   * `process`: the whole child runs under `--cpu-prof` (cpu only).
   */
  scope: 'scoped' | 'process';
  /** More Node flags the worker needs, such as `--expose-gc`. */
  execArgv?: string[];
  /**
   * Sets up what the worker needs (a backlog, a collector) and gives its configuration, in
   * place of {@link config}, with what undoes the setup.
   */
  prepare?: () => Promise<{ config: unknown; cleanup: () => Promise<void> }>;
}

/** The top of a profile, as a next step reads it. */
export interface ProfileTop {
  top: readonly { name: string; share: number }[];
  /** Shares by where the code lives, such as `garbage collector`. */
  byOrigin: readonly { name: string; share: number }[];
  /** For a CPU profile, the share of samples in which the main thread was idle. */
  idleShare: number;
}

/** Whether a target was met in this run. */
export type TargetStatus = 'met' | 'missed' | 'not measured';

/** One target of the issue, checked against this run's figures. */
export interface TargetCheck {
  /** The target in the words. */
  target: string;
  /** The figure it was checked on, with its spread. */
  measured: string;
  status: TargetStatus;
  /** Taken only when the target is missed. */
  profile?: ProfileRequest;
  /** What to do about a miss, given its profile when one was taken; in the closing note. */
  nextStep?: string | ((profile: ProfileTop | undefined) => string);
}

/** One section of the report. */
export interface Section {
  title: string;
  /** Markdown: how it was measured, the tables, and notes. */
  body: string;
  targets: TargetCheck[];
}

/** `met` when `isMet`, `missed` when not, `not measured` when the figure is not a number. */
export function statusOf(value: number, isMet: boolean): TargetStatus {
  if (!Number.isFinite(value)) return 'not measured';

  return isMet ? 'met' : 'missed';
}

/** Prints progress to the terminal; the report is written only at the end. */
export function progress(message: string): void {
  console.log(`[bench] ${message}`);
}
