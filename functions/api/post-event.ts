import { readablePlan } from '#shared/approvals/readable-plan.ts';
import { eventsScope, mayPostFinding, type Caller } from '#shared/auth/scopes.ts';
import type { Automation, EventAnswer } from '#shared/automation/types.ts';
import { systemClock, type Clock } from '#shared/clock.ts';
import { ConfigError, ForbiddenError } from '#shared/errors.ts';
import type { FindingSource, NormalisedEvent } from '#shared/findings/index.ts';
import { apiHandler, type ApiHandler, type ScopeRequirement } from '#shared/http/api-handler.ts';
import { automationFromEnv } from '../events/automation-from-env.ts';
import { lazyHandler } from './lazy-handler.ts';

/** EventBridge delivers events of up to 256 KB; a Falco alert is far smaller. */
export const maxEventBodyBytes = 256 * 1024;

export const requiresEventsScope: ScopeRequirement = {
  allowed: (caller) => caller.scopes.has(eventsScope),
  detail: `this route is for finding sources: it needs the ${eventsScope} scope`,
};

export interface PostEventDeps {
  readonly automation: Automation;
  /**
   * The sources this route takes. In AWS, GuardDuty and Security Hub findings arrive through
   * EventBridge, which no caller can forge; over HTTP only Falco (EVENTS_HTTP_SOURCES). Locally: all.
   */
  readonly httpSources?: ReadonlySet<FindingSource>;
  readonly clock?: Clock;
}

/** POST /v1/events: one EventBridge event or one Falco alert; 202 with every rule's decision on every finding. */
export function createHandler(deps: PostEventDeps): ApiHandler {
  const clock = deps.clock ?? systemClock;
  return apiHandler(
    async ({ caller, body }) => {
      const answer = await deps.automation.receive(body, {
        receivedAt: clock.now(),
        caller: caller.sub,
        authorize: (event) => {
          authorizeSender(caller, event, body, deps.httpSources);
        },
      });
      return { status: 202, body: withPlansReadable(caller, answer) };
    },
    { body: 'json', requires: requiresEventsScope, maxBodyBytes: maxEventBodyBytes },
  );
}

/**
 * A plan shows the target's state read through the member role: a sender who may not read the
 * action's category (a falcosidekick's events-only token) gets the verdict without it.
 */
export function withPlansReadable(caller: Caller, answer: EventAnswer): EventAnswer {
  return {
    ...answer,
    findings: answer.findings.map((finding) => ({
      ...finding,
      decisions: finding.decisions.map((decision) => (decision.plan === null ? decision : { ...decision, plan: readablePlan(caller, decision.plan) })),
    })),
  };
}

/** Refuses (403) a source this route does not take here, and a finding the token is not bound to. */
function authorizeSender(
  caller: Caller,
  event: NormalisedEvent,
  body: Readonly<Record<string, unknown>> | undefined,
  httpSources: ReadonlySet<FindingSource> | undefined,
): void {
  if (httpSources !== undefined && !httpSources.has(event.source)) {
    throw new ForbiddenError(
      `${event.source} findings reach this deployment through its EventBridge rules, not POST /v1/events (EVENTS_HTTP_SOURCES)`,
    );
  }
  // The host Falco ran on is the alert's own `hostname`, the field the normaliser takes host.id from.
  const hostname = event.source === 'falco' && typeof body?.['hostname'] === 'string' ? body['hostname'] : null;
  if (!mayPostFinding(caller, event.source, hostname)) {
    throw new ForbiddenError(
      event.source === 'falco'
        ? `this token may not post Falco alerts from ${hostname === null ? 'an alert without a hostname' : `host ${hostname}`} (its ra_events claim)`
        : `this token may not post ${event.source} findings (its ra_events claim)`,
    );
  }
}

/** Which sources EVENTS_HTTP_SOURCES lets through the HTTP route (comma-separated; unset: `falco`). */
export function httpSourcesFromEnv(value: string | undefined): ReadonlySet<FindingSource> {
  const names = (value ?? 'falco').split(',').map((name) => name.trim()).filter((name) => name !== '');
  const sources = new Set<FindingSource>();
  for (const name of names) {
    if (name !== 'guardduty' && name !== 'securityhub' && name !== 'falco') {
      throw new ConfigError('EVENTS_HTTP_SOURCES', `${name} is not a finding source (guardduty, securityhub, falco)`);
    }
    sources.add(name);
  }
  return sources;
}

export const handler = lazyHandler(() =>
  Promise.resolve(createHandler({ automation: automationFromEnv(process.env), httpSources: httpSourcesFromEnv(process.env['EVENTS_HTTP_SOURCES']) })),
);
