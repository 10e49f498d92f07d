/**
 * What the automation's deciding steps share: a decision as answered, the context of one rule on
 * one finding, and the wording of the reasons and triggers an action or a playbook run carries.
 */
import type { CountAs } from '#shared/approvals/ports.ts';
import type { NormalisedEvent, NormalisedFinding } from '#shared/findings/types.ts';
import type { Trigger } from '#shared/history/record.ts';
import type { Decision, DecisionOutcome, Rule } from './types.ts';

/** One rule's decision on one finding. */
export interface Decided {
  readonly decision: Decision;
  /** An error no decision explains (a store down): recorded, then thrown so the delivery is retried. */
  readonly failure?: unknown;
  /** The create failed in a way that may follow its write: the claim stays held. */
  readonly keepClaim?: boolean;
}

export interface Context {
  readonly event: NormalisedEvent;
  readonly finding: NormalisedFinding;
  readonly rule: Rule;
  readonly decisionId: string;
}

export const actedBy = (rule: Pick<Rule, 'id'>): string => `automation:${rule.id}`;

/** Reasons quote finding values; a finding naming many resources must not make a decision too big to record. */
const maxReasonLength = 2000;

export function decision(
  rule: Rule,
  outcome: DecisionOutcome,
  reason: string,
  produced: Partial<Pick<Decision, 'actionIds' | 'approvalId' | 'playbookRunId' | 'plan'>> = {},
): Decision {
  const bounded = reason.length > maxReasonLength ? `${reason.slice(0, maxReasonLength - 1)}…` : reason;
  return {
    ruleId: rule.id,
    outcome,
    reason: bounded,
    actionIds: produced.actionIds ?? [],
    playbookRunId: produced.playbookRunId ?? null,
    approvalId: produced.approvalId ?? null,
    plan: produced.plan ?? null,
  };
}

/**
 * A failure no outcome names: recorded as refused, and thrown once every decision is recorded.
 * `keepClaim` when an action may exist despite the error: a re-delivery must then not act again.
 */
export function unexplained(rule: Rule, error: unknown, step: string, keepClaim = false): Decided {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message.slice(0, 300) : 'unknown error';
  const reason = keepClaim
    ? `the outcome is unknown: ${step} (${name}: ${message}); the claim is kept, so a re-delivery does not act again: look for this rule's actions before acting by hand`
    : `nothing was done: ${step} (${name}: ${message}); a re-delivery of this finding decides it again`;
  return { decision: decision(rule, 'refused', reason), failure: error, keepClaim };
}

/** The reason on the action, run or approval: which rule, which finding, which event (at most 1000 characters, as a create allows). */
export function reasonFor(rule: Rule, event: NormalisedEvent, finding: NormalisedFinding): string {
  return `rule ${rule.id}: ${finding.source} finding ${finding.findingType} (${finding.findingId}), event ${event.eventId}`.slice(0, 1000);
}

/** What set the action or run off, as its record shows it (API.md "Findings in"). */
export function triggerOf({ event, finding, rule }: Context): Trigger {
  return { source: finding.source, eventId: event.eventId, findingId: finding.findingId, findingType: finding.findingType, ruleId: rule.id, approvedBy: null };
}

/** The rule's limits an approved request counts towards. */
export function countAsOf({ finding, rule }: Context): CountAs {
  return { ruleId: rule.id, accountId: finding.accountId, region: finding.region };
}
