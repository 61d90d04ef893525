import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { table } from './format.js';

const require = createRequire(import.meta.url);
const PEERS = ['prom-client', '@opentelemetry/sdk-metrics', '@opentelemetry/api', 'classic-level'];

function versionOf(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    // Packages whose `exports` hide package.json: read it from node_modules directly.
    const path = `${process.cwd()}/node_modules/${name}/package.json`;
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  }
}

function clockSource(): string {
  try {
    const path = '/sys/devices/system/clocksource/clocksource0/current_clocksource';
    return readFileSync(path, 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/** The commit measured, and how many files under `src/` differed from it. */
function revision(): string {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { encoding: 'utf8' });
    const commit = git('rev-parse', '--short', 'HEAD').trim();
    const changed = git('status', '--porcelain', 'src')
      .split('\n')
      .filter((line) => line.trim() !== '').length;
    if (changed === 0) return commit;

    return `${commit}, with ${changed} uncommitted change(s) under \`src/\``;
  } catch {
    return 'unknown';
  }
}

/** The facts about this machine and run that the figures depend on, as a Markdown table. */
export function machineMarkdown(mode: string, startedAt: Date, loadAtStart: number[]): string {
  const load = (values: number[]): string => values.map((v) => v.toFixed(2)).join(', ');
  const rows = [
    ['CPU', `${cpus()[0]?.model ?? 'unknown'}, ${availableParallelism()} cores`],
    ['memory', `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`],
    ['OS', `${platform()} ${release()}, clock source ${clockSource()}`],
    ['Node', `${process.version} (V8 ${process.versions.v8})`],
    ['peers', PEERS.map((name) => `${name} ${versionOf(name)}`).join(', ')],
    ['date', startedAt.toISOString()],
    ['mode', mode],
    ['code', revision()],
    [
      'load average (1, 5, 15 min)',
      `${load(loadAtStart)} at the start; ${load(loadavg())} at the end`,
    ],
  ];

  return table(['', ''], rows);
}
