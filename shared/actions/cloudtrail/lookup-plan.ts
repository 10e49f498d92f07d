/**
 * What fetch-cloud-logs plans and records, with no AWS call: the lookup from the inputs, its
 * progress across steps (the record's `result`), which events are kept, and the final result.
 */
import type { Event as CloudTrailLookupEvent } from '@aws-sdk/client-cloudtrail';
import * as z from 'zod';
import type { ActionRecord } from '#shared/history/record.ts';
import type { JsonValue } from '#shared/json.ts';
import type { CloudTarget } from '../cloud-action.ts';
import { InvalidTargetError } from '../errors.ts';

/** The evidence object of a lookup that fits in one part. */
export const cloudTrailEvidenceName = 'cloudtrail-events.jsonl';
export const cloudTrailEvidenceContentType = 'application/x-ndjson';

/** Part `index` (from 1) of a lookup written in several parts. */
export function cloudTrailEvidencePartName(index: number): string {
  return `cloudtrail-events-part-${String(index).padStart(4, '0')}.jsonl`;
}

/** Access key ids CloudTrail records: long-term (AKIA) and temporary (ASIA). */
const accessKeyIdPattern = /^(?:AKIA|ASIA)[A-Z0-9]{16}$/;

const eventTimeRangeSchema = z.object({ earliest: z.string(), latest: z.string() }).nullable();

export const evidenceEntrySchema = z.object({
  name: z.string(),
  key: z.string(),
  size: z.number(),
  sha256: z.string(),
  contentType: z.string(),
  eventCount: z.number().int(),
});
export type EvidenceEntry = z.infer<typeof evidenceEntrySchema>;

/**
 * What the lookup has done so far, kept in the record's `result` from capture on: the plan, the
 * NextToken to continue from (null once complete) and every part written. A retried step starts
 * again from the last recorded place, so nothing is counted or written twice.
 */
export const progressSchema = z.object({
  account: z.string(),
  region: z.string(),
  lookupAttribute: z.object({ key: z.enum(['Username', 'AccessKeyId']), value: z.string() }),
  filters: z.object({ userArn: z.string().nullable(), identityType: z.string().nullable() }),
  window: z.object({ from: z.string(), to: z.string() }),
  complete: z.boolean(),
  nextToken: z.string().nullable(),
  steps: z.number().int(),
  pages: z.number().int(),
  requests: z.number().int(),
  throttledRequests: z.number().int(),
  eventsRead: z.number().int(),
  eventCount: z.number().int(),
  eventsFilteredOut: z.number().int(),
  unreadableEvents: z.number().int(),
  eventTimeRange: eventTimeRangeSchema,
  evidence: z.array(evidenceEntrySchema),
  /** Objects an earlier attempt wrote but never recorded, whose bytes differ from the recorded part (kept: evidence is never deleted). */
  unrecordedEvidence: z.array(z.string()),
});
export type Progress = z.infer<typeof progressSchema>;
export type Plan = Pick<Progress, 'account' | 'region' | 'lookupAttribute' | 'filters' | 'window'>;

/** What planning reads: the record's inputs and the session's account. */
type PlanSource = { readonly record: Pick<ActionRecord, 'id' | 'inputs' | 'result'>; readonly target: Pick<CloudTarget, 'accountId'> };

function textInput(context: PlanSource, name: string): string | null {
  const value = context.record.inputs[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * The lookup from the inputs: `ct.user` as an AccessKeyId when it looks like one, else as the
 * Username; without `ct.user`, the Username is the last segment of `ct.user.arn` (`alice` of
 * `...:user/path/alice`, the session name of `...:assumed-role/role/session`). Events are then
 * kept only when their `userIdentity` matches `ct.user.arn` and `ct.user.identitytype` where given.
 */
export function planOf(context: PlanSource): Plan {
  const account = textInput(context, 'aws.account.id');
  const region = textInput(context, 'aws.region');
  const user = textInput(context, 'ct.user');
  const userArn = textInput(context, 'ct.user.arn');
  const from = textInput(context, 'fromTimestamp');
  const to = textInput(context, 'toTimestamp');
  if (account === null || region === null || from === null || to === null || (user === null && userArn === null)) {
    throw new InvalidTargetError(
      `action ${context.record.id} needs aws.account.id, aws.region, fromTimestamp, toTimestamp and ct.user or ct.user.arn`,
    );
  }
  if (account !== context.target.accountId) {
    throw new InvalidTargetError(`action ${context.record.id} looks up account ${account} but its session is in account ${context.target.accountId}`);
  }
  let lookupAttribute: Plan['lookupAttribute'];
  if (user !== null) {
    lookupAttribute = accessKeyIdPattern.test(user) ? { key: 'AccessKeyId', value: user } : { key: 'Username', value: user };
  } else {
    const resource = (userArn ?? '').split(':').slice(5).join(':');
    const name = resource.split('/').at(-1) ?? '';
    if (name === '') throw new InvalidTargetError(`action ${context.record.id}: ${userArn ?? ''} names no user to look up`);
    lookupAttribute = { key: 'Username', value: name };
  }
  return {
    account,
    region,
    lookupAttribute,
    filters: { userArn, identityType: textInput(context, 'ct.user.identitytype') },
    window: { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
  };
}

export function startingProgress(plan: Plan): Progress {
  return {
    ...plan,
    complete: false,
    nextToken: null,
    steps: 0,
    pages: 0,
    requests: 0,
    throttledRequests: 0,
    eventsRead: 0,
    eventCount: 0,
    eventsFilteredOut: 0,
    unreadableEvents: 0,
    eventTimeRange: null,
    evidence: [],
    unrecordedEvidence: [],
  };
}

export function readProgress(context: PlanSource): Progress {
  const parsed = progressSchema.safeParse(context.record.result);
  if (!parsed.success) {
    throw new InvalidTargetError(`action ${context.record.id} has no recorded lookup to continue (its capture step did not run)`);
  }
  return parsed.data;
}

/** One event as kept (its JSON line and time), or why it was not kept. */
export type Classified = { readonly line: string; readonly time: string | null } | 'filteredOut' | 'unreadable';

function parseEventBody(text: string | undefined): { [key: string]: unknown } | null {
  if (text === undefined) return null;
  try {
    const body: unknown = JSON.parse(text);
    return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { [key: string]: unknown }) : null;
  } catch {
    return null;
  }
}

export function classify(event: CloudTrailLookupEvent, filters: Plan['filters']): Classified {
  const body = parseEventBody(event.CloudTrailEvent);
  const filtered = filters.userArn !== null || filters.identityType !== null;
  if (body === null) {
    // Without its body an event cannot be attributed: dropped (and counted) when filtering, else kept as summarised.
    if (filtered) return 'unreadable';
    const summary = {
      eventId: event.EventId ?? null,
      eventName: event.EventName ?? null,
      eventSource: event.EventSource ?? null,
      eventTime: event.EventTime?.toISOString() ?? null,
      username: event.Username ?? null,
      accessKeyId: event.AccessKeyId ?? null,
      readOnly: event.ReadOnly ?? null,
      lookupSummaryOnly: true,
    };
    return { line: JSON.stringify(summary), time: summary.eventTime };
  }
  const identity = typeof body['userIdentity'] === 'object' && body['userIdentity'] !== null ? (body['userIdentity'] as { [key: string]: unknown }) : {};
  if (filters.userArn !== null && identity['arn'] !== filters.userArn) return 'filteredOut';
  if (filters.identityType !== null && identity['type'] !== filters.identityType) return 'filteredOut';
  const raw = event.CloudTrailEvent ?? '';
  const eventTime = typeof body['eventTime'] === 'string' && !Number.isNaN(Date.parse(body['eventTime'])) ? body['eventTime'] : null;
  return {
    // CloudTrail's own bytes, unless a line break inside would split the line.
    line: /[\r\n]/.test(raw) ? JSON.stringify(body) : raw,
    time: eventTime === null ? (event.EventTime?.toISOString() ?? null) : new Date(eventTime).toISOString(),
  };
}

export function widen(range: Progress['eventTimeRange'], time: string | null): Progress['eventTimeRange'] {
  if (time === null) return range;
  if (range === null) return { earliest: time, latest: time };
  return {
    earliest: Date.parse(time) < Date.parse(range.earliest) ? time : range.earliest,
    latest: Date.parse(time) > Date.parse(range.latest) ? time : range.latest,
  };
}

/** What the record keeps when the lookup is complete: the progress without its place, and the one object's name and SHA-256 when there is one. */
export function finalResult(progress: Progress): JsonValue {
  const { nextToken: _nextToken, complete: _complete, unrecordedEvidence, ...rest } = progress;
  const [only] = progress.evidence.length === 1 ? progress.evidence : [];
  return {
    ...rest,
    ...(unrecordedEvidence.length > 0 ? { unrecordedEvidence } : {}),
    ...(only === undefined ? {} : { evidenceObject: only.name, sha256: only.sha256 }),
  };
}
