import { num, table } from './format.js';
import { profileMarkdown, type ProfileSummary } from './profile.js';
import type { Section, TargetCheck } from './section.js';

/** A section as it ran: its result, or why it failed. */
export interface SectionOutcome {
  title: string;
  section?: Section;
  error?: string;
}

/** The profile of a missed target, or why it could not be taken. */
export type ProfileOutcome = ProfileSummary | string;

/** Everything the report is made of. */
export interface ReportInput {
  modeName: string;
  machine: string;
  outcomes: SectionOutcome[];
  profiles: Map<TargetCheck, ProfileOutcome>;
  durationMs: number;
}

const STATUS = { met: 'met', missed: '**missed**', 'not measured': 'not measured' };

const pct = (share: number): string => `${num(share * 100, 2)} %`;

/** Every target check, in report order. */
export function allTargets(outcomes: readonly SectionOutcome[]): TargetCheck[] {
  return outcomes.flatMap((outcome) => outcome.section?.targets ?? []);
}

function targetsTable(targets: readonly TargetCheck[]): string {
  const rows = targets.map((check) => [check.target, check.measured, STATUS[check.status]]);

  return table(['target', 'measured (median, spread)', 'result'], rows);
}

function sectionMarkdown(outcome: SectionOutcome): string {
  const failed = `**This section failed to run:** ${outcome.error ?? 'unknown error'}`;

  return `## ${outcome.title}\n\n${outcome.section?.body ?? failed}`;
}

/** What a profile's shares say, in a sentence or two. */
function readingOf(summary: ProfileSummary): string {
  const what = summary.kind === 'cpu' ? 'self time' : 'sampled allocation';
  const origins = summary.byOrigin.slice(0, 3).map((e) => `${e.name} (${pct(e.share)})`);
  const ours = summary.top.find((entry) => entry.name.includes('src/'));
  const share = ours === undefined ? '' : pct(ours.share);
  const oursText =
    ours === undefined ? '' : `; our own top function is \`${ours.name}\` (${share})`;
  const waits = summary.kind === 'cpu' && summary.idleShare >= 0.2;
  const lead = waits
    ? `The main thread waits (idle) in ${pct(summary.idleShare)} of the samples. ` +
      'Of the rest, m'
    : 'M';

  return `${lead}ost ${what} goes to ${origins.join(', then ')}${oursText}.`;
}

function nextStepOf(check: TargetCheck, profile: ProfileOutcome | undefined): string {
  const step = check.nextStep;
  if (step === undefined) return 'no next step recorded.';

  return typeof step === 'function'
    ? step(typeof profile === 'object' ? profile : undefined)
    : step;
}

function missedMarkdown(check: TargetCheck, profile: ProfileOutcome | undefined): string {
  const parts = [`### ${check.target}`, `Measured: ${check.measured}.`];
  if (typeof profile === 'string') parts.push(`The profile could not be taken: ${profile}`);
  if (typeof profile === 'object') {
    parts.push(`What the profile shows: ${readingOf(profile)}`, profileMarkdown(profile));
  }
  parts.push(`Why, and what next: ${nextStepOf(check, profile)}`);

  return parts.join('\n\n');
}

function closingNote(input: ReportInput, targets: readonly TargetCheck[]): string {
  const missed = targets.filter((check) => check.status === 'missed');
  const met = targets.filter((check) => check.status === 'met').length;
  const minutes = `The suite ran for ${num(input.durationMs / 60_000, 2)} minutes.`;
  if (missed.length === 0) return `All ${met} targets checked were met. ${minutes}`;

  const steps = missed.map(
    (check) => `- **${check.target}**: ${nextStepOf(check, input.profiles.get(check))}`,
  );
  const count = `${met} of ${targets.length} targets met, ${missed.length} missed.`;

  return [`${count} Next steps:`, steps.join('\n'), minutes].join('\n\n');
}

function header(modeName: string): string {
  const command = `npm run bench${modeName === 'quick' ? ' -- --quick' : ''}`;

  const runs = modeName === 'quick' ? 'the runs (in quick mode often one, marked' : 'several runs';
  const marked = modeName === 'quick' ? ' “(1 run)”)' : '';

  return `Written by \`${command}\` (or a part of it, with \`--only\`); do not edit by hand. How
to run and read it: \`docs/benchmarking.md\`. Figures are medians over
${runs}${marked} with the spread (min–max) in brackets; this machine is shared, so
compare the ratios, which are taken within one run.`;
}

/** The whole of `docs/benchmarks.md`. */
export function renderReport(input: ReportInput): string {
  const targets = allTargets(input.outcomes);
  const missed = targets.filter((check) => check.status === 'missed');
  const missedParts = missed.map((check) => missedMarkdown(check, input.profiles.get(check)));
  const parts = [
    '# Benchmarks',
    header(input.modeName),
    `## Machine\n\n${input.machine}`,
    `## Targets\n\n${targetsTable(targets)}`,
    ...input.outcomes.map(sectionMarkdown),
  ];
  if (missed.length > 0) {
    parts.push(`## Missed targets and their profiles\n\n${missedParts.join('\n\n')}`);
  }
  parts.push(`## Closing note\n\n${closingNote(input, targets)}`);

  return `${parts.join('\n\n')}\n`;
}
