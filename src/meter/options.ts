import { ConfigError } from '../errors.js';
import { MAX_NAME_LENGTH, MAX_TAGS, NAME_PATTERN } from '../protocol/schemas.js';
import type { MeterHost } from './default-host.js';

// The collector refuses a batch holding a name it cannot store, so such a name is refused
// here, where the host can still fix it, rather than blocking delivery later.
const NAME = new RegExp(NAME_PATTERN);
const KNOWN_OPTIONS = new Set(['gateway', 'endpoint', 'tags', 'trackErrors', 'agent']);

/** Options of {@link measureTps} and {@link track}. */
export interface MeasureOptions {
  /** The gateway the calls belong to, such as `'payments'`. A non-empty string. */
  gateway: string;
  /**
   * The endpoint the calls belong to. A non-empty string.
   * @default the function's name; for a decorator the method's name; `'anonymous'` when empty
   */
  endpoint?: string;
  /**
   * Tags of the series, as a plain object of string, number or boolean values; numbers and
   * booleans are sent as strings. Tags in any key order name the same series.
   * @default {}
   */
  tags?: Record<string, string | number | boolean>;
  /**
   * Whether failures are also counted by kind (`"<name>: <message>"`) in `error_kinds`. When
   * false they still count in `errors`. Turn it off when messages may carry personal data.
   * @default true
   */
  trackErrors?: boolean;
  /**
   * The agent (or any {@link MeterHost}) to record into.
   * @default the host set by `setDefaultMeterHost()`, looked up on each call
   */
  agent?: MeterHost;
}

/** {@link MeasureOptions} after validation, with tags as strings. */
export interface ResolvedMeasureOptions {
  readonly gateway: string;
  readonly endpoint: string | undefined;
  readonly tags: Readonly<Record<string, string>> | undefined;
  readonly trackErrors: boolean;
  readonly agent: MeterHost | undefined;
}

/**
 * Checks measuring options and converts tag values to strings.
 *
 * @throws {@link ConfigError} naming the first field at fault.
 */
export function resolveMeasureOptions(options: unknown): ResolvedMeasureOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('options', `options must be an object; received ${show(options)}`);
  }

  for (const name of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(name)) {
      throw new ConfigError(
        name,
        `unknown option '${name}'; the options are: ${[...KNOWN_OPTIONS].join(', ')}`,
      );
    }
  }
  const { gateway, endpoint, tags, trackErrors, agent } = options as Partial<MeasureOptions>;
  checkName('gateway', gateway);
  if (endpoint !== undefined) checkName('endpoint', endpoint);
  if (trackErrors !== undefined && typeof trackErrors !== 'boolean') {
    throw new ConfigError(
      'trackErrors',
      `trackErrors must be a boolean; received ${show(trackErrors)}`,
    );
  }
  // `in` rather than reading it: a host's meter may be a getter, read only when a call is made.
  const hasMeter = typeof agent === 'object' && agent !== null && 'meter' in agent;
  if (agent !== undefined && !hasMeter) {
    throw new ConfigError('agent', `agent must be an object with a meter; received ${show(agent)}`);
  }

  return {
    gateway: gateway as string,
    endpoint,
    tags: tags === undefined ? undefined : resolveTags(tags),
    trackErrors: trackErrors ?? true,
    agent,
  };
}

function checkName(field: string, value: unknown, mayBeEmpty = false): void {
  if (typeof value !== 'string' || (value === '' && !mayBeEmpty)) {
    throw new ConfigError(field, `${field} must be a non-empty string; received ${show(value)}`);
  }
  if (value.length > MAX_NAME_LENGTH) {
    throw new ConfigError(
      field,
      `${field} must be at most ${MAX_NAME_LENGTH} characters; received ${value.length}`,
    );
  }
  if (!NAME.test(value)) {
    throw new ConfigError(
      field,
      `${field} must be free of control characters (such as a newline); received ${show(value)}`,
    );
  }
}

function resolveTags(tags: unknown): Record<string, string> | undefined {
  if (!isPlainObject(tags)) {
    throw new ConfigError(
      'tags',
      `tags must be a plain object of string, number or boolean values; received ${show(tags)}`,
    );
  }

  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS) {
    throw new ConfigError(
      'tags',
      `tags may hold at most ${MAX_TAGS} keys; received ${entries.length}`,
    );
  }
  const out: Record<string, string> = {};
  for (const [key, value] of entries) {
    checkName('tags key', key);
    // The collector's JSON parser refuses the key, as a guard against prototype poisoning: a
    // series tagged so would have every batch holding it rejected.
    if (key === '__proto__') {
      throw new ConfigError('tags', 'tags may not hold a key named __proto__; rename the tag');
    }
    const type = typeof value;
    if (type !== 'string' && type !== 'number' && type !== 'boolean') {
      throw new ConfigError(
        `tags.${key}`,
        `tags.${key} must be a string, number or boolean; received ${show(value)}`,
      );
    }
    out[key] = String(value);
    checkName(`tags.${key}`, out[key], true);
  }

  return Object.keys(out).length === 0 ? undefined : out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);

  return proto === Object.prototype || proto === null;
}

/** Shows a received value in an error message, short and without throwing. */
export function show(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null || typeof value !== 'object')
    return typeof value === 'function' ? 'a function' : String(value);
  if (Array.isArray(value)) return 'an array';

  return 'an object';
}
