export { DynamoDecisionLog } from './decision-log.ts';
export { DynamoDedupStore } from './dedup-store.ts';
export { DynamoRateLimiter } from './rate-limiter.ts';
