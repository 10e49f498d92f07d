/**
 * Findings in (API.md "Findings in (automations)"): one body normalised into findings, each
 * finding decided by every rule that matches it, in a fixed order of checks, and every decision
 * recorded before the answer goes out, so nothing is skipped silently.
 */
import { randomUUID } from 'node:crypto';
import type { ActionsOnBehalf, ApprovalRequests, CountAs } from '#shared/approvals/ports.ts';
import type { Clock } from '#shared/clock.ts';
import type { ServiceConfig } from '#shared/config/config.ts';
import { normaliseEvent } from '#shared/findings/normalise-event.ts';
import type { NormalisedEvent, NormalisedFinding } from '#shared/findings/types.ts';
import type { Trigger } from '#shared/history/record.ts';
import type { Plan, Planner } from '#shared/plans/types.ts';
import { refusalOf, targetRefusal } from './decision-guards.ts';
import { inputsForAction } from './finding-inputs.ts';
import type { MappedInputs } from './finding-inputs.ts';
import { compileRuleMatch } from './match.ts';
import type { FindingMatcher } from './match.ts';
import type {
  Automation,
  Decision,
  DecisionLog,
  DecisionOutcome,
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
  readonly approvals: ApprovalRequests;
  readonly dedup: DedupStore;
  readonly rates: RateLimiter;
  readonly exemptions: ExemptionChecker;
  readonly log: DecisionLog;
  readonly config: Pick<ServiceConfig, 'targetAccounts' | 'protectedTargets'>;
  readonly clock: Clock;
  readonly newId?: () => string;
}

/** One rule's decision on one finding. */
interface Decided {
  readonly decision: Decision;
  /** An error no decision explains (a store down): recorded, then thrown so the delivery is retried. */
  readonly failure?: unknown;
  /** The create failed in a way that may follow its write: the claim stays held. */
  readonly keepClaim?: boolean;
}

interface Context {
  readonly event: NormalisedEvent;
  readonly finding: NormalisedFinding;
  readonly rule: Rule;
  readonly decisionId: string;
}

const actedBy = (rule: Rule) => `automation:${rule.id}`;

/** Reasons quote finding values; a finding naming many resources must not make a decision too big to record. */
const maxReasonLength = 2000;

function decision(rule: Rule, outcome: DecisionOutcome, reason: string, produced: Partial<Pick<Decision, 'actionIds' | 'approvalId' | 'plan'>> = {}): Decision {
  const bounded = reason.length > maxReasonLength ? `${reason.slice(0, maxReasonLength - 1)}…` : reason;
  return { ruleId: rule.id, outcome, reason: bounded, actionIds: produced.actionIds ?? [], playbookRunId: null, approvalId: produced.approvalId ?? null, plan: produced.plan ?? null };
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
        const decided = await this.#decide({ event, finding, rule, decisionId }).catch((error: unknown) => this.#unexplained(rule, error, 'deciding failed'));
        if (decided.failure !== undefined) failure ??= { error: decided.failure };
        decisions.push(decided.decision);
        records.push(recordOf(decisionId, event, finding, context.receivedAt, decided.decision));
      }
      const resource = finding.resource === null ? null : { key: finding.resource.key, kind: finding.resource.kind };
      findings.push({ findingId: finding.findingId, findingType: finding.findingType, severity: finding.severity, resource, decisions });
    }
    if (records.length > 0) await this.#deps.log.record(records);
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
    if (!('action' in rule.run)) {
      return { decision: decision(rule, 'unmapped', `the rule runs playbook ${rule.run.playbook}, and playbooks are not available yet`) };
    }
    const mapped = inputsForAction(rule.run, finding, this.#deps.clock.now());
    if (!mapped.ok) return { decision: decision(rule, 'unmapped', mapped.reason) };
    const refusal = targetRefusal(finding, mapped.request, this.#deps.config);
    if (refusal !== null) return { decision: decision(rule, 'refused', `${refusal}; nothing is done`) };
    return this.#claimed(context, mapped);
  }

  /**
   * Dedup, then the exemption tag, then the rule's mode; the claim is kept only when something was
   * planned, requested or created under it. Dedup comes before the tag read so a re-delivered
   * finding costs no call into the member account.
   */
  async #claimed(context: Context, mapped: Extract<MappedInputs, { ok: true }>): Promise<Decided> {
    const { event, finding, rule, decisionId } = context;
    // A plan is not an action: dry-run claims are kept apart, so turning the rule to enforce acts on findings it only planned.
    const key = { ruleId: rule.mode === 'dry-run' ? `dry-run:${rule.id}` : rule.id, findingId: finding.findingId };
    let claim: Awaited<ReturnType<DedupStore['claim']>>;
    try {
      claim = await this.#deps.dedup.claim(key, { eventId: event.eventId, decisionId }, this.#deps.clock.now(), rule.dedupSeconds);
    } catch (error) {
      return this.#unexplained(rule, error, 'claiming the finding for this rule failed');
    }
    if (!claim.claimed) {
      const { heldBy } = claim;
      const reason = `this finding was already decided under this rule within ${rule.dedupSeconds} s (event ${heldBy.eventId}); it acts once however often it is delivered or updated`;
      return { decision: decision(rule, 'deduplicated', reason, { actionIds: heldBy.actionIds, approvalId: heldBy.approvalId }) };
    }
    let decided: Decided;
    try {
      decided = await this.#exemptOrMode(context, mapped);
    } catch (error) {
      decided = this.#unexplained(rule, error, `${rule.mode === 'dry-run' ? 'planning' : 'requesting'} the action failed`);
    }
    const { actionIds, approvalId, outcome } = decided.decision;
    // A plan counts as done: a dry-run rule records one plan per finding per window, as enforce would act once.
    try {
      if (actionIds.length > 0 || approvalId !== null || outcome === 'planned' || decided.keepClaim === true) {
        await this.#deps.dedup.complete(key, { decisionId }, { actionIds, approvalId });
      } else {
        await this.#deps.dedup.release(key, { decisionId });
      }
    } catch (error) {
      // The decision stands (an action may exist); it is recorded, and the failure still surfaces.
      return { decision: decided.decision, failure: decided.failure ?? error };
    }
    return decided;
  }

  /** The exemption tag (fail closed), then the rule's mode. */
  async #exemptOrMode(context: Context, mapped: Extract<MappedInputs, { ok: true }>): Promise<Decided> {
    const { finding, rule } = context;
    let note = '';
    try {
      const exemption = await this.#deps.exemptions.check(mapped.target, finding);
      if (exemption.exempt) return { decision: decision(rule, 'exempt', exemption.reason) };
      // Fail closed: a tag that could not be read is never taken as "not exempt".
      if (exemption.unknown === true) return { decision: decision(rule, 'refused', `${exemption.reason}; nothing is done`) };
      if (exemption.deferred === true) note = ` (${exemption.reason})`;
    } catch (error) {
      // Fail closed: a target whose exemption cannot be read is never acted on.
      return this.#unexplained(rule, error, 'reading its exemption tag failed');
    }
    return this.#mode(context, mapped, note);
  }

  async #mode(context: Context, mapped: Extract<MappedInputs, { ok: true }>, note: string): Promise<Decided> {
    const { event, finding, rule } = context;
    const { request } = mapped;
    const target = `${request.definition.type} on ${request.resources[0].key}`;
    const body = { type: request.definition.type, inputs: { ...request.inputs }, reason: reasonFor(rule, event, finding) };
    const trigger: Trigger = { source: finding.source, eventId: event.eventId, findingId: finding.findingId, findingType: finding.findingType, ruleId: rule.id, approvedBy: null };
    const countAs: CountAs = { ruleId: rule.id, accountId: finding.accountId, region: finding.region };
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
        return { mayHaveActed: this.#unexplained(rule, error, 'creating the action failed, perhaps after it was written', true) };
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

  /**
   * A failure no outcome names: recorded as refused, and thrown once every decision is recorded.
   * `keepClaim` when an action may exist despite the error: a re-delivery must then not act again.
   */
  #unexplained(rule: Rule, error: unknown, step: string, keepClaim = false): Decided {
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message.slice(0, 300) : 'unknown error';
    const reason = keepClaim
      ? `the outcome is unknown: ${step} (${name}: ${message}); the claim is kept, so a re-delivery does not act again: look for this rule's actions before acting by hand`
      : `nothing was done: ${step} (${name}: ${message}); a re-delivery of this finding decides it again`;
    return { decision: decision(rule, 'refused', reason), failure: error, keepClaim };
  }
}

/** The reason on the action or approval: which rule, which finding, which event (at most 1000 characters, as a create allows). */
function reasonFor(rule: Rule, event: NormalisedEvent, finding: NormalisedFinding): string {
  return `rule ${rule.id}: ${finding.source} finding ${finding.findingType} (${finding.findingId}), event ${event.eventId}`.slice(0, 1000);
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
