/**
 * The benchmark suite: `npm run bench` (full, under ten minutes) or `npm run bench -- --quick`
 * (about one). Runs every section in turn, each case in fresh child processes, profiles what
 * missed its target, and writes `docs/benchmarks.md`. See `docs/benchmarking.md`.
 *
 * Flags: `--quick`; `--only=hot-path,wal,...` to run some sections (a quick or partial run's
 * report goes to `build/bench/benchmarks.md` unless `--out` says otherwise); `--out=<path>`;
 * `--no-profile`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { allocationSection } from './allocation/section.js';
import { endToEndSection } from './e2e/section.js';
import { hotPathSection } from './hot-path/section.js';
import { machineMarkdown } from './machine.js';
import { memorySection } from './memory/section.js';
import { modeFromArgs, type BenchMode } from './mode.js';
import { takeProfile } from './profile.js';
import { allTargets, renderReport } from './report.js';
import type { ProfileOutcome, SectionOutcome } from './report.js';
import { progress, type Section, type TargetCheck } from './section.js';
import { throttleSection } from './throttle.js';
import { walSection } from './wal/section.js';

/** A section of the suite: the id `--only` takes, its title, and what runs it. */
interface SectionEntry {
  id: string;
  title: string;
  run: (mode: BenchMode) => Promise<Section>;
}

/** The sections in report order. */
const SECTIONS: readonly SectionEntry[] = [
  { id: 'hot-path', title: '1. Hot path', run: hotPathSection },
  { id: 'allocation', title: '1b. Allocation', run: allocationSection },
  { id: 'throttle', title: '2. Throttling', run: async () => throttleSection() },
  { id: 'wal', title: '3. The write-ahead log', run: walSection },
  { id: 'e2e', title: '4. End to end', run: endToEndSection },
  { id: 'memory', title: '5. Memory', run: memorySection },
];

function flag(args: readonly string[], name: string): string | undefined {
  return args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
}

async function runSection(mode: BenchMode, entry: SectionEntry): Promise<SectionOutcome> {
  const startMs = Date.now();
  try {
    const section = await entry.run(mode);
    progress(`${entry.id} took ${((Date.now() - startMs) / 1000).toFixed(0)} s`);

    return { title: section.title, section };
  } catch (error) {
    // One broken section must not cost the figures of the others; the report says it failed.
    console.error(error);
    const message = error instanceof Error ? error.message : String(error);

    return { title: entry.title, error: message };
  }
}

/** Profiles each missed target once; targets that share a profile share its summary. */
async function profileMisses(
  targets: readonly TargetCheck[],
): Promise<Map<TargetCheck, ProfileOutcome>> {
  const byName = new Map<string, ProfileOutcome>();
  const result = new Map<TargetCheck, ProfileOutcome>();
  for (const check of targets) {
    if (check.status !== 'missed' || check.profile === undefined) continue;
    const { name } = check.profile;
    if (!byName.has(name)) {
      progress(`profiling ${name} (missed: ${check.target})`);
      const taken = await takeProfile(check.profile).catch((error: unknown) => String(error));
      byName.set(name, taken);
    }
    result.set(check, byName.get(name) as ProfileOutcome);
  }

  return result;
}

/** The report as Prettier lays Markdown out (tables aligned), so it reads well as plain text. */
async function formatted(markdown: string, path: string): Promise<string> {
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(path)) ?? {};

  return prettier.format(markdown, { ...options, parser: 'markdown' });
}

// Only a full run of every section writes the committed report by default.
function outPath(args: readonly string[], isFullReport: boolean): string {
  const fallback = isFullReport ? 'docs/benchmarks.md' : 'build/bench/benchmarks.md';

  return resolve(flag(args, 'out') ?? fallback);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const mode = modeFromArgs(args);
  const only = flag(args, 'only')?.split(',');
  const out = outPath(args, only === undefined && mode.name === 'full');
  const startedAt = new Date();
  const loadAtStart = loadavg();
  progress(`${mode.name} run; the report goes to ${out}`);

  const outcomes: SectionOutcome[] = [];
  for (const entry of SECTIONS) {
    if (only !== undefined && !only.includes(entry.id)) continue;
    outcomes.push(await runSection(mode, entry));
  }
  const targets = allTargets(outcomes);
  const profiles = args.includes('--no-profile') ? new Map() : await profileMisses(targets);
  const durationMs = Date.now() - startedAt.getTime();
  const machine = machineMarkdown(mode.name, startedAt, loadAtStart);
  const modeName = mode.name;
  const report = renderReport({ modeName, machine, outcomes, profiles, durationMs });
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, await formatted(report, out));

  for (const check of targets) {
    progress(`${check.status.padEnd(12)} ${check.target}: ${check.measured}`);
  }
  progress(`done in ${(durationMs / 1000).toFixed(0)} s; wrote ${out}`);
  if (outcomes.some((outcome) => outcome.error !== undefined)) process.exitCode = 1;
}

await main();
