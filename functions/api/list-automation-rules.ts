import type { ApiHandler } from '#shared/http/api-handler.ts';
import { automationRulesFromEnv, createListHandler, type AutomationRulesDeps } from './automation-rules.ts';
import { lazyHandler } from './lazy-handler.ts';

/** GET /v1/automation-rules: the rules in force, their file's SHA-256 and each rule's breaker. */
export function createHandler(deps: AutomationRulesDeps): ApiHandler {
  return createListHandler(deps);
}

export const handler = lazyHandler(() => Promise.resolve(createHandler(automationRulesFromEnv(process.env))));
