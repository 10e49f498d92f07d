/**
 * LookupEvents, one page at a time, as fetch-cloud-logs calls it. LookupEvents answers at most 50
 * events a page and is limited to 2 requests per second per account and region (AWS's documented
 * quota; more is throttled): every request, retries included, passes a token bucket shared per
 * account and region by every action in this process. (Functions in other containers have their
 * own buckets; throttling they cause is retried with backoff here, and by the state machine after
 * that.) The SDK's paginator does not fit: a lookup saves its NextToken in the record and goes on
 * in the next step.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CloudTrailClient, LookupEventsCommand, type Event as CloudTrailLookupEvent } from '@aws-sdk/client-cloudtrail';
import type { MemberSession } from '#shared/adapters/member-session.ts';
import { partitionOfRegion } from '#shared/catalogue/arn.ts';
import type { EvidenceStore } from '#shared/ports.ts';
import type { CloudActionContext } from '../cloud-action.ts';
import { AwsRequestFailedError, ThrottlingError, fromAwsError } from '../errors.ts';
import { RegionalClients } from '../kit/regional-clients.ts';
import type { Progress } from './lookup-plan.ts';
import { traced } from '#shared/observability/tracing.ts';

/** LookupEvents' quota: 2 requests per second per account and region. */
export const lookupEventsPerSecond = 2;
/**
 * The pace kept: a little under the quota (one request every 525 ms, about 1.9 a second), so the
 * jitter between taking a token and the request reaching AWS never puts three in one second.
 */
const pacedRequestsPerSecond = 1000 / (1000 / lookupEventsPerSecond + 25);
/** LookupEvents' largest page. */
const pageSize = 50;
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

// A type alias, not an interface, so it fits SessionClients' index signature.
export type CloudTrailClients = { readonly cloudTrail: RegionalClients<CloudTrailClient> };

export type CloudTrailContext = CloudActionContext<CloudTrailClients>;

/**
 * CloudTrail clients of one member-account session, one per region: an action names its region,
 * the session does not. SDK retries are off (`maxAttempts: 1`) so that every attempt passes the
 * token bucket; the lookup retries throttling itself. No endpoint: AWS_ENDPOINT_URL is followed.
 */
export function createCloudTrailClients(session: MemberSession): CloudTrailClients {
  return { cloudTrail: new RegionalClients((region) => traced(new CloudTrailClient({ region, credentials: session.credentials, maxAttempts: 1 }))) };
}

/** The family's settings, defaults filled in (see CloudTrailFamilyOptions). */
export interface Settings {
  readonly evidence: EvidenceStore;
  readonly stepBudgetMs: number;
  readonly maxPagesPerStep: number;
  readonly maxPartBytes: number;
  readonly retry: { readonly attempts: number; readonly baseDelayMs: number; readonly maxDelayMs: number };
}

function isRetryable(error: unknown, mapped: unknown): boolean {
  if (mapped instanceof ThrottlingError) return true;
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' && status >= 500;
}

/** One LookupEvents page, paced by the bucket, throttling and 5xx retried with exponential backoff and jitter. */
export async function lookupPage(
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
      const elsewhere = notCloudTrail(error, progress.region);
      if (elsewhere !== undefined) throw elsewhere;
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

/**
 * The answer did not come from the CloudTrail API (which always answers JSON): an endpoint without
 * CloudTrail, such as moto_server, answering an HTML error page. Retrying cannot help, so the action
 * ends at once saying so. A gateway's 502/503/504 page may be passing: those are retried as 5xx.
 */
function notCloudTrail(error: unknown, region: string): AwsRequestFailedError | undefined {
  const response = (error as { $response?: { statusCode?: number; headers?: Record<string, string | undefined> } } | null)?.$response;
  const type = response?.headers?.['content-type'];
  const status = response?.statusCode;
  if (type === undefined || /json/i.test(type) || status === 502 || status === 503 || status === 504) return undefined;
  const configured = process.env['AWS_ENDPOINT_URL_CLOUDTRAIL'] ?? process.env['AWS_ENDPOINT_URL'];
  const where = configured === undefined || configured.trim() === '' ? `CloudTrail's endpoint in ${region}` : configured.trim();
  const mediaType = (type.split(';')[0] ?? '').trim().replace(/[^\w.+/-]/g, '').slice(0, 60);
  return new AwsRequestFailedError(
    `CloudTrail is not available at ${where}: cloudtrail:LookupEvents was answered with ${mediaType || 'a non-JSON body'}` +
      `${status === undefined ? '' : ` (HTTP ${String(status)})`}, not by the CloudTrail API (moto_server, for one, has no CloudTrail event history); ` +
      'fetch-cloud-logs needs CloudTrail: run it against AWS, or set AWS_ENDPOINT_URL_CLOUDTRAIL to an endpoint that serves it',
    { cause: error },
  );
}
