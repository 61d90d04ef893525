import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runWorker } from './child.js';
import { num, table } from './format.js';
import { summarizeProfile, type ProfileSummary } from './profile-summary.js';
import type { ProfileRequest } from './section.js';

export type { ProfileSummary } from './profile-summary.js';

/** Where profiles go: under `build/`, which git ignores, as it does `*.cpuprofile`. */
export const PROFILE_DIR = join(process.cwd(), 'build', 'bench', 'profiles');
const LONG_MS = 300_000;

/** Runs the worker of `request` again under a profiler and summarizes what it wrote. */
export async function takeProfile(request: ProfileRequest): Promise<ProfileSummary> {
  const prepared = await request.prepare?.();
  try {
    const config = prepared?.config ?? request.config;

    return await profileWorker({ ...request, config });
  } finally {
    await prepared?.cleanup();
  }
}

async function profileWorker(request: ProfileRequest): Promise<ProfileSummary> {
  const dir = join(PROFILE_DIR, request.name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  if (request.scope === 'scoped') {
    const path = join(dir, `${request.name}.${request.kind}profile`);
    const config = { ...(request.config as object), profile: { kind: request.kind, path } };
    const options = { execArgv: request.execArgv, timeoutMs: LONG_MS };
    await runWorker(request.script, config, options);

    return summarizeProfile(path, request.kind);
  }

  const flags = ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=200'];
  await runWorker(request.script, request.config, {
    execArgv: [...flags, ...(request.execArgv ?? [])],
    timeoutMs: LONG_MS,
  });
  const file = (await readdir(dir)).find((name) => name.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`no CPU profile written in ${dir}`);

  return summarizeProfile(join(dir, file), 'cpu');
}

/** The profile as Markdown: where it is, its top functions, and its shares by origin. */
export function profileMarkdown(summary: ProfileSummary): string {
  const what = summary.kind === 'cpu' ? 'self time' : 'bytes allocated (sampled)';
  const pct = (share: number): string => `${num(share * 100, 2)} %`;
  const origins = summary.byOrigin.map((entry) => `${entry.name} ${pct(entry.share)}`);
  const top = table(
    ['function', `share of ${what}`],
    summary.top.map((entry) => [`\`${entry.name}\``, pct(entry.share)]),
  );
  const path = summary.path.replace(process.cwd() + '/', '');
  // V8 counts a function it inlined as part of its caller: the harness loop's share holds
  // the wrapper inlined into it, and `end` the clock read inlined there.
  const idle =
    summary.kind === 'cpu'
      ? ` The main thread was idle in ${pct(summary.idleShare)} of the samples; ` +
        'the shares are of the rest. Self time of a function V8 inlined counts ' +
        'toward the function it was inlined into.'
      : ' An allocation counts toward the function V8 inlined it into.';

  return `Profile \`${path}\`.${idle} By origin: ${origins.join(', ')}.\n\n${top}`;
}
