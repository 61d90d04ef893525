import { num } from '../format.js';
import type { ProfileTop } from '../section.js';
import type { GroupFigures } from './figures.js';

/** Writes the next step of a missed hot-path target, from the figures and the profile. */
export type Advice = (profile: ProfileTop | undefined) => string;

/** The profile's top functions outside the clock and the harness: what is left to cut. */
function cuttable(profile: ProfileTop | undefined): string {
  const entries = (profile?.top ?? []).filter(
    (entry) => !/^now\b|scripts\/bench| node:|^\(/.test(entry.name),
  );
  if (entries.length === 0) return 'not in the profile';

  return entries
    .slice(0, 4)
    .map((entry) => `\`${entry.name}\` ${num(entry.share * 100, 2)} %`)
    .join(', ');
}

/**
 * A note when the profile shows the lazy getter behind the global `performance` (Node 20
 * defines it as an accessor): every `performance.now()` through the global runs it, and a
 * clock that kept a reference to `performance` would not.
 */
function getterNote(profile: ProfileTop | undefined): string {
  const getter = profile?.top.find((entry) => entry.name.startsWith('get node:internal/util'));
  if (getter === undefined) return '';

  return (
    ` The global \`performance\` is a lazy accessor in Node 20, and its getter takes ` +
    `${num(getter.share * 100, 2)} % on its own: a clock holding a reference to ` +
    '`performance` skips it (see the clock table in 1b), below the floor as measured here.'
  );
}

/** For a sync target: how much of the overhead is the clock, and what is left to cut. */
export function syncAdvice(figures: GroupFigures): Advice {
  const ours = figures.overhead.ours.median;
  const clock = figures.overhead.clock.median;

  return (profile) =>
    `\`measureTps\` adds ${num(ours)} ns a call: the two clock reads are ` +
    `${num(clock)} ns of it (the floor) and recording the rest, ` +
    `${num(ours - clock)} ns, where the target leaves ${num(0.3 * clock)} ns. ` +
    "Outside the clock and the harness the profile's top self time is " +
    `${cuttable(profile)}. Next: cut that path (the bucket check, the sketch ` +
    'insert, the recorder and clock indirections), re-run, and compare the ratio ' +
    `in the same run.${getterNote(profile)}`;
}

/** For an async target: what the extra promise costs beside prom-client's inline record. */
export function asyncAdvice(figures: GroupFigures): Advice {
  const ours = figures.overhead.ours.median;
  const prom = figures.overhead.prom.median;

  return (profile) =>
    `\`measureTps\` adds ${num(ours)} ns to an async call, prom-client ` +
    `${num(prom)} ns. Beyond prom-client's inline record, ours chains a promise on ` +
    "the host's (`settle()`: one `then` with two closures per call). Outside the " +
    `clock and the harness the profile's top self time is ${cuttable(profile)}. ` +
    'Next: one reaction per call without fresh closures, then re-run.';
}
