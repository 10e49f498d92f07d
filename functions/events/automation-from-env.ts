/**
 * The automation of a function in AWS: the rules in force, the plan, action and approval use
 * cases, and the stores and exemption checks it decides with. Environment: HISTORY_TABLE_NAME,
 * AUTOMATION_RULES (the JSON synthesis ships, unset: the default set) and AUTOMATION_RULES_SHA256, APPROVAL_REQUIRED, APPROVAL_TTL_SECONDS,
 * CLOUD_ACTION_STATE_MACHINES, RESPONDER_STATE_MACHINE_ARN and the responder deadlines (start-work),
 * CLOUD_PLAN_FUNCTIONS (cloud plans, in the family functions), PLAYBOOKS, PLAYBOOK_RUN_DEADLINE_SECONDS
 * and PLAYBOOK_STATE_MACHINE_ARN (rules that run a playbook),
 * TARGET_ACCOUNTS, MEMBER_ROLE_NAME, MEMBER_ROLE_EXTERNAL_ID, PROTECTED_TARGETS (the guards, and
 * sessions of the `<MEMBER_ROLE_NAME>-exemptions` role, the only member role this function may assume).
 */
import { randomBytes } from 'node:crypto';
import { STSClient } from '@aws-sdk/client-sts';
import { createHistoryClient } from '#shared/adapters/dynamodb.ts';
import { StsMemberSessions } from '#shared/adapters/member-session.ts';
import { AutomationService } from '#shared/automation/automation-service.ts';
import { MemberRoleExemptionChecker } from '#shared/automation/exemptions/index.ts';
import { loadShippedRuleSet } from '#shared/automation/rule-set.ts';
import { DynamoDecisionLog, DynamoDedupStore, DynamoRateLimiter } from '#shared/automation/store/index.ts';
import { systemClock } from '#shared/clock.ts';
import { loadConfig, type Environment } from '#shared/config/config.ts';
import { CursorCodec } from '#shared/history/cursor.ts';
import { traced } from '#shared/observability/tracing.ts';
import { PlanService } from '#shared/plans/plan-service.ts';
import { playbookRunStarterFromEnv } from '../api/aws/playbook-run-starter.ts';
import { playbookCatalogueFromEnv } from '../api/aws/playbook-catalogue.ts';
import { playbookServicesFromEnv } from '../api/aws/playbook-runs.ts';
import { cloudPlanFunctionsVariable, cloudPlannerFromEnv } from '../api/aws/cloud-planner.ts';
import { cloudStarterFromEnv } from '../api/aws/cloud-starter.ts';
import { historyFromEnv } from '../api/aws/history.ts';
import { responderStartersFromEnv } from '../api/aws/responder-starter.ts';

export function automationFromEnv(env: Environment): AutomationService {
  const config = loadConfig(env, ['HISTORY_TABLE_NAME']);
  const catalogue = playbookCatalogueFromEnv(env);
  // Refuses to start on a bad rules file, naming the rule and field (synthesis validated it too).
  const rules = loadShippedRuleSet(env, { knownPlaybooks: catalogue.list() });
  const repository = historyFromEnv(env);
  const store = { client: createHistoryClient(), tableName: config.historyTableName ?? '', clock: systemClock };
  // Dry-run and approval rules plan cloud actions in the family functions (CLOUD_PLAN_FUNCTIONS).
  const cloud = env[cloudPlanFunctionsVariable] === undefined ? undefined : cloudPlannerFromEnv(env);
  const planner = new PlanService({ cloud, config, repository, clock: systemClock });
  const starters = { cloud: cloudStarterFromEnv(env, repository), ...responderStartersFromEnv(env) };
  const { actions, approvals, playbooks } = playbookServicesFromEnv(env, repository, { starters, planner, catalogue, runStarter: playbookRunStarterFromEnv(env) });
  // No endpoint: STS follows AWS_ENDPOINT_URL by itself, like every target-account call.
  const sessions = new StsMemberSessions({ sts: traced(new STSClient({})), roleName: config.memberRole.name, externalId: config.memberRole.externalId });
  return new AutomationService({
    rules,
    planner,
    actions,
    approvals,
    playbooks: { catalogue, runs: playbooks },
    dedup: new DynamoDedupStore(store),
    rates: new DynamoRateLimiter(store),
    exemptions: new MemberRoleExemptionChecker({ sessions }),
    // This function only records decisions; listing them (and its cursors) is GET /v1/events'.
    log: new DynamoDecisionLog({ ...store, cursors: new CursorCodec(randomBytes(32)) }),
    config,
    clock: systemClock,
  });
}
