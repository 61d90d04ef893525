/** The write-ahead log: durable, ordered storage of metric records until they are delivered. */
export { WriteAheadLog } from './log.js';
export type { ReadOldestOptions } from './log.js';
export type { WriteAheadLogOptions } from './options.js';
export type { DeleteReason, DropReason, QuarantineReason } from './counters.js';
export type { QuarantinedRecord } from './quarantine.js';
export type { LogRecovery } from './recovery.js';
