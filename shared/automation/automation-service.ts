/**
 * Findings in (API.md "Findings in (automations)"): one body normalised into findings, each
 * finding decided by every rule that matches it, in a fixed order of checks, and every decision
 * recorded before the answer goes out, so nothing is skipped silently.
 */
import { randomUUID } from 'node:crypto';
import type { ActionsOnBehalf, ApprovalRequests, RunApprovalRequests } from '#shared/approvals/ports.ts';
import type { Clock } from '#shared/clock.ts';
import type { ServiceConfig } from '#shared/config/config.ts';
import { normaliseEvent } from '#shared/findings/normalise-event.ts';
import type { FindingResource, NormalisedEvent, NormalisedFinding } from '#shared/findings/types.ts';
import type { Plan, Planner } from '#shared/plans/types.ts';
import type { PlaybookCatalogue, PlaybookRuns } from '#shared/playbooks/types.ts';
import { refusalOf, targetRefusal } from './decision-guards.ts';
import { actedBy, countAsOf, decision, reasonFor, triggerOf, unexplained, type Context, type Decided } from './decisions.ts';
import { inputsForAction } from './finding-inputs.ts';
import type { MappedInputs } from './finding-inputs.ts';
import { compileRuleMatch } from './match.ts';
import type { FindingMatcher } from './match.ts';
import { inputsForPlaybook } from './playbook-inputs.ts';
import { playbookMode } from './playbook-mode.ts';
import { appendToTrail, trailFor, type TrailAppender } from '#shared/trail/appender.ts';
import { recordDigest } from '#shared/trail/record-digest.ts';
import type {
  Automation,
  Decision,
  DecisionLog,
  DecisionRecord,
  DecidedFinding,
  DedupStore,
  EventAnswer,
  ExemptionChecker,
  RateLimiter,
  ReceiveContext,
  Rule,
  RuleSet,
} from './types.ts';

export interface AutomationServiceDeps {
  readonly rules: RuleSet;
  readonly planner: Planner;
  readonly actions: ActionsOnBehalf;
  readonly approvals: ApprovalRequests & RunApprovalRequests;
  /** The playbooks in force and their runs (issue 13); without them a rule naming a playbook is decided unmapped. */
  readonly playbooks?: { readonly catalogue: Pick<PlaybookCatalogue, 'find'>; readonly runs: Pick<PlaybookRuns, 'plan' | 'createOnBehalf'> };
  readonly dedup: DedupStore;
  readonly rates: RateLimiter;
  readonly exemptions: ExemptionChecker;
  readonly log: DecisionLog;
  readonly config: Pick<ServiceConfig, 'targetAccounts' | 'protectedTargets'>;
  readonly clock: Clock;
  readonly newId?: () => string;
  /** Where every recorded decision is appended (shared/trail); by default the trail bound to `log`, or the environment's. */
  readonly trail?: TrailAppender | null;
}

/** What a rule does once every guard passed: the action or run's targets (for their exemption tags), then its mode. */
interface Work {
  readonly targets: readonly FindingResource[];
  readonly mode: (note: string) => Promise<Decided>;
}

/**
 * Decides findings against the rules in force. Per finding and matching rule, in this order:
 * suppressed → unmapped → refused (TARGET_ACCOUNTS, protected target) → exempt → deduplicated →
 * the rule's mode (dry-run: planned; approval: awaiting-approval; enforce: rate-limited or executed).
 */
export class AutomationService implements Automation {
  readonly #deps: AutomationServiceDeps;
  readonly #newId: () => string;
  readonly #matchers: readonly { readonly rule: Rule; readonly matches: FindingMatcher }[];

  constructor(deps: AutomationServiceDeps) {
    this.#deps = deps;
    this.#newId = deps.newId ?? randomUUID;
    this.#matchers = deps.rules.rules.map((rule) => ({ rule, matches: compileRuleMatch(rule.match) }));
  }

  rules(): RuleSet {
    return this.#deps.rules;
  }

  /**
   * Normalises the body (InvalidFindingError, a 400, propagates with nothing written), lets the
   * context authorize the sender, decides every finding, records every decision, then answers.
   * An error no decision explains is thrown after the decisions are recorded, with the claim it
   * held released, so a re-delivery decides that rule again and the others as duplicates.
   */
  async receive(body: unknown, context: ReceiveContext): Promise<EventAnswer> {
    const event = normaliseEvent(body);
    context.authorize?.(event);
    const findings: DecidedFinding[] = [];
    const records: DecisionRecord[] = [];
    let failure: { readonly error: unknown } | undefined;
    for (const finding of event.findings) {
      const decisions: Decision[] = [];
      for (const { rule, matches } of this.#matchers) {
        if (!matches(finding)) continue;
        const decisionId = this.#newId();
        const decided = await this.#decide({ event, finding, rule, decisionId }).catch((error: unknown) => unexplained(rule, error, 'deciding failed'));
        if (decided.failure !== undefined) failure ??= { error: decided.failure };
        decisions.push(decided.decision);
        records.push(recordOf(decisionId, event, finding, context.receivedAt, decided.decision));
      }
      const resource = finding.resource === null ? null : { key: finding.resource.key, kind: finding.resource.kind };
      findings.push({ findingId: finding.findingId, findingType: finding.findingType, severity: finding.severity, resource, decisions });
    }
    if (records.length > 0) {
      await this.#deps.log.record(records);
      // Each decision as the log stored it (its item is the record plus key and index attributes).
      await appendToTrail(
        this.#deps.trail === undefined ? trailFor(this.#deps.log) : this.#deps.trail,
        records.map((record) => ({
          kind: 'automation.decision' as const,
          subject: { type: 'decision' as const, id: record.id },
          actor: actedBy({ id: record.ruleId }),
          digest: recordDigest({ ...record, actionIds: [...record.actionIds] }),
          refs: { eventId: record.eventId, findingId: record.findingId, actionIds: [...record.actionIds], approvalId: record.approvalId, playbookRunId: record.playbookRunId },
          detail: { outcome: record.outcome },
        })),
      );
    }
    if (failure !== undefined) throw failure.error;
    return { eventId: event.eventId, source: event.source, findings };
  }

  async #decide(context: Context): Promise<Decided> {
    const { finding, rule } = context;
    if (finding.workflow === 'suppressed') {
      return { decision: decision(rule, 'suppressed', `the finding is suppressed at its source: ${finding.workflowReason ?? 'archived, suppressed or resolved'}; nothing is done`) };
    }
    // GuardDuty's CreateSampleFindings: real-looking and about nothing real. Testing the pipeline
    // with them must never act, so only a dry-run rule plans them.
    if (finding.sample && rule.mode !== 'dry-run') {
      return { decision: decision(rule, 'suppressed', `a sample finding (GuardDuty's CreateSampleFindings) is about nothing real: only dry-run rules plan it, and nothing is done`) };
    }
    if ('playbook' in rule.run) return this.#playbook(context, rule.run);
    const mapped = inputsForAction(rule.run, finding, this.#deps.clock.now());
    if (!mapped.ok) return { decision: decision(rule, 'unmapped', mapped.reason) };
    const refusal = targetRefusal(finding, mapped.request, this.#deps.config);
    if (refusal !== null) return { decision: decision(rule, 'refused', `${refusal}; nothing is done`) };
    return this.#claimed(context, { targets: [mapped.target], mode: (note) => this.#mode(context, mapped, note) });
  }

  /**
   * A playbook rule: the same guards as an action's, over every step the run inputs resolve (each
   * step's target meets TARGET_ACCOUNTS and the protected targets; each target's exemption tag is read).
   */
  #playbook(context: Context, run: Extract<Rule['run'], { playbook: string }>): Promise<Decided> | Decided {
    const { finding, rule } = context;
    const playbooks = this.#deps.playbooks;
    const playbook = playbooks?.catalogue.find(run.playbook);
    if (playbooks === undefined || playbook === undefined) {
      return { decision: decision(rule, 'unmapped', `the rule runs playbook ${run.playbook}, which this runtime does not run; nothing is done`) };
    }
    const mapped = inputsForPlaybook(run, playbook, finding, this.#deps.clock.now());
    if (!mapped.ok) return { decision: decision(rule, 'unmapped', mapped.reason) };
    for (const step of mapped.steps) {
      const refusal = targetRefusal(finding, step.request, this.#deps.config);
      if (refusal !== null) return { decision: decision(rule, 'refused', `step ${step.id} (${step.request.definition.type}) of playbook ${playbook.name}: ${refusal}; nothing is done`) };
    }
    const deps = { runs: playbooks.runs, approvals: this.#deps.approvals, rates: this.#deps.rates, clock: this.#deps.clock };
    return this.#claimed(context, { targets: mapped.targets, mode: (note) => playbookMode(deps, context, playbook, mapped, note) });
  }

  /**
   * Dedup, then the exemption tag, then the rule's mode; the claim is kept only when something was
   * planned, requested or created under it. Dedup comes before the tag read so a re-delivered
   * finding costs no call into the member account.
   */
  async #claimed(context: Context, work: Work): Promise<Decided> {
    const { event, finding, rule, decisionId } = context;
    // A plan is not an action: dry-run claims are kept apart, so turning the rule to enforce acts on findings it only planned.
    const key = { ruleId: rule.mode === 'dry-run' ? `dry-run:${rule.id}` : rule.id, findingId: finding.findingId };
    let claim: Awaited<ReturnType<DedupStore['claim']>>;
    try {
      claim = await this.#deps.dedup.claim(key, { eventId: event.eventId, decisionId }, this.#deps.clock.now(), rule.dedupSeconds);
    } catch (error) {
      return unexplained(rule, error, 'claiming the finding for this rule failed');
    }
    if (!claim.claimed) {
      const { heldBy } = claim;
      const reason = `this finding was already decided under this rule within ${rule.dedupSeconds} s (event ${heldBy.eventId}); it acts once however often it is delivered or updated`;
      const produced = { actionIds: heldBy.actionIds, approvalId: heldBy.approvalId, playbookRunId: heldBy.playbookRunId };
      return { decision: decision(rule, 'deduplicated', reason, produced) };
    }
    let decided: Decided;
    try {
      decided = await this.#exemptOrMode(context, work);
    } catch (error) {
      const what = 'playbook' in rule.run ? 'the playbook run' : 'the action';
      decided = unexplained(rule, error, `${rule.mode === 'dry-run' ? 'planning' : 'requesting'} ${what} failed`);
    }
    const { actionIds, approvalId, playbookRunId, outcome } = decided.decision;
    // A plan counts as done: a dry-run rule records one plan per finding per window, as enforce would act once.
    try {
      if (actionIds.length > 0 || approvalId !== null || playbookRunId !== null || outcome === 'planned' || decided.keepClaim === true) {
        await this.#deps.dedup.complete(key, { decisionId }, { actionIds, approvalId, playbookRunId });
      } else {
        await this.#deps.dedup.release(key, { decisionId });
      }
    } catch (error) {
      // The decision stands (an action may exist); it is recorded, and the failure still surfaces.
      return { decision: decided.decision, failure: decided.failure ?? error };
    }
    return decided;
  }

  /** The exemption tag of every target (fail closed), then the rule's mode. */
  async #exemptOrMode(context: Context, work: Work): Promise<Decided> {
    const { finding, rule } = context;
    const notes: string[] = [];
    for (const target of work.targets) {
      try {
        const exemption = await this.#deps.exemptions.check(target, finding);
        if (exemption.exempt) return { decision: decision(rule, 'exempt', exemption.reason) };
        // Fail closed: a tag that could not be read is never taken as "not exempt".
        if (exemption.unknown === true) return { decision: decision(rule, 'refused', `${exemption.reason}; nothing is done`) };
        if (exemption.deferred === true) notes.push(exemption.reason);
      } catch (error) {
        // Fail closed: a target whose exemption cannot be read is never acted on.
        return unexplained(rule, error, 'reading its exemption tag failed');
      }
    }
    return work.mode(notes.length === 0 ? '' : ` (${notes.join('; ')})`);
  }

  async #mode(context: Context, mapped: Extract<MappedInputs, { ok: true }>, note: string): Promise<Decided> {
    const { event, finding, rule } = context;
    const { request } = mapped;
    const target = `${request.definition.type} on ${request.resources[0].key}`;
    const body = { type: request.definition.type, inputs: { ...request.inputs }, reason: reasonFor(rule, event, finding) };
    const trigger = triggerOf(context);
    const countAs = countAsOf(context);
    const refused = (plan: Plan) => decision(rule, 'refused', `the plan refuses ${target}: ${plan.refusal?.code ?? 'Refused'}: ${plan.refusal?.message ?? 'no reason given'}`, { plan });
    try {
      if (rule.mode === 'dry-run') {
        const plan = await this.#deps.planner.plan(null, body);
        if (!plan.allowed) return { decision: refused(plan) };
        return { decision: decision(rule, 'planned', `dry-run: planned ${target}; nothing was changed${note}`, { plan }) };
      }
      if (rule.mode === 'approval') {
        const plan = await this.#deps.planner.plan(null, body);
        if (!plan.allowed) return { decision: refused(plan) };
        const approval = await this.#deps.approvals.request({ request: body, requestedBy: actedBy(rule), trigger, category: request.definition.category, plan, countAs });
        return { decision: decision(rule, 'awaiting-approval', `approval mode: ${target} waits for a person to approve approval ${approval.id}${note}`, { approvalId: approval.id, plan }) };
      }
      const allowance = await this.#deps.rates.take(rule, { accountId: finding.accountId, region: finding.region }, this.#deps.clock.now());
      if (!allowance.allowed) return { decision: decision(rule, 'rate-limited', allowance.reason) };
      // No countAs: the take above already counted this action, so approving a gated one must not count it again.
      const outcome = await this.#deps.actions.createOnBehalf(actedBy(rule), body, { trigger, approved: false }).catch((error: unknown) => {
        if (refusalOf(error) !== null) throw error;
        // The action may be written and started already: the claim is kept, so a retried delivery never acts twice.
        return { mayHaveActed: unexplained(rule, error, 'creating the action failed, perhaps after it was written', true) };
      });
      if ('mayHaveActed' in outcome) return outcome.mayHaveActed;
      if ('approval' in outcome) {
        const reason = `${target} is on a target APPROVAL_REQUIRED matches: it waits for a person to approve approval ${outcome.approval.id}${note}`;
        return { decision: decision(rule, 'awaiting-approval', reason, { approvalId: outcome.approval.id }) };
      }
      return { decision: decision(rule, 'executed', `created ${target} (action ${outcome.record.id})${note}`, { actionIds: [outcome.record.id] }) };
    } catch (error) {
      const refusal = refusalOf(error);
      if (refusal === null) throw error;
      return { decision: decision(rule, 'refused', `${target} was refused: ${refusal}`) };
    }
  }
}

function recordOf(id: string, event: NormalisedEvent, finding: NormalisedFinding, receivedAt: Date, decided: Decision): DecisionRecord {
  return {
    id,
    eventId: event.eventId,
    receivedAt: receivedAt.toISOString(),
    source: event.source,
    findingId: finding.findingId,
    findingType: finding.findingType,
    ruleId: decided.ruleId,
    outcome: decided.outcome,
    reason: decided.reason,
    actionIds: decided.actionIds,
    approvalId: decided.approvalId,
    playbookRunId: decided.playbookRunId,
  };
}
