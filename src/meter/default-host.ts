import type { Meter } from './meter.js';

/**
 * Anything that owns a {@link Meter}. The agent implements it; wrappers read `meter` from it on
 * each call, so a host may swap its meter and wrappers follow.
 */
export interface MeterHost {
  /** The meter that calls are recorded into. */
  readonly meter: Meter;
}

// Process-wide, because decorators run when a class is defined, usually before any agent exists;
// the wrapper looks the host up on each call instead of capturing it at wrap time.
let defaultHost: MeterHost | undefined;

/**
 * Sets the host that wrappers without an `agent` option record into. The agent module calls it
 * from `configureAgent()`; pass `undefined` to stop measuring such wrappers.
 *
 * @param host - The new default host, or `undefined` for none.
 */
export function setDefaultMeterHost(host: MeterHost | undefined): void {
  defaultHost = host;
}

/**
 * Returns the host that wrappers without an `agent` option record into.
 *
 * @returns The default host, or `undefined` when none is set, in which case such wrappers run
 *   their function unmeasured.
 */
export function getDefaultMeterHost(): MeterHost | undefined {
  return defaultHost;
}
