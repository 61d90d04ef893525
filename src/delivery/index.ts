export { CollectorClient, type CollectorClientOptions } from './client.js';
export { buildHeartbeat, type HeartbeatFacts } from './heartbeat.js';
export { createSendPolicy, isRetryable, type SendPolicyOptions } from './policy.js';
export { Sender, type SenderOptions, type SenderState, type SenderStats } from './sender.js';
