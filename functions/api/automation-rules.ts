import { canExecute, type Caller } from '#shared/auth/scopes.ts';
import type { Automation, RateLimiter, Rule } from '#shared/automation/types.ts';
import { findActionType, type Category } from '#shared/catalogue/index.ts';
import { categories } from '#shared/catalogue/types.ts';
import { systemClock, type Clock } from '#shared/clock.ts';
import { ForbiddenError, NotFoundError } from '#shared/errors.ts';
import { apiHandler, requiresAnyActionScope, requiresExecScope, type ApiHandler } from '#shared/http/api-handler.ts';
import { invalidRequest } from '#shared/http/problem.ts';
import { createHistoryClient } from '#shared/adapters/dynamodb.ts';
import { loadShippedRuleSet } from '#shared/automation/rule-set.ts';
import { DynamoRateLimiter } from '#shared/automation/store/index.ts';
import { loadConfig, type Environment } from '#shared/config/config.ts';
import { playbookCatalogueFromEnv } from './aws/playbook-catalogue.ts';

export interface AutomationRulesDeps {
  readonly automation: Pick<Automation, 'rules'>;
  readonly rates: Pick<RateLimiter, 'state' | 'reset'>;
  readonly clock?: Clock;
}

/** GET /v1/automation-rules: the rules in force, their file's SHA-256, and each rule's breaker (any read scope). */
export function createListHandler(deps: AutomationRulesDeps): ApiHandler {
  return apiHandler(
    async () => {
      const ruleSet = deps.automation.rules();
      const rules = await Promise.all(ruleSet.rules.map(async (rule) => ({ ...rule, state: await deps.rates.state(rule.id) })));
      return { status: 200, body: { sha256: ruleSet.sha256, origin: ruleSet.origin === 'default' ? 'default' : 'file', rules } };
    },
    { body: 'none', requires: requiresAnyActionScope },
  );
}

/**
 * POST /v1/automation-rules/{id}/reset: closes a tripped rule's breaker so it acts again. Needs the
 * exec scope of the rule's action category: whoever may run the action may let the rule run it.
 */
export function createResetHandler(deps: AutomationRulesDeps): ApiHandler {
  const clock = deps.clock ?? systemClock;
  return apiHandler(
    async ({ caller, pathParameters, body = {} }) => {
      const id = pathParameters['id'] ?? '';
      const rule = deps.automation.rules().rules.find((candidate) => candidate.id === id);
      if (rule === undefined) throw new NotFoundError(`no automation rule ${id}`);
      requireResetScope(caller, rule);
      const unknown = Object.keys(body).filter((field) => field !== 'reason');
      if (unknown.length > 0) throw invalidRequest(unknown.map((path) => ({ path, message: 'is not a field of a reset (reason)' })));
      const reason = body['reason'];
      if (reason !== undefined && (typeof reason !== 'string' || reason.length > 1000)) {
        throw invalidRequest([{ path: 'reason', message: 'must be a string of at most 1000 characters' }]);
      }
      await deps.rates.reset(rule.id, caller.sub, clock.now());
      return { status: 200, body: { ...rule, state: await deps.rates.state(rule.id) } };
    },
    { body: 'optional-json', requires: requiresExecScope },
  );
}

/** The categories a rule's run can act in: its action's; a playbook's steps may use both. */
export function ruleCategories(rule: Pick<Rule, 'run'>): readonly Category[] {
  if ('action' in rule.run) {
    const definition = findActionType(rule.run.action);
    return definition === undefined ? categories : [definition.category];
  }
  return categories;
}

function requireResetScope(caller: Caller, rule: Rule): void {
  const missing = ruleCategories(rule).filter((category) => !canExecute(caller, category));
  if (missing.length > 0) {
    throw new ForbiddenError(`resetting ${rule.id} needs the ${missing.map((category) => `${category}-response-actions.exec`).join(' and ')} scope`);
  }
}

/** In AWS: the rules file shipped with the function (AUTOMATION_RULES, JSON) and the breakers in the history table. */
export function automationRulesFromEnv(env: Environment): AutomationRulesDeps {
  const config = loadConfig(env, ['HISTORY_TABLE_NAME']);
  // Checked against the playbooks in force (PLAYBOOKS), as the automation loads them: a rule naming one is valid here too.
  const ruleSet = loadShippedRuleSet(env, { knownPlaybooks: playbookCatalogueFromEnv(env).list() });
  return {
    automation: { rules: () => ruleSet },
    rates: new DynamoRateLimiter({ client: createHistoryClient(), tableName: config.historyTableName ?? '' }),
  };
}
