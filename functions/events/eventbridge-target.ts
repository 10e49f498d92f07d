/**
 * The target of the finding rules (infra/constructs/findings-ingest.ts): EventBridge invokes it,
 * asynchronously, with one GuardDuty or Security Hub event as EventBridge delivers it, and the
 * automation decides every finding in it by the rules in force.
 *
 * A body the normalisers refuse can never succeed, so it is logged (field paths and messages, never
 * the body) and dropped instead of retried; anything else that fails (a store down) is thrown, so
 * Lambda retries it twice and then leaves the event on the dead-letter queue, whose alarm fires.
 */
import type { Automation, DecisionOutcome, EventAnswer } from '#shared/automation/types.ts';
import { systemClock, type Clock } from '#shared/clock.ts';
import { ForbiddenError, InvalidInputError } from '#shared/errors.ts';
import type { NormalisedEvent } from '#shared/findings/index.ts';
import { logger as defaultLogger, type Logger } from '#shared/log.ts';
import { lambdaEntry } from '#shared/observability/entry.ts';
import { automationFromEnv } from './automation-from-env.ts';
import { refusedEventMessage } from './log-messages.ts';

/** Who delivered it, as decisions and action records name the caller. */
export const eventBridgeCaller = 'eventbridge';

export interface EventBridgeTargetDeps {
  readonly automation: Pick<Automation, 'receive'>;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** What one invocation did: the decisions' outcomes counted, or why the event was refused. */
export type EventBridgeTargetResult =
  | { readonly eventId: string; readonly outcomes: Partial<Record<DecisionOutcome, number>> }
  | { readonly refused: string };

/**
 * Only GuardDuty and Security Hub reach this function (its rules match `aws.guardduty` and
 * `aws.securityhub`, which no PutEvents can send): a Falco alert here was not sent by a rule.
 */
function onlyAwsSources(event: NormalisedEvent): void {
  if (event.source !== 'guardduty' && event.source !== 'securityhub') {
    throw new ForbiddenError(`${event.source} findings are posted to POST /v1/events, never delivered by the finding rules`);
  }
}

export function createHandler(deps: EventBridgeTargetDeps): (event: unknown) => Promise<EventBridgeTargetResult> {
  const clock = deps.clock ?? systemClock;
  const log = deps.logger ?? defaultLogger;
  return async (event) => {
    let answer: EventAnswer;
    try {
      answer = await deps.automation.receive(event, { receivedAt: clock.now(), caller: eventBridgeCaller, authorize: onlyAwsSources });
    } catch (error) {
      if (!(error instanceof InvalidInputError) && !(error instanceof ForbiddenError)) throw error;
      // Permanent: a retry would be refused the same way. Paths and messages name what is wrong, never a value.
      log.warn(refusedEventMessage, { ...envelopeOf(event), error: error.name, errors: error instanceof InvalidInputError ? error.errors : [{ path: 'source', message: error.message }] });
      return { refused: error.message };
    }
    const outcomes: Partial<Record<DecisionOutcome, number>> = {};
    for (const decision of answer.findings.flatMap((finding) => finding.decisions)) outcomes[decision.outcome] = (outcomes[decision.outcome] ?? 0) + 1;
    log.info('finding event decided', { eventId: answer.eventId, source: answer.source, findings: answer.findings.length, outcomes });
    return { eventId: answer.eventId, outcomes };
  };
}

/** The envelope's identifying fields, when they are short strings: enough to find the event, nothing of its content. */
function envelopeOf(event: unknown): Record<string, string> {
  if (typeof event !== 'object' || event === null) return {};
  const fields: Record<string, string> = {};
  for (const [name, key] of [['id', 'eventId'], ['source', 'source'], ['detail-type', 'detailType'], ['account', 'account']] as const) {
    const value: unknown = (event as Record<string, unknown>)[name];
    if (typeof value === 'string' && /^[\x20-\x7e]{1,128}$/.test(value)) fields[key] = value;
  }
  return fields;
}

// Built on the first invocation: the automation and every client it uses.
export const handler = lambdaEntry(() => createHandler({ automation: automationFromEnv(process.env) }));
