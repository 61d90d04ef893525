/**
 * Error classes with stable string codes, so that callers can branch on `code` rather than on
 * message text or `instanceof` (which fails when two copies of the package are installed).
 */

/** Every code this package throws or reports. Listed with its meaning in `docs/errors.md`. */
export type TpsErrorCode =
  | 'ERR_TPS_CONFIG'
  | 'ERR_TPS_AGENT_CLOSED'
  | 'ERR_TPS_DATADIR_LOCKED'
  | 'ERR_TPS_STORAGE'
  | 'ERR_TPS_HTTP'
  | 'ERR_TPS_PROTOCOL';

const brand = Symbol.for('tps-agent.error');

/** Base class of every error this package creates. */
export class TpsError extends Error {
  /** The stable code; see {@link TpsErrorCode}. */
  readonly code: TpsErrorCode;
  readonly [brand] = true;

  constructor(code: TpsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A configuration value is malformed: the message names the option, the value and the fix. */
export class ConfigError extends TpsError {
  /** The option or environment variable at fault. */
  readonly field: string;

  constructor(field: string, message: string) {
    super('ERR_TPS_CONFIG', message);
    this.field = field;
  }
}

/** The collector answered with a status other than 2xx. */
export class HttpStatusError extends TpsError {
  /** The HTTP status code received. */
  readonly status: number;
  /** The collector's error text, when it sent one. */
  readonly detail: string;

  constructor(status: number, detail: string) {
    super('ERR_TPS_HTTP', `collector answered ${status}: ${detail}`);
    this.status = status;
    this.detail = detail;
  }
}

/**
 * Tells whether a value is an error made by this package, by its brand rather than by
 * `instanceof`, so that it holds across duplicate installs.
 */
export function isTpsError(value: unknown): value is TpsError {
  return (
    typeof value === 'object' && value !== null && (value as { [brand]?: unknown })[brand] === true
  );
}
