import type { Figure } from './stats.js';

/** A number with about three significant digits, grouped by thousands. */
export function num(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return 'n/a';
  // A difference of two near-equal figures can come out as -0.0001; it reads as zero.
  if (Math.abs(value) < 0.005) value = 0;
  const magnitude = Math.abs(value) >= 1 ? Math.floor(Math.log10(Math.abs(value))) + 1 : 1;
  const decimals = Math.max(0, Math.min(3, digits - magnitude));

  return value.toLocaleString('en-US', {
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  });
}

/** A figure as `median (min–max)`, with a unit after the median. */
export function spread(value: Figure, unit = ''): string {
  if (value.runs.length === 0) return 'n/a';
  const suffix = unit === '' ? '' : ` ${unit}`;
  if (value.runs.length === 1) return `${num(value.median)}${suffix} (1 run)`;

  return `${num(value.median)}${suffix} (${num(value.min)}–${num(value.max)})`;
}

/** A ratio figure as `0.42× (0.40–0.45)`. */
export function ratio(value: Figure): string {
  if (value.runs.length === 0) return 'n/a';
  if (value.runs.length === 1) return `${num(value.median, 2)}× (1 run)`;

  return `${num(value.median, 2)}× (${num(value.min, 2)}–${num(value.max, 2)})`;
}

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** A row of table cells. */
export type Row = readonly string[];

/** A Markdown table; cells must not hold a pipe. */
export function table(header: readonly string[], rows: readonly Row[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  const rule = header.map(() => '---');

  return [line(header), line(rule), ...rows.map(line)].join('\n');
}
