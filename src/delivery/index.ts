export { DEFAULT_BACKOFF, backoffDelayMs, type BackoffOptions } from './backoff.js';
export { CollectorClient, RequestTimeoutError, type CollectorClientOptions } from './client.js';
export {
  classifyFailure,
  countsTowardsBreaker,
  isConnectionReset,
  isRetryable,
  type FailureKind,
} from './failure.js';
export { buildHeartbeat, type HeartbeatFacts } from './heartbeat.js';
export {
  SEND_POLICY_DEFAULTS,
  createBreaker,
  resolveSendPolicyOptions,
  type ResolvedSendPolicyOptions,
  type SendPolicyOptions,
} from './policy.js';
export { RetryAfterError, parseRetryAfterMs } from './retry-after.js';
export { Sender, type SenderOptions } from './sender.js';
export { initialSenderStats, type SenderState, type SenderStats } from './stats.js';
