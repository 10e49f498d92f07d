/**
 * The local runtime's plans, approvals and findings-in: the same use cases and DynamoDB stores as
 * in AWS, on the embedded history table; cloud plans and exemption tags read in process through
 * the member roles (following AWS_ENDPOINT_URL, like every target-account call).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { httpSourcesFromEnv } from '#functions/api/post-event.ts';
import type { AutomationRouteDeps } from '#functions/api/routes.ts';
import { ApprovalStore } from '#shared/approvals/approval-store.ts';
import type { ApprovalService } from '#shared/approvals/approval-service.ts';
import type { CloudActionFamily } from '#shared/actions/cloud-action.ts';
import { AutomationService } from '#shared/automation/automation-service.ts';
import { MemberRoleExemptionChecker } from '#shared/automation/exemptions/index.ts';
import { loadRuleSet } from '#shared/automation/load-rules.ts';
import { DynamoDecisionLog, DynamoDedupStore, DynamoRateLimiter } from '#shared/automation/store/index.ts';
import type { Clock } from '#shared/clock.ts';
import type { Environment, ServiceConfig } from '#shared/config/config.ts';
import type { CursorCodec } from '#shared/history/cursor.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import { loadPlaybookCatalogue } from '#shared/playbooks/definitions/load.ts';
import type { PlaybookRuns } from '#shared/playbooks/types.ts';
import { PlanService, type PlanServiceDeps } from '#shared/plans/plan-service.ts';
import type { Planner } from '#shared/plans/types.ts';
import type { ActionService } from '#shared/use-cases/action-service.ts';
import type { EvidenceStore, WorkStarter } from '#shared/ports.ts';
import { createActionServices } from '#shared/use-cases/action-services.ts';
import { createLocalPlaybooks, type LocalPlaybookRunnerSettings, type LocalPlaybooks } from './playbooks.ts';
import { localMemberSessions } from './runners/cloud-runner.ts';
import { createInProcessCloudPlanner } from './runners/cloud-planner.ts';

export interface LocalAutomationOptions {
  readonly env: Environment;
  readonly config: ServiceConfig;
  readonly repository: HistoryRepository;
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly cursors: CursorCodec;
  readonly families: readonly CloudActionFamily[];
  readonly starters: Readonly<Partial<Record<'cloud' | 'host' | 'kubernetes', WorkStarter>>>;
  readonly evidence: EvidenceStore;
  readonly clock: Clock;
  /** Registered responders, so a host or Kubernetes plan says whether one would take the work. */
  readonly responders: PlanServiceDeps['responders'];
  /** Test settings of the local playbook runner. */
  readonly playbookRunner?: LocalPlaybookRunnerSettings;
}

export interface LocalAutomation {
  readonly actions: ActionService;
  readonly approvals: ApprovalService;
  readonly planner: Planner;
  readonly automation: AutomationRouteDeps;
  readonly playbooks: LocalPlaybooks;
  close(): Promise<void>;
}

/**
 * Builds the use cases; a bad AUTOMATION_RULES file throws a ConfigError naming the rule and field,
 * a bad PLAYBOOKS file one naming the playbook and step (PlaybookFileError).
 */
export function createLocalAutomation(options: LocalAutomationOptions): LocalAutomation {
  const { config, repository, clock } = options;
  const catalogue = loadPlaybookCatalogue(config.playbooksFile);
  const rules = loadRuleSet(options.env, { knownPlaybooks: catalogue.list() });
  const cloud = createInProcessCloudPlanner({ families: options.families, config, repository, clock });
  const planner = new PlanService({ cloud, config, repository, clock, ...(options.responders === undefined ? {} : { responders: options.responders }) });
  const store = { client: options.client, tableName: options.tableName, clock };
  const rates = new DynamoRateLimiter(store);
  // `playbooks` is built just below: approvals are only decided once both exist.
  const runs: Pick<PlaybookRuns, 'createOnBehalf'> = {
    createOnBehalf: (principal, name, request, runOptions) => playbooks.runs.createOnBehalf(principal, name, request, runOptions),
  };
  const { actions, approvals } = createActionServices({
    repository,
    starters: options.starters,
    evidence: options.evidence,
    clock,
    planner,
    approvalRequired: config.approvalRequired,
    approvalTtlSeconds: config.approvalTtlSeconds,
    approvalStore: new ApprovalStore({ ...store, cursors: options.cursors }),
    // Actions created by approving a rule's request count towards its limits (API.md).
    onApproved: async (_approval, _outcome, countAs) => {
      if (countAs !== null) await rates.count({ id: countAs.ruleId }, countAs, clock.now());
    },
    runs,
  });
  const playbooks: LocalPlaybooks = createLocalPlaybooks({
    config,
    catalogue,
    client: options.client,
    tableName: options.tableName,
    cursors: options.cursors,
    repository,
    actions,
    approvals,
    planner,
    clock,
    ...(options.playbookRunner === undefined ? {} : { runner: options.playbookRunner }),
  });
  const exemptionSessions = localMemberSessions(undefined, config);
  const decisions = new DynamoDecisionLog({ ...store, cursors: options.cursors });
  const automation = new AutomationService({
    rules,
    planner,
    actions,
    approvals,
    dedup: new DynamoDedupStore(store),
    rates,
    exemptions: new MemberRoleExemptionChecker({ sessions: exemptionSessions.sessions }),
    log: decisions,
    config,
    clock,
    playbooks: { catalogue, runs: playbooks.runs },
  });
  return {
    actions,
    approvals,
    planner,
    // Locally every source may be posted, unless EVENTS_HTTP_SOURCES narrows it as in AWS.
    automation: {
      automation,
      decisions,
      rates,
      ...(options.env['EVENTS_HTTP_SOURCES'] === undefined ? {} : { httpSources: httpSourcesFromEnv(options.env['EVENTS_HTTP_SOURCES']) }),
    },
    playbooks,
    close: async () => {
      await playbooks.close();
      await cloud.close();
      await exemptionSessions.close();
    },
  };
}
