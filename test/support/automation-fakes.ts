/**
 * The automation service's whole stack on one dynalite history table: the real decision log,
 * dedup store and rate limiter, the real ActionService, ApprovalService and PlanService. Three
 * ports are small hand-written stand-ins, each tested for real elsewhere:
 * - the exemption checker (MemberRoleExemptionChecker reads tags through the member role against
 *   moto in test/integration/automation/exemptions-*.test.ts): here a set of exempt resource keys;
 * - the work starters (Step Functions and the responders, tested in their own suites): here they
 *   record the actions they were asked to start and run nothing;
 * - the cloud planner (runCloudActionPlan against moto in test/integration/plans/cloud-*.test.ts):
 *   here it answers one change per plan, naming the action and target;
 * - the playbook run starter (the state machine, run by the local runner and in AWS): here it
 *   records the runs it was asked to start; the PlaybookRunService and its store are real.
 */
import { randomBytes } from 'node:crypto';
import { TargetNotFoundError } from '#shared/actions/errors.ts';
import { ApprovalService } from '#shared/approvals/approval-service.ts';
import { ApprovalStore } from '#shared/approvals/approval-store.ts';
import type { ActionsOnBehalf } from '#shared/approvals/ports.ts';
import { AutomationService } from '#shared/automation/automation-service.ts';
import { ruleSetFromText } from '#shared/automation/load-rules.ts';
import { DynamoDecisionLog, DynamoDedupStore, DynamoRateLimiter } from '#shared/automation/store/index.ts';
import type { ExemptionChecker, RuleSet } from '#shared/automation/types.ts';
import type { FixedClock } from '#shared/clock.ts';
import { builtInProtectedTargets } from '#shared/config/config.ts';
import type { ServiceConfig } from '#shared/config/config.ts';
import { CursorCodec } from '#shared/history/cursor.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import { PlanService } from '#shared/plans/plan-service.ts';
import { loadPlaybookCatalogue } from '#shared/playbooks/definitions/load.ts';
import { PlaybookRunService } from '#shared/playbooks/run-service.ts';
import { RunStore } from '#shared/playbooks/run-store.ts';
import type { PlaybookCatalogue, PlaybookRun, RunStarter } from '#shared/playbooks/types.ts';
import type { CloudPlanner, CloudPlanRequest, CloudPlanResult } from '#shared/plans/types.ts';
import type { WorkStarter } from '#shared/ports.ts';
import { ActionService } from '#shared/use-cases/action-service.ts';
import { freshHistory } from './history-store.ts';

/** Exempt by resource key; Kubernetes targets deferred to their responder, as the member-role checker does. */
export class KeyedExemptions implements ExemptionChecker {
  readonly exempt = new Set<string>();
  /** Keys whose tags cannot be read: the check throws, as an outage would. */
  readonly unreadable = new Set<string>();
  /** Keys whose tags the member role may not read: the check answers unknown, as the member-role checker does. */
  readonly unknown = new Set<string>();
  readonly checked: string[] = [];

  check(resource: { readonly key: string; readonly kind: string }): Promise<{ exempt: boolean; reason: string; deferred?: true; unknown?: true }> {
    this.checked.push(resource.key);
    if (this.unreadable.has(resource.key)) return Promise.reject(new Error(`cannot read the tags of ${resource.key}`));
    if (this.unknown.has(resource.key)) {
      return Promise.resolve({ exempt: false, unknown: true, reason: `cannot read the response-actions:exempt tag of ${resource.key} (AccessDenied); not acting on it blindly` });
    }
    if (this.exempt.has(resource.key)) return Promise.resolve({ exempt: true, reason: `${resource.key} is tagged response-actions:exempt=true` });
    if (resource.kind.startsWith('k8s.')) {
      return Promise.resolve({ exempt: false, deferred: true, reason: 'the Kubernetes responder checks the response-actions.io/exempt label before acting' });
    }
    return Promise.resolve({ exempt: false, reason: `${resource.key} carries no exemption tag` });
  }
}

/** Records what it was asked to start; runs nothing. */
export class RecordingStarter implements WorkStarter {
  readonly started: ActionRecord[] = [];

  start(record: ActionRecord): Promise<void> {
    this.started.push(record);
    return Promise.resolve();
  }
}

/** Records the runs it was asked to start; runs none of their steps. */
export class RecordingRunStarter implements RunStarter {
  readonly started: PlaybookRun[] = [];

  start(run: PlaybookRun): Promise<void> {
    this.started.push(run);
    return Promise.resolve();
  }
}

/** One change per plan, naming what was asked; the prior is empty. A target listed in `missing` is not found, as a capture would say. */
export class OneChangeCloudPlanner implements CloudPlanner {
  readonly requests: CloudPlanRequest[] = [];
  readonly missing = new Set<string>();

  plan(request: CloudPlanRequest): Promise<CloudPlanResult> {
    this.requests.push(request);
    const target = typeof request.inputs['aws.resource.arn'] === 'string' ? request.inputs['aws.resource.arn'] : '(none)';
    if (this.missing.has(target)) return Promise.reject(new TargetNotFoundError(`${target} does not exist`));
    return Promise.resolve({ prior: {}, changes: [{ call: `test:${request.type}`, target, detail: 'the planned change' }] });
  }
}

/** The member account the tests allow, the protected user they name, and the rest as configured by default. */
export const allowedAccount = '111122223333';
export const protectedUser = 'arn:aws:iam::111122223333:user/deploy-bot';

export function automationConfig(fields: Partial<Pick<ServiceConfig, 'targetAccounts' | 'protectedTargets'>> = {}): Pick<ServiceConfig, 'targetAccounts' | 'protectedTargets'> {
  return {
    targetAccounts: { all: false, ids: new Set([allowedAccount]) },
    protectedTargets: [...builtInProtectedTargets('ResponseActionsMember'), protectedUser],
    ...fields,
  };
}

export interface AutomationStack {
  readonly service: AutomationService;
  /** A new service on the same table and stores, with another rules file (or rule set): a restart after an operator's edit. */
  readonly restart: (rules: string | RuleSet) => AutomationService;
  readonly repository: HistoryRepository;
  readonly log: DynamoDecisionLog;
  readonly rates: DynamoRateLimiter;
  readonly approvals: ApprovalService;
  readonly exemptions: KeyedExemptions;
  readonly starter: RecordingStarter;
  readonly cloudPlanner: OneChangeCloudPlanner;
  /** The built-in playbooks, their real run service and store, and the runs it started. */
  readonly playbooks: PlaybookCatalogue;
  readonly runs: PlaybookRunService;
  readonly runStarter: RecordingRunStarter;
}

/** The stack on a fresh table; `rulesYaml` is a rules file as an operator writes it. */
export async function automationStack(options: {
  readonly endpoint: string;
  readonly clock: FixedClock;
  readonly rulesYaml: string;
  readonly config?: Pick<ServiceConfig, 'targetAccounts' | 'protectedTargets'>;
  readonly approvalRequired?: readonly string[];
  /** What the automation creates actions through, around the real ActionService (a failure after the write, say). */
  readonly wrapActions?: (actions: ActionsOnBehalf) => ActionsOnBehalf;
  /** What the automation starts runs through, around the real PlaybookRunService (a failure after the write, say). */
  readonly wrapRuns?: (runs: PlaybookRunService) => Pick<PlaybookRunService, 'plan' | 'createOnBehalf'>;
  /** The automation is built without the playbooks (its rules still load against them), as a runtime lacking them. */
  readonly withoutPlaybooks?: boolean;
}): Promise<AutomationStack> {
  const { clock } = options;
  const { repository, tableName, client } = await freshHistory(options.endpoint, clock);
  const cursors = new CursorCodec(randomBytes(32));
  const config = options.config ?? automationConfig();
  const starter = new RecordingStarter();
  const cloudPlanner = new OneChangeCloudPlanner();
  const rates = new DynamoRateLimiter({ client, tableName, clock });
  const planner = new PlanService({ cloud: cloudPlanner, config, repository, clock });
  const approvals: ApprovalService = new ApprovalService({
    store: new ApprovalStore({ client, tableName, cursors }),
    // Approving goes through the ActionService built below; nothing is approved before it exists.
    actions: { createOnBehalf: (principal, request, onBehalf) => actions.createOnBehalf(principal, request, onBehalf) },
    clock,
    ttlSeconds: 3600,
    // As the service wires it: actions created by approving a rule's request count towards its limits.
    onApproved: async (_approval, _outcome, countAs) => {
      if (countAs !== null) await rates.count({ id: countAs.ruleId }, countAs, clock.now());
    },
    // Approving a run goes through the PlaybookRunService built below, as createActionServices' callers wire it.
    runs: { createOnBehalf: (principal, name, request, onBehalf) => runs.createOnBehalf(principal, name, request, onBehalf) },
  });
  const playbooks = loadPlaybookCatalogue();
  const runStarter = new RecordingRunStarter();
  const runs: PlaybookRunService = new PlaybookRunService({
    playbooks,
    store: new RunStore({ client, tableName, cursors }),
    records: repository,
    planner,
    starter: runStarter,
    approvalRequired: options.approvalRequired ?? [],
    approvals,
    clock,
    runDeadlineSeconds: 3600,
    idempotency: repository.idempotency,
  });
  const actions: ActionService = new ActionService({
    repository,
    starters: { cloud: starter, host: starter, kubernetes: starter },
    clock,
    approvalRequired: options.approvalRequired ?? [],
    approvals,
    planner,
  });
  const log = new DynamoDecisionLog({ client, tableName, clock, cursors });
  const exemptions = new KeyedExemptions();
  const dedup = new DynamoDedupStore({ client, tableName, clock });
  const restart = (rules: string | RuleSet) => {
    const ruleSet = typeof rules === 'string' ? ruleSetFromText(Buffer.from(rules), 'rules.yaml', 'yaml', { knownPlaybooks: playbooks.list() }) : rules;
    const onBehalf = options.wrapActions?.(actions) ?? actions;
    const inForce = options.withoutPlaybooks === true ? {} : { playbooks: { catalogue: playbooks, runs: options.wrapRuns?.(runs) ?? runs } };
    return new AutomationService({ rules: ruleSet, planner, actions: onBehalf, approvals, ...inForce, dedup, rates, exemptions, log, config, clock });
  };
  return { service: restart(options.rulesYaml), restart, repository, log, rates, approvals, exemptions, starter, cloudPlanner, playbooks, runs, runStarter };
}

/** A one-rule file: `mode`, the GuardDuty `types`, the `action`, and any extra YAML lines of the rule. */
export function oneRule(id: string, mode: string, source: string, types: readonly string[], action: string, extra = ''): string {
  return `rules:
  - id: ${id}
    description: ${id} for the test
    mode: ${mode}
    match:
      source: ${source}
      types: ${JSON.stringify(types)}
    run:
      action: ${action}
${extra}`;
}
