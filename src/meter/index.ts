/**
 * The meter: counting calls per series and wall-clock second on the host's hot path, and the
 * `measureTps` / `track` wrappers that feed it.
 */
export {
  Meter,
  DEFAULT_MAX_ERROR_KINDS,
  DEFAULT_MAX_SERIES,
  OVERFLOW_NAME,
  type MeterOptions,
} from './meter.js';
export { Series } from './series.js';
export { getDefaultMeterHost, setDefaultMeterHost, type MeterHost } from './default-host.js';
export { measureTps, track, ANONYMOUS_ENDPOINT, type MeasureTps } from './measure.js';
export type { MeasureOptions } from './options.js';
export type { AnyFunction } from './instrument.js';
export { MAX_ERROR_KIND_LENGTH, OTHER_ERROR_KIND } from './error-kind.js';
