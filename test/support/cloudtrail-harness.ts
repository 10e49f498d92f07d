/**
 * The fetch-cloud-logs tests' setup: member roles in moto_server behind the IAM front, evidence on the
 * S3 evidence bucket on moto_server, the history on dynalite, CloudTrail mocked (moto has no LookupEvents), and the runtime,
 * records and evidence readers the tests use.
 */
import { randomBytes } from 'node:crypto';
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
import { afterAll, afterEach, beforeAll, beforeEach, inject, vi } from 'vitest';
import { startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '#local/embedded-dynamodb.ts';
import { createLocalCloudActions, type LocalCloudActions } from '#local/runners/cloud-runner.ts';
import { ThrottlingError } from '#shared/actions/errors.ts';
import { cloudTrailFamily, type CloudTrailFamilyOptions } from '#shared/actions/cloudtrail/index.ts';
import { createHistoryClient, type StoreEndpoint } from '#shared/adapters/dynamodb.ts';
import { StsMemberSessions } from '#shared/adapters/member-session.ts';
import { S3EvidenceStore } from '#shared/adapters/s3-evidence-store.ts';
import { systemClock } from '#shared/clock.ts';
import { defaultMemberRoleName, loadConfig, type ServiceConfig } from '#shared/config/config.ts';
import { CursorCodec } from '#shared/history/cursor.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { HistoryRepository } from '#shared/history/repository.ts';
import type { JsonValue } from '#shared/json.ts';
import type { FakeEventHistory } from './cloudtrail-fixtures.ts';
import { apiRecord, runToEnd } from './cloud-runs.ts';
import { emulatorCredentials, freshHistory } from './history-store.ts';
import { evidenceBucketOn, type EvidenceBucket } from './evidence-bucket.ts';
import { createMemberRoles, motoAccountId, motoIamClient, startMotoFront, type MotoFront } from './moto-iam.ts';

const externalId = 'response-actions-test-external-id';
export const region = 'eu-west-1';
export const minute = 60_000;
export const hour = 60 * minute;

let dynalite: EmbeddedDynamoDb;
let iam: IAMClient;
let sts: STSClient;
let dataDir: string;
let embedded: EvidenceBucket;
let evidenceClient: S3Client;
// Set by the hooks useCloudTrailHarness registers; each test file gets its own copies (vitest isolates files).
export let front: MotoFront;
export let evidence: S3EvidenceStore;
export let repository: HistoryRepository;
let historyStore: { store: StoreEndpoint; tableName: string };
let config: ServiceConfig;
let cloudTrail: AwsStub<ServiceInputTypes, ServiceOutputTypes, CloudTrailClientResolvedConfig>;
const runtimes: LocalCloudActions[] = [];

/** Registers the file's setup: dynalite, the IAM front before moto, member roles, an S3 evidence bucket on moto_server, CloudTrail mocked per test. */
export function useCloudTrailHarness(): void {
  beforeAll(async () => {
    const moto = inject('motoEndpoint');
    dynalite = await startEmbeddedDynamoDb();
    front = await startMotoFront(moto);
    // Target-account calls (STS for the member role) follow AWS_ENDPOINT_URL; the evidence store never does.
    vi.stubEnv('AWS_ENDPOINT_URL', front.endpoint);
    iam = motoIamClient(moto);
    await createMemberRoles(iam, defaultMemberRoleName, externalId);
    dataDir = await mkdtemp(path.join(tmpdir(), 'cloudtrail-evidence-'));
    embedded = await evidenceBucketOn(moto);
    evidenceClient = embedded.client;
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
}

/** The local runtime on the shipped state machine with the CloudTrail family on the real evidence store. */
export function runtimeWith(options: Omit<CloudTrailFamilyOptions, 'evidence'> = {}, history: HistoryRepository = repository): LocalCloudActions {
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
export function newRecord(inputs: Record<string, string>): ActionRecord {
  return apiRecord('fetch-cloud-logs', inputs);
}

/**
 * The history, except that the first write of progress that lists evidence fails (as a throttled
 * DynamoDB write would): the step fails after its evidence object was written, and is retried.
 */
export class ProgressLostOnceRepository extends HistoryRepository {
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

export async function run(runtime: LocalCloudActions, record: ActionRecord): Promise<ActionRecord> {
  return runToEnd(repository, runtime, record);
}

export async function objectBytes(key: string): Promise<Uint8Array> {
  const { Body } = await evidenceClient.send(new GetObjectCommand({ Bucket: embedded.evidenceBucket, Key: key }));
  return (await Body?.transformToByteArray()) ?? new Uint8Array();
}

export function bind(history: FakeEventHistory): void {
  cloudTrail.on(LookupEventsCommand).callsFake(history.lookup);
}

export interface EvidenceEntry {
  name: string;
  key: string;
  size: number;
  sha256: string;
  contentType: string;
  eventCount: number;
}

export function evidenceOf(record: ActionRecord): EvidenceEntry[] {
  return (record.result as { evidence?: EvidenceEntry[] } | null)?.evidence ?? [];
}
