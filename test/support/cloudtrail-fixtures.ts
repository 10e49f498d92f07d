/**
 * A stand-in for CloudTrail's event history (moto has no LookupEvents): events shaped as
 * LookupEvents returns them, and a pager that answers LookupEventsCommand the way the service
 * does (one lookup attribute, the time window, newest first, NextToken pages), recording when each
 * request arrived and failing the ones a test asks it to throttle.
 */
import { randomUUID } from 'node:crypto';
import { ThrottlingException, type Event, type LookupEventsCommandInput, type LookupEventsCommandOutput } from '@aws-sdk/client-cloudtrail';

/** Who made a call, as CloudTrail's `userIdentity` records it. */
export interface FixtureIdentity {
  readonly type: 'IAMUser' | 'AssumedRole' | 'Root' | 'AWSService';
  readonly arn: string;
  /** The Username lookup attribute (the user name, or the role session name). */
  readonly userName: string;
  readonly accessKeyId: string;
}

export function iamUserIdentity(accountId: string, name: string, accessKeyId: string): FixtureIdentity {
  return { type: 'IAMUser', arn: `arn:aws:iam::${accountId}:user/${name}`, userName: name, accessKeyId };
}

export function assumedRoleIdentity(accountId: string, role: string, session: string, accessKeyId: string): FixtureIdentity {
  return { type: 'AssumedRole', arn: `arn:aws:sts::${accountId}:assumed-role/${role}/${session}`, userName: session, accessKeyId };
}

/** One event in the LookupEvents shape, its `CloudTrailEvent` the compact JSON CloudTrail returns. */
export function cloudTrailEvent(identity: FixtureIdentity, eventName: string, eventTime: Date, region = 'eu-west-1'): Event {
  const eventId = randomUUID();
  const body = {
    eventVersion: '1.09',
    userIdentity: {
      type: identity.type,
      principalId: `AIDA${eventId.replace(/-/g, '').slice(0, 17).toUpperCase()}`,
      arn: identity.arn,
      accountId: identity.arn.split(':')[4],
      accessKeyId: identity.accessKeyId,
      userName: identity.userName,
    },
    eventTime: eventTime.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: 'iam.amazonaws.com',
    eventName,
    awsRegion: region,
    sourceIPAddress: '203.0.113.7',
    userAgent: 'aws-cli/2.17.0',
    requestParameters: { note: 'quotes " and unicode é stay as CloudTrail wrote them' },
    eventID: eventId,
    readOnly: eventName.startsWith('Get') || eventName.startsWith('List'),
    eventType: 'AwsApiCall',
  };
  return {
    EventId: eventId,
    EventName: eventName,
    ReadOnly: String(body.readOnly),
    AccessKeyId: identity.accessKeyId,
    EventTime: new Date(body.eventTime),
    EventSource: body.eventSource,
    Username: identity.userName,
    Resources: [],
    CloudTrailEvent: JSON.stringify(body),
  };
}

/** What a request carried and when it arrived (performance.now()). */
export interface LookupRequest {
  readonly at: number;
  readonly input: LookupEventsCommandInput;
  readonly outcome: 'page' | 'throttled';
}

export interface FakeEventHistory {
  /** Answers one LookupEventsCommand; bind it with `stub.on(LookupEventsCommand).callsFake(history.lookup)`. */
  readonly lookup: (input: LookupEventsCommandInput) => Promise<LookupEventsCommandOutput>;
  readonly requests: LookupRequest[];
  /** After `pages` more pages are answered, throttles the next `count` requests (ThrottlingException, as CloudTrail answers beyond 2 TPS). */
  throttleAfter(pages: number, count: number): void;
  /** The events a lookup with this attribute and window matches, newest first (before any identity filter). */
  matching(input: Pick<LookupEventsCommandInput, 'LookupAttributes' | 'StartTime' | 'EndTime'>): Event[];
}

/**
 * LookupEvents over `events`: one lookup attribute (Username or AccessKeyId), StartTime and
 * EndTime inclusive, newest first, `pageSize` events a page (CloudTrail may answer fewer than
 * MaxResults), NextToken an opaque string bound to the request.
 */
export function fakeEventHistory(events: readonly Event[], pageSize: number): FakeEventHistory {
  const requests: LookupRequest[] = [];
  let pagesBeforeThrottling = 0;
  let throttles = 0;
  const tokens = new Map<string, { offset: number; signature: string }>();

  function matching(input: Pick<LookupEventsCommandInput, 'LookupAttributes' | 'StartTime' | 'EndTime'>): Event[] {
    const [attribute, ...more] = input.LookupAttributes ?? [];
    if (attribute === undefined || more.length > 0) throw new Error('LookupEvents takes exactly one lookup attribute');
    const from = input.StartTime?.getTime() ?? Number.NEGATIVE_INFINITY;
    const to = input.EndTime?.getTime() ?? Number.POSITIVE_INFINITY;
    return events
      .filter((event) => {
        const value = attribute.AttributeKey === 'Username' ? event.Username : attribute.AttributeKey === 'AccessKeyId' ? event.AccessKeyId : undefined;
        const time = event.EventTime?.getTime() ?? 0;
        return value === attribute.AttributeValue && time >= from && time <= to;
      })
      .sort((a, b) => (b.EventTime?.getTime() ?? 0) - (a.EventTime?.getTime() ?? 0));
  }

  return {
    requests,
    matching,
    throttleAfter(pages, count) {
      pagesBeforeThrottling = pages;
      throttles = count;
    },
    lookup(input) {
      const at = performance.now();
      if (throttles > 0 && pagesBeforeThrottling === 0) {
        throttles -= 1;
        requests.push({ at, input, outcome: 'throttled' });
        return Promise.reject(new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }));
      }
      requests.push({ at, input, outcome: 'page' });
      if (pagesBeforeThrottling > 0) pagesBeforeThrottling -= 1;
      const signature = JSON.stringify([input.LookupAttributes, input.StartTime, input.EndTime]);
      let offset = 0;
      if (input.NextToken !== undefined) {
        const token = tokens.get(input.NextToken);
        if (token?.signature !== signature) return Promise.reject(new Error(`NextToken ${input.NextToken} was not issued for this request`));
        offset = token.offset;
      }
      const all = matching(input);
      const page = all.slice(offset, offset + Math.min(pageSize, input.MaxResults ?? 50));
      let NextToken: string | undefined;
      if (offset + page.length < all.length) {
        NextToken = randomUUID();
        tokens.set(NextToken, { offset: offset + page.length, signature });
      }
      return Promise.resolve({ Events: page, ...(NextToken === undefined ? {} : { NextToken }), $metadata: { httpStatusCode: 200 } });
    },
  };
}

/** SHA-256 by WebCrypto, independent of the node:crypto hashing the evidence store and the action use. */
export async function webCryptoSha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', Uint8Array.from(bytes));
  return Buffer.from(digest).toString('hex');
}

/** The most requests any one-second window holds (a window starts at each request). */
export function mostRequestsInAnySecond(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let start = 0; start < sorted.length; start += 1) {
    const first = sorted[start] ?? 0;
    let count = 0;
    for (let index = start; index < sorted.length && (sorted[index] ?? 0) < first + 1000; index += 1) count += 1;
    most = Math.max(most, count);
  }
  return most;
}
