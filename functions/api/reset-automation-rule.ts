import type { ApiHandler } from '#shared/http/api-handler.ts';
import { automationRulesFromEnv, createResetHandler, type AutomationRulesDeps } from './automation-rules.ts';
import { lazyHandler } from './lazy-handler.ts';

/** POST /v1/automation-rules/{id}/reset: closes a tripped rule's breaker. */
export function createHandler(deps: AutomationRulesDeps): ApiHandler {
  return createResetHandler(deps);
}

export const handler = lazyHandler(() => Promise.resolve(createHandler(automationRulesFromEnv(process.env))));
