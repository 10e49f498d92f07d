/**
 * fetch-cloud-logs collects one identity's CloudTrail events (event history, `LookupEvents`) in
 * one account and region over a window, through the member role, and writes them as JSON Lines
 * evidence with their SHA-256. It gathers data and changes nothing in the target account, so it
 * has no undo type and records no `applied`.
 *
 * A long lookup is split across steps so that no step runs near Lambda's limit: a step reads pages
 * for at most `stepBudgetMs`, saves its place (the NextToken) in the record's `result`, and answers
 * pending; the state machine's Check continues from there after a short wait. A lookup that
 * finishes in its first part writes one object, `cloudtrail-events.jsonl`; a longer one writes
 * numbered parts, `cloudtrail-events-part-0001.jsonl`, ..., one whenever the events gathered reach
 * `maxPartBytes` and one at the end of each step. Lines are the events' `CloudTrailEvent` JSON
 * exactly as CloudTrail returned it, newest first (the order LookupEvents answers in), across
 * parts in part order.
 */
import type { CloudAction, StepProgress } from '../cloud-action.ts';
import { ChangeNotVisibleError } from '../errors.ts';
import { listEvidence, writePart } from './evidence-parts.ts';
import { lookupPage, type CloudTrailClients, type CloudTrailContext, type Settings } from './lookup-events.ts';
import {
  classify,
  cloudTrailEvidenceName,
  cloudTrailEvidencePartName,
  finalResult,
  planOf,
  readProgress,
  startingProgress,
  widen,
} from './lookup-plan.ts';

/** Reads pages until the lookup ends or this step's budget is spent, writing parts and recording progress as it goes. */
async function collect(context: CloudTrailContext, settings: Settings): Promise<StepProgress> {
  let progress = readProgress(context);
  if (progress.complete) return { pending: false };
  const started = performance.now();
  progress = { ...progress, steps: progress.steps + 1 };
  let lines: string[] = [];
  let bytes = 0;
  let pagesThisStep = 0;
  for (;;) {
    const counters = { requests: 0, throttledRequests: 0 };
    const page = await lookupPage(context, settings, progress, counters);
    pagesThisStep += 1;
    let { eventCount, eventsFilteredOut, unreadableEvents, eventTimeRange } = progress;
    for (const event of page.events) {
      const kept = classify(event, progress.filters);
      if (kept === 'filteredOut') eventsFilteredOut += 1;
      else if (kept === 'unreadable') unreadableEvents += 1;
      else {
        lines.push(`${kept.line}\n`);
        bytes += Buffer.byteLength(kept.line, 'utf8') + 1;
        eventCount += 1;
        eventTimeRange = widen(eventTimeRange, kept.time);
      }
    }
    progress = {
      ...progress,
      nextToken: page.nextToken,
      pages: progress.pages + 1,
      requests: progress.requests + counters.requests,
      throttledRequests: progress.throttledRequests + counters.throttledRequests,
      eventsRead: progress.eventsRead + page.events.length,
      eventCount,
      eventsFilteredOut,
      unreadableEvents,
      eventTimeRange,
    };
    const done = page.nextToken === null;
    const stepSpent = pagesThisStep >= settings.maxPagesPerStep || performance.now() - started >= settings.stepBudgetMs;
    if (done || stepSpent || bytes >= settings.maxPartBytes) {
      // An empty lookup still writes its (empty) object: the evidence that nothing was found.
      if (lines.length > 0 || (done && progress.evidence.length === 0)) {
        const name = done && progress.evidence.length === 0 ? cloudTrailEvidenceName : cloudTrailEvidencePartName(progress.evidence.length + 1);
        const { entry, unrecorded } = await writePart(context, settings, name, lines.join(''), lines.length);
        progress = { ...progress, evidence: [...progress.evidence, entry], unrecordedEvidence: [...progress.unrecordedEvidence, ...unrecorded] };
        lines = [];
        bytes = 0;
      }
      progress = { ...progress, complete: done };
      await context.recordProgress({ result: progress });
    }
    if (done) return { pending: false };
    // The Wait state's shortest pause; the bucket paces the requests themselves.
    if (stepSpent) return { pending: true, waitSeconds: 1 };
  }
}

/** fetch-cloud-logs with the family's settings. */
export function fetchCloudLogs(settings: Settings): CloudAction<CloudTrailClients> {
  return {
    type: 'fetch-cloud-logs',

    async capture(context) {
      // Reads nothing in the target account: the lookup's plan is the starting point of its progress.
      await context.recordProgress({ result: startingProgress(planOf(context)) });
    },

    apply: (context) => collect(context, settings),
    check: (context) => collect(context, settings),

    async verify(context) {
      const progress = readProgress(context);
      if (!progress.complete) {
        throw new ChangeNotVisibleError(`the CloudTrail lookup of action ${context.record.id} has not finished`);
      }
      const stored = await listEvidence(context, settings);
      for (const entry of progress.evidence) {
        const object = stored.find((listed) => listed.name === entry.name);
        if (object?.sha256 !== entry.sha256 || object.size !== entry.size) {
          throw new ChangeNotVisibleError(`evidence ${entry.name} of action ${context.record.id} is not in the evidence store as written`);
        }
      }
      return finalResult(progress);
    },

    plan(context) {
      // Capture recorded the lookup as the starting point of its progress; nothing in the target account changes.
      const { account, region, lookupAttribute, filters, window } = readProgress(context);
      const kept = [
        ...(filters.userArn === null ? [] : [`userIdentity.arn ${filters.userArn}`]),
        ...(filters.identityType === null ? [] : [`userIdentity.type ${filters.identityType}`]),
      ];
      return Promise.resolve([
        {
          call: 'cloudtrail:LookupEvents',
          target: context.target.arn,
          detail: `look up the event history of ${lookupAttribute.key} ${lookupAttribute.value} in account ${account} (${region}) from ${window.from} to ${window.to}${kept.length === 0 ? '' : `, keeping events whose ${kept.join(' and ')}`}`,
        },
        {
          call: 'evidence:put',
          target: cloudTrailEvidenceName,
          detail: `write the events found as JSON Lines with their SHA-256 to the service's evidence store (numbered parts ${cloudTrailEvidencePartName(1)}, ... when the lookup spans several steps or parts)`,
        },
      ]);
    },
  };
}
