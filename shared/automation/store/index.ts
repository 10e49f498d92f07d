export { DynamoDecisionLog } from './decision-log.ts';
export { DynamoDedupStore } from './dedup-store.ts';
export { DynamoRateLimiter, perAccountRegionPerMinute } from './rate-limiter.ts';
export { defaultDecisionLimit, maxDecisionLimit } from './decision-query.ts';
export type { AutomationStoreOptions } from './store-options.ts';
