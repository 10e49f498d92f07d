/**
 * The CloudTrail family: fetch-cloud-logs collects one identity's CloudTrail events (event
 * history, `LookupEvents`) in one account and region over a window, through the member role, and
 * writes them as JSON Lines evidence with their SHA-256. It gathers data and changes nothing in the
 * target account, so it has no undo type and records no `applied`.
 *
 * LookupEvents answers at most 50 events a page and is limited to 2 requests per second per
 * account and region (AWS's documented quota; more is throttled): every request, retries
 * included, passes a token bucket shared per account and region by every action in this process.
 * (Functions in other containers have their own buckets; throttling they cause is retried with
 * backoff here, and by the state machine after that.)
 *
 * A long lookup is split across steps so that no step runs near Lambda's limit: a step reads pages
 * for at most `stepBudgetMs`, saves its place (the NextToken) in the record's `result`, and answers
 * pending; the state machine's Check continues from there after a short wait. Evidence is written
 * once, never appended to: a lookup that finishes in its first part writes one object,
 * `cloudtrail-events.jsonl`; a longer one writes numbered parts, `cloudtrail-events-part-0001.jsonl`,
 * ..., one whenever the events gathered reach `maxPartBytes` and one at the end of each step. Lines
 * are the events' `CloudTrailEvent` JSON exactly as CloudTrail returned it, newest first (the
 * order LookupEvents answers in), across parts in part order.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CloudTrailClient, LookupEventsCommand, type Event as CloudTrailLookupEvent } from '@aws-sdk/client-cloudtrail';
import * as z from 'zod';
import type { MemberCredentials, MemberSession } from '#shared/adapters/member-session.ts';
import { partitionOfRegion } from '#shared/catalogue/arn.ts';
import { EvidenceExistsError } from '#shared/evidence/errors.ts';
import type { JsonValue } from '#shared/json.ts';
import type { EvidenceObject, EvidenceStore } from '#shared/ports.ts';
import type { CloudAction, CloudActionContext, CloudActionFamily, StepProgress } from './cloud-action.ts';
import { ChangeNotVisibleError, InvalidTargetError, ThrottlingError, fromAwsError } from './errors.ts';

/** The evidence object of a lookup that fits in one part. */
export const cloudTrailEvidenceName = 'cloudtrail-events.jsonl';
export const cloudTrailEvidenceContentType = 'application/x-ndjson';

/** Part `index` (from 1) of a lookup written in several parts. */
export function cloudTrailEvidencePartName(index: number): string {
  return `cloudtrail-events-part-${String(index).padStart(4, '0')}.jsonl`;
}

/** LookupEvents' quota: 2 requests per second per account and region. */
export const lookupEventsPerSecond = 2;
/**
 * The pace kept: a little under the quota (one request every 525 ms, about 1.9 a second), so the
 * jitter between taking a token and the request reaching AWS never puts three in one second.
 */
const pacedRequestsPerSecond = 1000 / (1000 / lookupEventsPerSecond + 25);
/** LookupEvents' largest page. */
const pageSize = 50;
/** Access key ids CloudTrail records: long-term (AKIA) and temporary (ASIA). */
const accessKeyIdPattern = /^(?:AKIA|ASIA)[A-Z0-9]{16}$/;

/**
 * A token bucket holding one token, refilled `ratePerSecond` times a second, handed out in the
 * order callers ask. The refill counts from when the last token was actually handed out, not from
 * when it was due: a caller that got its token late (a busy event loop) never lets the next one in
 * early, so no two requests ever leave closer than 1/rate apart.
 */
export class TokenBucket {
  readonly #intervalMs: number;
  #lastHandedOut = Number.NEGATIVE_INFINITY;
  #queue: Promise<void> = Promise.resolve();

  constructor(ratePerSecond: number) {
    if (!(ratePerSecond > 0)) throw new RangeError('a token bucket needs a positive rate');
    this.#intervalMs = 1000 / ratePerSecond;
  }

  /** Waits for the token. */
  take(): Promise<void> {
    const turn = this.#queue.then(async () => {
      // Timers may fire a fraction of a millisecond early by this clock: wait until the instant is really reached.
      for (let wait = this.#lastHandedOut + this.#intervalMs - performance.now(); wait > 0; wait = this.#lastHandedOut + this.#intervalMs - performance.now()) {
        await sleep(Math.ceil(wait));
      }
      this.#lastHandedOut = performance.now();
    });
    this.#queue = turn;
    return turn;
  }
}

const lookupBuckets = new Map<string, TokenBucket>();

/** The bucket every LookupEvents request to this account and region goes through, in this process. */
export function lookupEventsBucket(accountId: string, region: string): TokenBucket {
  const key = `${partitionOfRegion(region)}:${accountId}:${region}`;
  let bucket = lookupBuckets.get(key);
  if (bucket === undefined) {
    bucket = new TokenBucket(pacedRequestsPerSecond);
    lookupBuckets.set(key, bucket);
  }
  return bucket;
}

/**
 * CloudTrail clients of one member-account session, one per region: an action names its region,
 * the session does not. SDK retries are off (`maxAttempts: 1`) so that every attempt passes the
 * token bucket; the lookup retries throttling itself.
 */
export class RegionalCloudTrailClients {
  readonly #credentials: MemberCredentials;
  readonly #clients = new Map<string, CloudTrailClient>();

  constructor(credentials: MemberCredentials) {
    this.#credentials = credentials;
  }

  /** The client for `region`; no endpoint, so AWS_ENDPOINT_URL is followed like every target-account call. */
  in(region: string): CloudTrailClient {
    let client = this.#clients.get(region);
    if (client === undefined) {
      client = new CloudTrailClient({ region, credentials: this.#credentials, maxAttempts: 1 });
      this.#clients.set(region, client);
    }
    return client;
  }

  destroy(): void {
    for (const client of this.#clients.values()) client.destroy();
    this.#clients.clear();
  }
}

// A type alias, not an interface, so it fits SessionClients' index signature.
export type CloudTrailClients = { readonly cloudTrail: RegionalCloudTrailClients };

type CloudTrailContext = CloudActionContext<CloudTrailClients>;

/** Reading or writing the service's own evidence bucket failed (not the target account: named apart). */
export class EvidenceStoreError extends Error {
  override readonly name = 'EvidenceStoreError';
}

export interface CloudTrailFamilyOptions {
  /** Where the events go: the service's evidence store, never an S3 client of a target account. */
  readonly evidence: EvidenceStore;
  /**
   * How long one step may keep reading pages before it saves its place and hands over: 3 minutes,
   * so that a step (a page with its retries and the last write included) stays under 4 minutes,
   * well inside the Task's and the Lambda function's 5.
   */
  readonly stepBudgetMs?: number;
  /** Pages one step reads at most (unbounded by default; tests use a few to exercise the hand-over). */
  readonly maxPagesPerStep?: number;
  /** A part is written once its events reach this many bytes: 8 MiB, one PUT anywhere (the embedded S3 takes at most 11). */
  readonly maxPartBytes?: number;
  /** Retries of a throttled (or 5xx) request: attempts in all, and exponential backoff with jitter between them. */
  readonly retry?: { readonly attempts?: number; readonly baseDelayMs?: number; readonly maxDelayMs?: number };
}

interface Settings {
  readonly evidence: EvidenceStore;
  readonly stepBudgetMs: number;
  readonly maxPagesPerStep: number;
  readonly maxPartBytes: number;
  readonly retry: { readonly attempts: number; readonly baseDelayMs: number; readonly maxDelayMs: number };
}

const eventTimeRangeSchema = z.object({ earliest: z.string(), latest: z.string() }).nullable();

const evidenceEntrySchema = z.object({
  name: z.string(),
  key: z.string(),
  size: z.number(),
  sha256: z.string(),
  contentType: z.string(),
  eventCount: z.number().int(),
});
type EvidenceEntry = z.infer<typeof evidenceEntrySchema>;

/**
 * What the lookup has done so far, kept in the record's `result` from capture on: the plan, the
 * NextToken to continue from (null once complete) and every part written. A retried step starts
 * again from the last recorded place, so nothing is counted or written twice.
 */
const progressSchema = z.object({
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
type Progress = z.infer<typeof progressSchema>;
type Plan = Pick<Progress, 'account' | 'region' | 'lookupAttribute' | 'filters' | 'window'>;

function textInput(context: CloudTrailContext, name: string): string | null {
  const value = context.record.inputs[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * The lookup from the inputs: `ct.user` as an AccessKeyId when it looks like one, else as the
 * Username; without `ct.user`, the Username is the last segment of `ct.user.arn` (`alice` of
 * `...:user/path/alice`, the session name of `...:assumed-role/role/session`). Events are then
 * kept only when their `userIdentity` matches `ct.user.arn` and `ct.user.identitytype` where given.
 */
function planOf(context: CloudTrailContext): Plan {
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

function startingProgress(plan: Plan): Progress {
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

function readProgress(context: CloudTrailContext): Progress {
  const parsed = progressSchema.safeParse(context.record.result);
  if (!parsed.success) {
    throw new InvalidTargetError(`action ${context.record.id} has no recorded lookup to continue (its capture step did not run)`);
  }
  return parsed.data;
}

/** One event as kept (its JSON line and time), or why it was not kept. */
type Classified = { readonly line: string; readonly time: string | null } | 'filteredOut' | 'unreadable';

function parseEventBody(text: string | undefined): { [key: string]: unknown } | null {
  if (text === undefined) return null;
  try {
    const body: unknown = JSON.parse(text);
    return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { [key: string]: unknown }) : null;
  } catch {
    return null;
  }
}

function classify(event: CloudTrailLookupEvent, filters: Plan['filters']): Classified {
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

function widen(range: Progress['eventTimeRange'], time: string | null): Progress['eventTimeRange'] {
  if (time === null) return range;
  if (range === null) return { earliest: time, latest: time };
  return {
    earliest: Date.parse(time) < Date.parse(range.earliest) ? time : range.earliest,
    latest: Date.parse(time) > Date.parse(range.latest) ? time : range.latest,
  };
}

function isRetryable(error: unknown, mapped: unknown): boolean {
  if (mapped instanceof ThrottlingError) return true;
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' && status >= 500;
}

/** One LookupEvents page, paced by the bucket, throttling and 5xx retried with exponential backoff and jitter. */
async function lookupPage(
  context: CloudTrailContext,
  settings: Settings,
  progress: Progress,
  counters: { requests: number; throttledRequests: number },
): Promise<{ events: readonly CloudTrailLookupEvent[]; nextToken: string | null }> {
  const client = context.clients.cloudTrail.in(progress.region);
  const bucket = lookupEventsBucket(progress.account, progress.region);
  const command = new LookupEventsCommand({
    LookupAttributes: [{ AttributeKey: progress.lookupAttribute.key, AttributeValue: progress.lookupAttribute.value }],
    StartTime: new Date(progress.window.from),
    EndTime: new Date(progress.window.to),
    MaxResults: pageSize,
    ...(progress.nextToken === null ? {} : { NextToken: progress.nextToken }),
  });
  for (let attempt = 1; ; attempt += 1) {
    await bucket.take();
    counters.requests += 1;
    try {
      const page = await client.send(command);
      return { events: page.Events ?? [], nextToken: page.NextToken === undefined || page.NextToken === '' ? null : page.NextToken };
    } catch (error) {
      const mapped = fromAwsError(error, {
        accountId: progress.account,
        operation: `cloudtrail:LookupEvents in ${progress.region}`,
      });
      if (mapped instanceof ThrottlingError) counters.throttledRequests += 1;
      if (!isRetryable(error, mapped) || attempt >= settings.retry.attempts) throw mapped;
      const ceiling = Math.min(settings.retry.maxDelayMs, settings.retry.baseDelayMs * 2 ** (attempt - 1));
      await sleep(ceiling / 2 + Math.random() * (ceiling / 2));
    }
  }
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** `cloudtrail-events.jsonl` → `cloudtrail-events-r2.jsonl`: where a retried write goes when its first name holds other bytes. */
function retryName(name: string, attempt: number): string {
  return name.replace(/\.jsonl$/, `-r${attempt}.jsonl`);
}

/**
 * Writes one part once. A name that already exists was written by an earlier attempt of this step
 * that failed before recording it: the same bytes are taken as written; other bytes (events that
 * arrived late in the window) are kept where they are, listed as unrecorded, and this part goes
 * under a retry name.
 */
async function writePart(
  context: CloudTrailContext,
  settings: Settings,
  name: string,
  body: string,
  eventCount: number,
): Promise<{ entry: EvidenceEntry; unrecorded: string[] }> {
  const unrecorded: string[] = [];
  const sha256 = sha256Hex(body);
  const size = Buffer.byteLength(body, 'utf8');
  for (let attempt = 1; attempt <= 5; attempt += 1) {
    const candidate = attempt === 1 ? name : retryName(name, attempt);
    let object: EvidenceObject | undefined;
    try {
      object = await settings.evidence.put(context.record.id, candidate, body, cloudTrailEvidenceContentType);
    } catch (error) {
      if (!(error instanceof EvidenceExistsError)) {
        throw new EvidenceStoreError(`writing evidence ${candidate} of action ${context.record.id} failed: ${describe(error)}`, { cause: error });
      }
      object = (await listEvidence(context, settings)).find((listed) => listed.name === candidate);
      if (object?.sha256 !== sha256 || object.size !== size) {
        unrecorded.push(candidate);
        continue;
      }
    }
    return { entry: { name: object.name, key: object.key, size: object.size, sha256: object.sha256, contentType: object.contentType, eventCount }, unrecorded };
  }
  throw new EvidenceStoreError(`evidence ${name} of action ${context.record.id} could not be written under any free name`);
}

async function listEvidence(context: CloudTrailContext, settings: Settings): Promise<EvidenceObject[]> {
  try {
    return await settings.evidence.list(context.record.id);
  } catch (error) {
    throw new EvidenceStoreError(`listing the evidence of action ${context.record.id} failed: ${describe(error)}`, { cause: error });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

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

/** What the record keeps when the lookup is complete: the progress without its place, and the one object's name and SHA-256 when there is one. */
function finalResult(progress: Progress): JsonValue {
  const { nextToken: _nextToken, complete: _complete, unrecordedEvidence, ...rest } = progress;
  const [only] = progress.evidence.length === 1 ? progress.evidence : [];
  return {
    ...rest,
    ...(unrecordedEvidence.length > 0 ? { unrecordedEvidence } : {}),
    ...(only === undefined ? {} : { evidenceObject: only.name, sha256: only.sha256 }),
  };
}

function fetchCloudLogs(settings: Settings): CloudAction<CloudTrailClients> {
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
  };
}

/**
 * The CloudTrail family, bound to the evidence store it writes to (the step function's deps carry
 * no evidence store, so the family takes it). In member accounts its function needs
 * cloudtrail:LookupEvents, which has no resource-level permissions (Resource "*").
 */
export function cloudTrailFamily(options: CloudTrailFamilyOptions): CloudActionFamily<CloudTrailClients> {
  const settings: Settings = {
    evidence: options.evidence,
    stepBudgetMs: options.stepBudgetMs ?? 180_000,
    maxPagesPerStep: options.maxPagesPerStep ?? Number.POSITIVE_INFINITY,
    maxPartBytes: options.maxPartBytes ?? 8 * 1024 * 1024,
    retry: {
      attempts: options.retry?.attempts ?? 6,
      baseDelayMs: options.retry?.baseDelayMs ?? 1000,
      maxDelayMs: options.retry?.maxDelayMs ?? 20_000,
    },
  };
  return {
    name: 'cloudtrail',
    actions: [fetchCloudLogs(settings)],
    createClients(session: MemberSession): CloudTrailClients {
      return { cloudTrail: new RegionalCloudTrailClients(session.credentials) };
    },
  };
}
