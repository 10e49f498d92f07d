import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cloudTrailEvidenceContentType, cloudTrailEvidenceName, cloudTrailEvidencePartName } from '#shared/actions/cloudtrail/index.ts';
import { statesEntered } from '#test/support/cloud-runs.ts';
import {
  assumedRoleIdentity,
  cloudTrailEvent,
  fakeEventHistory,
  iamUserIdentity,
  mostRequestsInAnySecond,
  webCryptoSha256,
} from '#test/support/cloudtrail-fixtures.ts';
import { bind, evidence, evidenceOf, front, hour, minute, newRecord, objectBytes, ProgressLostOnceRepository, region, run, runtimeWith, useCloudTrailHarness } from '#test/support/cloudtrail-harness.ts';
import { motoAccountId } from '#test/support/moto-iam.ts';

useCloudTrailHarness();

describe('fetch-cloud-logs through the shipped state machine, CloudTrail mocked, evidence on the embedded S3', () => {
  it(
    'collects an IAM user over several pages, keeps only its own events, retries throttling, stays under 2 requests/s and writes one JSON Lines object with its SHA-256',
    async () => {
      // Prepare
      const now = Date.now();
      const alice = iamUserIdentity(motoAccountId, `alice-${randomUUID().slice(0, 6)}`, 'AKIAIOSFODNN7EXAMPLE');
      // A role session with the same name is found by the same Username lookup: its events must be filtered out.
      const namesake = assumedRoleIdentity(motoAccountId, 'ci-deploy', alice.userName, 'ASIAIOSFODNN7EXAMPLE');
      const bob = iamUserIdentity(motoAccountId, 'bob', 'AKIAI44QH8DHBEXAMPLE');
      const aliceEvents = Array.from({ length: 7 }, (_, index) => cloudTrailEvent(alice, index % 2 === 0 ? 'CreateAccessKey' : 'ListUsers', new Date(now - (index + 1) * 10 * minute)));
      const history = fakeEventHistory(
        [
          ...aliceEvents,
          ...Array.from({ length: 3 }, (_, index) => cloudTrailEvent(namesake, 'AssumeRole', new Date(now - (index + 1) * 7 * minute))),
          ...Array.from({ length: 2 }, (_, index) => cloudTrailEvent(bob, 'GetUser', new Date(now - (index + 1) * 5 * minute))),
          // Before the window: CloudTrail does not return it.
          cloudTrailEvent(alice, 'DeleteUser', new Date(now - 5 * hour)),
        ],
        3,
      );
      history.throttleAfter(1, 2);
      bind(history);
      const from = new Date(now - 4 * hour).toISOString();
      const to = new Date(now - minute).toISOString();
      const runtime = runtimeWith();

      // Act
      const record = await run(
        runtime,
        newRecord({ 'aws.account.id': motoAccountId, 'aws.region': region, 'ct.user.arn': alice.arn, 'ct.user.identitytype': 'IAMUser', fromTimestamp: from, toTimestamp: to }),
      );

      // Assess
      expect(record.status, JSON.stringify(record.error)).toBe('Completed');
      expect(statesEntered(runtime.history(record.id))).toEqual(['MarkRunning', 'Capture', 'Apply', 'ApplyPending', 'Verify', 'MarkCompleted']);
      // Pages: 10 events of that Username in the window, 3 a page; the second page throttled twice, then answered.
      expect(history.requests.map((request) => request.outcome)).toEqual(['page', 'throttled', 'throttled', 'page', 'page', 'page']);
      for (const request of history.requests) {
        expect(request.input).toMatchObject({
          LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: alice.userName }],
          StartTime: new Date(from),
          EndTime: new Date(to),
        });
      }
      const tokens = history.requests.map((request) => request.input.NextToken);
      expect(tokens[0]).toBeUndefined();
      expect(new Set(tokens.slice(1, 4)).size).toBe(1);
      expect(mostRequestsInAnySecond(history.requests.map((request) => request.at))).toBeLessThanOrEqual(2);
      const gaps = history.requests.slice(1).map((request, index) => request.at - (history.requests[index]?.at ?? 0));
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(500);

      const expectedLines = aliceEvents.map((event) => event.CloudTrailEvent ?? '');
      const [object] = evidenceOf(record);
      expect(record.result).toEqual({
        account: motoAccountId,
        region,
        lookupAttribute: { key: 'Username', value: alice.userName },
        filters: { userArn: alice.arn, identityType: 'IAMUser' },
        window: { from, to },
        steps: 1,
        pages: 4,
        requests: 6,
        throttledRequests: 2,
        eventsRead: 10,
        eventCount: 7,
        eventsFilteredOut: 3,
        unreadableEvents: 0,
        eventTimeRange: {
          earliest: new Date(now - 70 * minute).toISOString().replace(/\.\d{3}Z$/, '.000Z'),
          latest: new Date(now - 10 * minute).toISOString().replace(/\.\d{3}Z$/, '.000Z'),
        },
        evidence: [
          {
            name: cloudTrailEvidenceName,
            key: `actions/${record.id}/${cloudTrailEvidenceName}`,
            size: Buffer.byteLength(expectedLines.map((line) => `${line}\n`).join('')),
            sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as string,
            contentType: cloudTrailEvidenceContentType,
            eventCount: 7,
          },
        ],
        evidenceObject: cloudTrailEvidenceName,
        sha256: object?.sha256,
      });
      const bytes = await objectBytes(object?.key ?? '');
      expect(await webCryptoSha256(bytes)).toBe(object?.sha256);
      // CloudTrail's own event bodies, byte for byte, newest first, one a line.
      expect(Buffer.from(bytes).toString('utf8')).toBe(expectedLines.map((line) => `${line}\n`).join(''));
      expect(await evidence.list(record.id)).toEqual([
        expect.objectContaining({ name: cloudTrailEvidenceName, sha256: object?.sha256, contentType: cloudTrailEvidenceContentType }),
      ]);
      expect(record.prior).toBeNull();
      expect(record.applied).toBeNull();
      expect(record.undo).toEqual({ available: false, type: null, actionId: null });
    },
  );

  it('continues a long lookup by access key id over several steps, one numbered part per step', async () => {
    // Prepare
    const now = Date.now();
    const accessKeyId = 'AKIAJ7EXAMPLEKEY0001';
    const carol = iamUserIdentity(motoAccountId, 'carol', accessKeyId);
    const events = Array.from({ length: 9 }, (_, index) => cloudTrailEvent(carol, 'PutObject', new Date(now - (index + 1) * minute)));
    const history = fakeEventHistory(events, 2);
    bind(history);
    const runtime = runtimeWith({ maxPagesPerStep: 2 });
    const from = new Date(now - hour).toISOString();
    const to = new Date(now).toISOString();

    // Act
    const record = await run(
      runtime,
      newRecord({ 'aws.account.id': motoAccountId, 'aws.region': region, 'ct.user': accessKeyId, fromTimestamp: from, toTimestamp: to }),
    );

    // Assess
    expect(record.status, JSON.stringify(record.error)).toBe('Completed');
    expect(statesEntered(runtime.history(record.id)).filter((state) => state === 'Apply' || state === 'Check')).toEqual(['Apply', 'Check', 'Check']);
    expect(history.requests.map((request) => request.input.LookupAttributes)).toEqual(
      Array.from({ length: 5 }, () => [{ AttributeKey: 'AccessKeyId', AttributeValue: accessKeyId }]),
    );
    expect(mostRequestsInAnySecond(history.requests.map((request) => request.at))).toBeLessThanOrEqual(2);
    const parts = evidenceOf(record);
    expect(parts.map((part) => [part.name, part.eventCount])).toEqual([
      [cloudTrailEvidencePartName(1), 4],
      [cloudTrailEvidencePartName(2), 4],
      [cloudTrailEvidencePartName(3), 1],
    ]);
    expect(record.result).toMatchObject({ lookupAttribute: { key: 'AccessKeyId', value: accessKeyId }, filters: { userArn: null, identityType: null }, steps: 3, pages: 5, eventCount: 9 });
    expect(record.result).not.toHaveProperty('evidenceObject');
    expect(record.result).not.toHaveProperty('nextToken');
    let content = '';
    for (const part of parts) {
      const bytes = await objectBytes(part.key);
      expect(await webCryptoSha256(bytes)).toBe(part.sha256);
      content += Buffer.from(bytes).toString('utf8');
    }
    expect(content).toBe(events.map((event) => `${event.CloudTrailEvent ?? ''}\n`).join(''));
    expect((await evidence.list(record.id)).map((object) => object.name)).toEqual(parts.map((part) => part.name));
  });

  it('writes an empty object, with the SHA-256 of nothing, when no event matches', async () => {
    // Prepare
    const history = fakeEventHistory([], 50);
    bind(history);
    const runtime = runtimeWith();

    // Act
    const record = await run(
      runtime,
      newRecord({
        'aws.account.id': motoAccountId,
        'aws.region': region,
        'ct.user': 'nobody',
        fromTimestamp: new Date(Date.now() - hour).toISOString(),
        toTimestamp: new Date(Date.now() - minute).toISOString(),
      }),
    );

    // Assess
    expect(record.status, JSON.stringify(record.error)).toBe('Completed');
    const emptySha256 = await webCryptoSha256(new Uint8Array());
    expect(record.result).toMatchObject({ eventCount: 0, eventTimeRange: null, evidenceObject: cloudTrailEvidenceName, sha256: emptySha256 });
    expect(await evidence.list(record.id)).toEqual([expect.objectContaining({ name: cloudTrailEvidenceName, size: 0, sha256: emptySha256 })]);
  });

  it('hands throttling that outlasts its own retries to the state machine, whose retry continues the lookup', async () => {
    // Prepare
    const now = Date.now();
    const dave = iamUserIdentity(motoAccountId, 'dave', 'AKIAJ7EXAMPLEKEY0002');
    const history = fakeEventHistory([cloudTrailEvent(dave, 'GetObject', new Date(now - minute))], 50);
    history.throttleAfter(0, 3);
    bind(history);
    const runtime = runtimeWith({ retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 } });

    // Act
    const record = await run(
      runtime,
      newRecord({ 'aws.account.id': motoAccountId, 'aws.region': region, 'ct.user': 'dave', fromTimestamp: new Date(now - hour).toISOString(), toTimestamp: new Date(now).toISOString() }),
    );

    // Assess
    expect(record.status, JSON.stringify(record.error)).toBe('Completed');
    expect(runtime.history(record.id).filter((event) => event.type === 'StateRetried' && event.state.name === 'Apply')).toHaveLength(1);
    expect(history.requests.map((request) => request.outcome)).toEqual(['throttled', 'throttled', 'throttled', 'page']);
    expect(record.result).toMatchObject({ eventCount: 1, requests: 2, throttledRequests: 1 });
  });

  it('writes a new part whenever the events gathered reach the part size, within one step', async () => {
    // Prepare
    const now = Date.now();
    const erin = iamUserIdentity(motoAccountId, 'erin', 'AKIAJ7EXAMPLEKEY0003');
    const events = Array.from({ length: 5 }, (_, index) => cloudTrailEvent(erin, 'GetObject', new Date(now - (index + 1) * minute)));
    bind(fakeEventHistory(events, 2));
    const runtime = runtimeWith({ maxPartBytes: 1 });

    // Act
    const record = await run(
      runtime,
      newRecord({ 'aws.account.id': motoAccountId, 'aws.region': region, 'ct.user': 'erin', fromTimestamp: new Date(now - hour).toISOString(), toTimestamp: new Date(now).toISOString() }),
    );

    // Assess
    expect(record.status, JSON.stringify(record.error)).toBe('Completed');
    expect(record.result).toMatchObject({ steps: 1, pages: 3, eventCount: 5 });
    expect(evidenceOf(record).map((part) => [part.name, part.eventCount])).toEqual([
      [cloudTrailEvidencePartName(1), 2],
      [cloudTrailEvidencePartName(2), 2],
      [cloudTrailEvidencePartName(3), 1],
    ]);
  });

  it('takes the object an attempt wrote but could not record as written, when a retry reads the same events', async () => {
    // Prepare
    const now = Date.now();
    const frank = iamUserIdentity(motoAccountId, 'frank', 'AKIAJ7EXAMPLEKEY0004');
    bind(fakeEventHistory([cloudTrailEvent(frank, 'GetObject', new Date(now - minute))], 50));
    const runtime = runtimeWith({}, new ProgressLostOnceRepository(() => undefined));

    // Act
    const record = await run(
      runtime,
      newRecord({ 'aws.account.id': motoAccountId, 'aws.region': region, 'ct.user': 'frank', fromTimestamp: new Date(now - hour).toISOString(), toTimestamp: new Date(now).toISOString() }),
    );

    // Assess
    expect(record.status, JSON.stringify(record.error)).toBe('Completed');
    expect(runtime.history(record.id).filter((event) => event.type === 'StateRetried' && event.state.name === 'Apply')).toHaveLength(1);
    const listed = await evidence.list(record.id);
    expect(listed.map((object) => object.name)).toEqual([cloudTrailEvidenceName]);
    expect(record.result).toMatchObject({ eventCount: 1, evidenceObject: cloudTrailEvidenceName, sha256: listed[0]?.sha256 });
    expect(record.result).not.toHaveProperty('unrecordedEvidence');
  });

  it('keeps an unrecorded object with other bytes, lists it, and writes the retry under a new name', async () => {
    // Prepare
    const now = Date.now();
    const grace = iamUserIdentity(motoAccountId, 'grace', 'AKIAJ7EXAMPLEKEY0005');
    const events = [cloudTrailEvent(grace, 'GetObject', new Date(now - 2 * minute))];
    bind(fakeEventHistory(events, 50));
    // An event CloudTrail delivered late, between the failed attempt and its retry.
    const late = cloudTrailEvent(grace, 'PutObject', new Date(now - minute));
    const runtime = runtimeWith({}, new ProgressLostOnceRepository(() => events.push(late)));

    // Act
    const record = await run(
      runtime,
      newRecord({ 'aws.account.id': motoAccountId, 'aws.region': region, 'ct.user': 'grace', fromTimestamp: new Date(now - hour).toISOString(), toTimestamp: new Date(now).toISOString() }),
    );

    // Assess
    expect(record.status, JSON.stringify(record.error)).toBe('Completed');
    const retried = 'cloudtrail-events-r2.jsonl';
    expect(record.result).toMatchObject({ eventCount: 2, evidenceObject: retried, unrecordedEvidence: [cloudTrailEvidenceName] });
    expect((await evidence.list(record.id)).map((object) => object.name)).toEqual([retried, cloudTrailEvidenceName]);
    const [object] = evidenceOf(record);
    expect(Buffer.from(await objectBytes(object?.key ?? '')).toString('utf8')).toBe(`${late.CloudTrailEvent ?? ''}\n${events[0]?.CloudTrailEvent ?? ''}\n`);
  });

  it('ends in Error without any call for an account outside TARGET_ACCOUNTS', async () => {
    // Prepare
    const history = fakeEventHistory([], 50);
    bind(history);
    const runtime = runtimeWith();
    const callsBefore = front.requests.length;

    // Act
    const record = await run(
      runtime,
      newRecord({
        'aws.account.id': '111122223333',
        'aws.region': region,
        'ct.user': 'alice',
        fromTimestamp: new Date(Date.now() - hour).toISOString(),
        toTimestamp: new Date(Date.now() - minute).toISOString(),
      }),
    );

    // Assess
    expect(record.status).toBe('Error');
    expect(record.error?.code).toBe('TargetAccountNotAllowed');
    expect(history.requests).toEqual([]);
    expect(front.requests.slice(callsBefore)).toEqual([]);
    expect(await evidence.list(record.id)).toEqual([]);
  });
});
