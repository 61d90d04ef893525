import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { ConfigError } from './errors.js';
import { MAX_NAME_LENGTH, NAME_PATTERN } from './protocol/schemas.js';

/**
 * Options of an agent. Each one may also come from the `TPS_*` environment variable named in
 * its description; an option given here wins over the variable, and the variable over the
 * default.
 */
export interface AgentOptions {
  /**
   * Base URL of the collector, http or https. `TPS_COLLECTOR_URL`. @default
   * 'http://localhost:8080'
   */
  collectorUrl?: string;
  /** Name of this server in the collector's figures. `TPS_SERVER_ID`. @default the host name */
  serverId?: string;
  /** Records in one request, 1 to 10,000. `TPS_BATCH_SIZE`. @default 100 */
  batchSize?: number;
  /**
   * Seconds between send rounds when there is no backlog, > 0. `TPS_TRANSMISSION_INTERVAL`.
   * @default 10
   */
  transmissionIntervalSeconds?: number;
  /**
   * Retries of one failed send before it waits for the next round, 0 to 100. `TPS_MAX_RETRIES`.
   * @default 3
   */
  maxRetries?: number;
  /**
   * Minutes a record may wait locally before it is dropped, > 0. `TPS_LOCAL_RETENTION_MINUTES`.
   * @default 60
   */
  localRetentionMinutes?: number;
  /** Whether calls are measured at all. `TPS_ENABLE_METRICS`. @default true */
  enableMetrics?: boolean;
  /**
   * Whether throttles admit by rate; when false every call is admitted. `TPS_ENABLE_THROTTLING`.
   * @default true
   */
  enableThrottling?: boolean;
  /**
   * Directory of the write-ahead log. `TPS_DATA_DIR`. @default '.tps-agent' under the working
   * directory
   */
  dataDir?: string;
  /**
   * Milliseconds between appends of in-memory buckets to the log, 10 to 60,000.
   * `TPS_FLUSH_INTERVAL_MS`. @default 1000
   */
  flushIntervalMs?: number;
  /** Seconds between heartbeats, > 0. `TPS_HEARTBEAT_INTERVAL`. @default 30 */
  heartbeatIntervalSeconds?: number;
  /** Milliseconds one request may take, 100 to 600,000. `TPS_REQUEST_TIMEOUT_MS`. @default 10000 */
  requestTimeoutMs?: number;
  /**
   * Bytes of records the log may hold before the oldest are dropped (counted, reason `size`),
   * at least 1 MiB. `TPS_MAX_LOCAL_BYTES`. @default 268435456 (256 MiB)
   */
  maxLocalBytes?: number;
  /**
   * Distinct (gateway, endpoint, tags) series measured, 1 to 1,000,000; beyond it calls fold
   * into one overflow series. `TPS_MAX_SERIES`. @default 10000
   */
  maxSeries?: number;
  /** Batches in flight at once, 1 to 16. `TPS_SENDER_CONCURRENCY`. @default 1 */
  senderConcurrency?: number;
  /**
   * Whether SIGTERM and SIGINT close the agent (flush and ship within `requestTimeoutMs`) before
   * the process exits. `TPS_HANDLE_SIGNALS`. @default false
   */
  handleSignals?: boolean;
}

/** The resolved configuration of an agent: every field set and checked. */
export type AgentConfig = Readonly<Required<AgentOptions>>;

type Kind = 'url' | 'text' | 'integer' | 'seconds' | 'boolean' | 'path';

interface FieldRule {
  variable: string;
  kind: Kind;
  min?: number;
  max?: number;
  fallback: () => string | number | boolean;
}

/** Default directory of the write-ahead log, relative to the working directory. */
export const DEFAULT_DATA_DIR = '.tps-agent';

const rules: { [K in keyof AgentOptions]-?: FieldRule } = {
  collectorUrl: {
    variable: 'TPS_COLLECTOR_URL',
    kind: 'url',
    fallback: () => 'http://localhost:8080',
  },
  serverId: { variable: 'TPS_SERVER_ID', kind: 'text', fallback: () => hostname() },
  batchSize: {
    variable: 'TPS_BATCH_SIZE',
    kind: 'integer',
    min: 1,
    max: 10_000,
    fallback: () => 100,
  },
  transmissionIntervalSeconds: {
    variable: 'TPS_TRANSMISSION_INTERVAL',
    kind: 'seconds',
    // Timers below these minimums would run the agent's loops flat out beside the host.
    min: 0.01,
    max: 3600,
    fallback: () => 10,
  },
  maxRetries: { variable: 'TPS_MAX_RETRIES', kind: 'integer', min: 0, max: 100, fallback: () => 3 },
  // At most 7 days: the collector remembers applied records for 7 days, and a record must not
  // outlive that memory, or a late resend could be counted twice.
  localRetentionMinutes: {
    variable: 'TPS_LOCAL_RETENTION_MINUTES',
    kind: 'seconds',
    // The sweep runs every quarter of the retention: at least every 150 ms.
    min: 0.01,
    max: 10_080,
    fallback: () => 60,
  },
  enableMetrics: { variable: 'TPS_ENABLE_METRICS', kind: 'boolean', fallback: () => true },
  enableThrottling: { variable: 'TPS_ENABLE_THROTTLING', kind: 'boolean', fallback: () => true },
  dataDir: { variable: 'TPS_DATA_DIR', kind: 'path', fallback: () => DEFAULT_DATA_DIR },
  flushIntervalMs: {
    variable: 'TPS_FLUSH_INTERVAL_MS',
    kind: 'integer',
    min: 10,
    max: 60_000,
    fallback: () => 1000,
  },
  heartbeatIntervalSeconds: {
    variable: 'TPS_HEARTBEAT_INTERVAL',
    kind: 'seconds',
    min: 0.1,
    max: 86_400,
    fallback: () => 30,
  },
  requestTimeoutMs: {
    variable: 'TPS_REQUEST_TIMEOUT_MS',
    kind: 'integer',
    min: 100,
    max: 600_000,
    fallback: () => 10_000,
  },
  maxLocalBytes: {
    variable: 'TPS_MAX_LOCAL_BYTES',
    kind: 'integer',
    min: 1024 * 1024,
    max: Number.MAX_SAFE_INTEGER,
    fallback: () => 256 * 1024 * 1024,
  },
  maxSeries: {
    variable: 'TPS_MAX_SERIES',
    kind: 'integer',
    min: 1,
    max: 1_000_000,
    fallback: () => 10_000,
  },
  senderConcurrency: {
    variable: 'TPS_SENDER_CONCURRENCY',
    kind: 'integer',
    min: 1,
    max: 16,
    fallback: () => 1,
  },
  handleSignals: { variable: 'TPS_HANDLE_SIGNALS', kind: 'boolean', fallback: () => false },
};

// What the collector stores as a name: see MAX_NAME_LENGTH and NAME_PATTERN in protocol.
const SERVER_ID = new RegExp(`^${NAME_PATTERN.slice(1, -2)}{1,${MAX_NAME_LENGTH}}$`);
const TRUE_WORDS = new Set(['true', '1', 'yes']);
const FALSE_WORDS = new Set(['false', '0', 'no']);

/**
 * Resolves an agent's configuration: each option first, then its environment variable, then
 * its default.
 *
 * @param options - Options given in code; `undefined` fields fall through to the environment.
 * @param env - The environment to read `TPS_*` variables from.
 * @returns The complete, checked configuration, frozen.
 * @throws {@link ConfigError} (`ERR_TPS_CONFIG`) naming the option or variable, the value and
 *   what is accepted, for the first malformed value.
 */
export function resolveConfig(
  options: AgentOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): AgentConfig {
  const known = new Set(Object.keys(rules));
  for (const name of Object.keys(options)) {
    if (!known.has(name)) {
      throw new ConfigError(
        name,
        `unknown option '${name}'; the options are: ${[...known].join(', ')}`,
      );
    }
  }

  const config: Record<string, unknown> = {};
  for (const [name, rule] of Object.entries(rules) as [keyof AgentOptions, FieldRule][]) {
    const given = options[name];
    if (given !== undefined) {
      config[name] = check(`option '${name}'`, name, given, rule, false);
      continue;
    }
    const fromEnv = env[rule.variable];
    config[name] =
      fromEnv !== undefined && fromEnv.trim() !== ''
        ? check(`environment variable ${rule.variable}`, rule.variable, fromEnv, rule, true)
        : rule.fallback();
  }
  config.dataDir = resolve(config.dataDir as string);

  return Object.freeze(config) as AgentConfig;
}

function check(
  label: string,
  field: string,
  value: unknown,
  rule: FieldRule,
  isText: boolean,
): unknown {
  const fail = (accepted: string): never => {
    const shown = rule.kind === 'url' ? withoutCredentials(value) : value;
    throw new ConfigError(field, `${label} is ${JSON.stringify(shown)}; expected ${accepted}`);
  };

  switch (rule.kind) {
    case 'boolean':
      // As with numbers, words are read only from a variable's text; in code it is a boolean.
      if (!isText && typeof value !== 'boolean') return fail('true or false');
      return parseBoolean(value) ?? fail('true/false, 1/0 or yes/no');
    case 'text':
      return typeof value === 'string' && SERVER_ID.test(value.trim())
        ? value.trim()
        : fail('a non-empty string of at most 1024 characters, without control characters');
    case 'path':
      return typeof value === 'string' && value.trim() !== ''
        ? value.trim()
        : fail('a non-empty string');
    case 'url':
      // HTTP clients refuse a URL that carries credentials, and would print it in their error.
      if (typeof value === 'string' && withoutCredentials(value) !== value) {
        return fail('a URL without user:password@ (the collector takes no credentials in the URL)');
      }
      return parseHttpUrl(value) ?? fail('an http:// or https:// URL');
    case 'integer':
    case 'seconds':
      // In code a number must be a number; only a variable's text is parsed.
      if (!isText && typeof value !== 'number') return fail(describeRange(rule));
      return checkNumber(value, rule) ?? fail(describeRange(rule));
  }
}

function parseBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;

  const word = value.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return undefined;
}

/** `value` with any `user:password@` of a URL replaced, so that an error never shows it. */
function withoutCredentials(value: unknown): unknown {
  return typeof value === 'string' ? value.replace(/\/\/[^/?#]*@/, '//<credentials>@') : value;
}

function parseHttpUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value.trim());
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return url.href.replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}

// Plain decimals only: Number() would also take '0x10', '5e2' and '', none of which an operator
// writing a variable means as a number.
const DECIMAL = /^\d+(\.\d+)?$/;

function checkNumber(value: unknown, rule: FieldRule): number | undefined {
  const number =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && DECIMAL.test(value.trim())
        ? Number(value.trim())
        : NaN;
  if (!Number.isFinite(number)) return undefined;
  if (rule.kind === 'integer' && !Number.isInteger(number)) return undefined;
  if (rule.min !== undefined && number < rule.min) return undefined;
  if (rule.max !== undefined && number > rule.max) return undefined;

  return number;
}

function describeRange(rule: FieldRule): string {
  const what = rule.kind === 'integer' ? 'a whole number' : 'a number';
  const low = rule.min === undefined ? '' : ` of at least ${rule.min}`;
  const high = rule.max === undefined ? '' : ` and at most ${rule.max}`;
  return `${what}${low}${high}`;
}
