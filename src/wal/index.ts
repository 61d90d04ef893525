/** The write-ahead log: durable, ordered storage of metric records until they are delivered. */
export { WriteAheadLog } from './log.js';
export type { WriteAheadLogOptions } from './log.js';
export type { DeleteReason } from './counters.js';
