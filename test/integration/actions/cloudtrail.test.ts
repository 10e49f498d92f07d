import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CloudTrailClient,
  LookupEventsCommand,
  type CloudTrailClientResolvedConfig,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-cloudtrail';
import type { IAMClient } from '@aws-sdk/client-iam';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { startEmbeddedAws, type EmbeddedAws } from '#local/embedded-aws.ts';
import { startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '#local/embedded-dynamodb.ts';
import { createLocalCloudActions, type LocalCloudActions } from '#local/runners/cloud-runner.ts';
import type { ExecutionEvent } from '#local/runners/executions.ts';
import { ThrottlingError } from '#shared/actions/errors.ts';
import {
  cloudTrailEvidenceContentType,
  cloudTrailEvidenceName,
  cloudTrailEvidencePartName,
  cloudTrailFamily,
  type CloudTrailFamilyOptions,
} from '#shared/actions/cloudtrail/index.ts';
import { createHistoryClient, type StoreEndpoint } from '#shared/adapters/dynamodb.ts';
import { StsMemberSessions } from '#shared/adapters/member-session.ts';
import { createEvidenceS3Client, S3EvidenceStore } from '#shared/adapters/s3-evidence-store.ts';
import { validateActionRequest } from '#shared/catalogue/index.ts';
import { systemClock } from '#shared/clock.ts';
import { defaultMemberRoleName, loadConfig, type ServiceConfig } from '#shared/config/config.ts';
import { CursorCodec } from '#shared/history/cursor.ts';
import { createdRecord, type ActionRecord } from '#shared/history/record.ts';
import { HistoryRepository } from '#shared/history/repository.ts';
import type { JsonValue } from '#shared/json.ts';
import {
  assumedRoleIdentity,
  cloudTrailEvent,
  fakeEventHistory,
  iamUserIdentity,
  mostRequestsInAnySecond,
  webCryptoSha256,
  type FakeEventHistory,
} from '#test/support/cloudtrail-fixtures.ts';
import { emulatorCredentials, freshHistory } from '#test/support/history-store.ts';
import { createMemberRoles, motoAccountId, motoIamClient, startMotoFront, type MotoFront } from '#test/support/moto-iam.ts';

const externalId = 'response-actions-test-external-id';
const region = 'eu-west-1';
const minute = 60_000;
const hour = 60 * minute;

let dynalite: EmbeddedDynamoDb;
let front: MotoFront;
let iam: IAMClient;
let sts: STSClient;
let dataDir: string;
let embedded: EmbeddedAws;
let evidenceClient: S3Client;
let evidence: S3EvidenceStore;
let repository: HistoryRepository;
let historyStore: { store: StoreEndpoint; tableName: string };
let config: ServiceConfig;
let cloudTrail: AwsStub<ServiceInputTypes, ServiceOutputTypes, CloudTrailClientResolvedConfig>;
const runtimes: LocalCloudActions[] = [];

beforeAll(async () => {
  const moto = inject('motoEndpoint');
  dynalite = await startEmbeddedDynamoDb();
  front = await startMotoFront(moto);
  // Target-account calls (STS for the member role) follow AWS_ENDPOINT_URL; the evidence store never does.
  vi.stubEnv('AWS_ENDPOINT_URL', front.endpoint);
  iam = motoIamClient(moto);
  await createMemberRoles(iam, defaultMemberRoleName, externalId);
  dataDir = await mkdtemp(path.join(tmpdir(), 'cloudtrail-evidence-'));
  embedded = await startEmbeddedAws({ dataDir });
  evidenceClient = createEvidenceS3Client({ endpoint: embedded.endpoint, region: embedded.region, credentials: embedded.credentials });
  evidence = new S3EvidenceStore({ client: evidenceClient, bucket: embedded.evidenceBucket, clock: systemClock });
  let store: StoreEndpoint;
  let tableName: string;
  ({ repository, store, tableName } = await freshHistory(dynalite.endpoint, systemClock));
  historyStore = { store, tableName };
  config = loadConfig({ TARGET_ACCOUNTS: motoAccountId, MEMBER_ROLE_EXTERNAL_ID: externalId });
  sts = new STSClient({ region: 'us-east-1', credentials: emulatorCredentials });
});

afterAll(async () => {
  await Promise.all(runtimes.map((runtime) => runtime.close()));
  sts.destroy();
  iam.destroy();
  evidenceClient.destroy();
  await embedded.close();
  await rm(dataDir, { recursive: true, force: true });
  await front.close();
  await dynalite.close();
  vi.unstubAllEnvs();
});

beforeEach(() => {
  // moto has no LookupEvents: every CloudTrail client answers from the test's event history.
  cloudTrail = mockClient(CloudTrailClient);
});

afterEach(() => {
  cloudTrail.restore();
});

/** The local runtime on the shipped state machine with the CloudTrail family on the real evidence store. */
function runtimeWith(options: Omit<CloudTrailFamilyOptions, 'evidence'> = {}, history: HistoryRepository = repository): LocalCloudActions {
  const runtime = createLocalCloudActions({
    repository: history,
    config,
    clock: systemClock,
    memberSessions: new StsMemberSessions({ sts, roleName: config.memberRole.name, externalId: config.memberRole.externalId }),
    families: [cloudTrailFamily({ evidence, retry: { baseDelayMs: 20, maxDelayMs: 200 }, ...options })],
    // The definition's retries and waits, minus the pauses (the token bucket still paces every request).
    retryIntervalOverrides: { Capture: 0, Apply: 0, Check: 0, Verify: 0, MarkError: 0 },
    waitTimeOverrides: { WaitForChange: 0 },
  });
  runtimes.push(runtime);
  return runtime;
}

/** A fetch-cloud-logs record exactly as the API would create it (the catalogue checks the window against now). */
function newRecord(inputs: Record<string, string>): ActionRecord {
  const valid = validateActionRequest({ type: 'fetch-cloud-logs', inputs }, { now: systemClock.now() });
  if (!valid.ok) throw new Error(`invalid test request: ${JSON.stringify(valid.errors)}`);
  return createdRecord(
    {
      id: randomUUID(),
      type: 'fetch-cloud-logs',
      category: valid.definition.category,
      executor: valid.executor,
      inputs: valid.inputs,
      resources: valid.resources,
      createdBy: 'analyst-1',
      undoType: valid.definition.undoType,
    },
    systemClock.now(),
  );
}

/**
 * The history, except that the first write of progress that lists evidence fails (as a throttled
 * DynamoDB write would): the step fails after its evidence object was written, and is retried.
 */
class ProgressLostOnceRepository extends HistoryRepository {
  #lost = false;
  readonly #beforeLoss: () => void;

  constructor(beforeLoss: () => void) {
    super({ client: createHistoryClient(historyStore.store), tableName: historyStore.tableName, cursors: new CursorCodec(randomBytes(32)), clock: systemClock });
    this.#beforeLoss = beforeLoss;
  }

  override async recordProgress(id: string, details: { result?: JsonValue; prior?: JsonValue; applied?: JsonValue }): Promise<ActionRecord> {
    const listsEvidence = ((details.result as { evidence?: unknown[] } | undefined)?.evidence?.length ?? 0) > 0;
    if (listsEvidence && !this.#lost) {
      this.#lost = true;
      this.#beforeLoss();
      throw new ThrottlingError('the history table throttled the progress write');
    }
    return super.recordProgress(id, details);
  }
}

async function run(runtime: LocalCloudActions, record: ActionRecord): Promise<ActionRecord> {
  await repository.create(record);
  await runtime.starter.start(record);
  await runtime.idle();
  const final = await repository.get(record.id);
  if (final === null) throw new Error(`record ${record.id} vanished`);
  return final;
}

async function objectBytes(key: string): Promise<Uint8Array> {
  const { Body } = await evidenceClient.send(new GetObjectCommand({ Bucket: embedded.evidenceBucket, Key: key }));
  return (await Body?.transformToByteArray()) ?? new Uint8Array();
}

const statesEntered = (events: readonly ExecutionEvent[]): string[] =>
  events.flatMap((event) => (event.type === 'StateEntered' ? [event.state.name] : []));

function bind(history: FakeEventHistory): void {
  cloudTrail.on(LookupEventsCommand).callsFake(history.lookup);
}

interface EvidenceEntry {
  name: string;
  key: string;
  size: number;
  sha256: string;
  contentType: string;
  eventCount: number;
}

function evidenceOf(record: ActionRecord): EvidenceEntry[] {
  return (record.result as { evidence?: EvidenceEntry[] } | null)?.evidence ?? [];
}

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
