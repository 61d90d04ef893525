/**
 * ISO-8601 date-times as the per-call agents send them: `2024-01-01T12:00:00`, with optional
 * fractional seconds (any number of digits, `.` or `,`) and an optional offset (`Z`, `+02:00`,
 * `+0200`, `+02`). A space may stand for the `T`, and the seconds may be left out.
 */
const ISO_DATE_TIME = new RegExp(
  [
    '^(\\d{4})-(\\d{2})-(\\d{2})', // date
    '[Tt ](\\d{2}):(\\d{2})(?::(\\d{2})(?:[.,](\\d+))?)?', // time, fraction
    '(?:([Zz])|([+-])(\\d{2})(?::?(\\d{2}))?)?$', // offset
  ].join(''),
);

function offsetMinutes(sign: string | undefined, hours?: string, minutes?: string): number {
  if (sign === undefined) {
    return 0;
  }
  const h = Number(hours);
  const m = Number(minutes ?? '0');
  if (h > 23 || m > 59) {
    return Number.NaN;
  }

  return (sign === '-' ? -1 : 1) * (h * 60 + m);
}

/**
 * Milliseconds since the epoch of a wall-clock time in UTC; NaN when a field is out of range
 * (month 13, February 30th, hour 24, second 60).
 */
function utcMillis(fields: number[]): number {
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, ms = 0] = fields;
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, reads years 0-99 as written rather than as 1900-1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  const exact =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;

  return exact ? date.getTime() : Number.NaN;
}

/**
 * Reads an ISO-8601 date-time into epoch milliseconds. A time without an offset is UTC, unlike
 * `Date.parse`, which reads a date-time without an offset as local time. Fractional seconds
 * past the millisecond are cut off, not rounded.
 *
 * @returns epoch milliseconds, or undefined when the text is not such a date-time
 * @example parseIsoTime('2024-01-01T00:00:01.5') === 1704067201500
 */
export function parseIsoTime(text: string): number | undefined {
  const match = ISO_DATE_TIME.exec(text);
  if (match === null) {
    return undefined;
  }
  const [, year, month, day, hour, minute, second, fraction, , sign, offH, offM] = match;
  const ms = Number((fraction ?? '').padEnd(3, '0').slice(0, 3));
  const fields = [year, month, day, hour, minute, second ?? '0'].map(Number);
  const local = utcMillis([...fields, ms]);
  const result = local - offsetMinutes(sign, offH, offM) * 60_000;

  return Number.isNaN(result) ? undefined : result;
}
