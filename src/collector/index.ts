/**
 * The collector: an HTTP server that receives agents' batches and heartbeats, keeps per-second
 * figures in an embedded LevelDB database and answers queries. See `docs/collector.md`.
 */
export { Collector, startCollector } from './collector.js';
export {
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_DATA_DIR,
  DEFAULT_DEDUPE_WINDOW_MS,
  DEFAULT_HOST,
  DEFAULT_PORT,
  MIN_DEDUPE_WINDOW_MS,
} from './options.js';
export type { BatchAppliedEvent, CollectorOptions } from './options.js';
export { LEGACY_HEARTBEAT_INTERVAL_SECONDS, STALE_AFTER_INTERVALS } from './agents.js';
export { DEFAULT_RANGE_MS } from './queries.js';
export { BadRequestError, isBadRequestError } from './request-error.js';
