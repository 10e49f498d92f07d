/**
 * The make-cloud-resource-private tests' setup against moto_server (S3, RDS, STS over HTTP through
 * the fronts in moto-iam.ts and moto-private.ts), the shipped state machine through the local runner,
 * and the records and runs the S3 and RDS test files share.
 */
import { randomUUID } from 'node:crypto';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, inject, vi } from 'vitest';
import { startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '#local/embedded-dynamodb.ts';
import { createLocalCloudActions, type LocalCloudActions } from '#local/runners/cloud-runner.ts';
import { RegionalClients } from '#shared/actions/kit/regional-clients.ts';
import { createPrivateClients, privateFamily, type PrivateClients } from '#shared/actions/private/index.ts';
import type { CloudActionFamily } from '#shared/actions/cloud-action.ts';
import { StsMemberSessions } from '#shared/adapters/member-session.ts';
import type { ActionInputs } from '#shared/catalogue/index.ts';
import { systemClock } from '#shared/clock.ts';
import { defaultMemberRoleName, loadConfig, type ServiceConfig } from '#shared/config/config.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import { apiRecord, runToEnd, statesEntered, statusesOf } from './cloud-runs.ts';
import { emulatorCredentials, freshHistory } from './history-store.ts';
import { createMemberRoles, motoAccountId, motoIamClient, startMotoFront, type MotoFront } from './moto-iam.ts';
import { motoRdsClient, motoS3Client, startPrivateFront, type PrivateFront } from './moto-private.ts';

const externalId = 'response-actions-test-external-id';
export const region = 'us-east-1';
export const allOn = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };
export const allUsers = 'http://acs.amazonaws.com/groups/global/AllUsers';
/** Every Task state's retry pause, gone: the scenarios are about what is retried, not how long it waits. */
const noRetryPauses = { Capture: 0, Apply: 0, Check: 0, Verify: 0, MarkError: 0 };

let dynalite: EmbeddedDynamoDb;
let iamFront: MotoFront;
let iam: IAMClient;
// Set by the hooks useMakePrivateHarness registers; each test file gets its own copies (vitest isolates files).
export let front: PrivateFront;
export let s3: S3Client;
export let rds: RDSClient;
export let sts: STSClient;
export let repository: HistoryRepository;
/** The history's table and a client on it, to read what was written. */
export let historyTable: { readonly client: DynamoDBDocumentClient; readonly tableName: string };
export let config: ServiceConfig;
export let runtime: LocalCloudActions;
const extraRuntimes: LocalCloudActions[] = [];

/** Registers the file's setup: dynalite, the IAM and S3/RDS fronts before moto, member roles, the runtime. */
export function useMakePrivateHarness(): void {
  beforeAll(async () => {
    const moto = inject('motoEndpoint');
    dynalite = await startEmbeddedDynamoDb();
    // SDK → this front (names S3/RDS requests, answers GetBucketPolicyStatus) → the IAM front (checks AssumeRole) → moto.
    iamFront = await startMotoFront(moto);
    front = await startPrivateFront(iamFront.endpoint, moto);
    // Every target-account call (STS included) follows AWS_ENDPOINT_URL, as API.md promises.
    vi.stubEnv('AWS_ENDPOINT_URL', front.endpoint);
    iam = motoIamClient(moto);
    await createMemberRoles(iam, defaultMemberRoleName, externalId);
    s3 = motoS3Client(moto, region);
    rds = motoRdsClient(moto, region);
    const history = await freshHistory(dynalite.endpoint, systemClock);
    ({ repository } = history);
    historyTable = { client: history.client, tableName: history.tableName };
    config = loadConfig({ TARGET_ACCOUNTS: motoAccountId, MEMBER_ROLE_EXTERNAL_ID: externalId });
    sts = new STSClient({ region, credentials: emulatorCredentials });
    runtime = runtimeFor(privateFamily);
  });

  afterAll(async () => {
    await Promise.all([runtime, ...extraRuntimes].map((each) => each.close()));
    sts.destroy();
    iam.destroy();
    s3.destroy();
    rds.destroy();
    await front.close();
    await iamFront.close();
    await dynalite.close();
    vi.unstubAllEnvs();
  });
}

/** The shipped state machine through the local runner, minus its pauses (the 15 s waits are asserted on the history). */
function runtimeFor(family: CloudActionFamily<PrivateClients>): LocalCloudActions {
  return createLocalCloudActions({
    repository,
    config,
    clock: systemClock,
    memberSessions: new StsMemberSessions({ sts, roleName: config.memberRole.name, externalId: config.memberRole.externalId }),
    families: [family],
    retryIntervalOverrides: noRetryPauses,
    waitTimeOverrides: { WaitForChange: 0 },
  });
}

/** The private family with an RDS client stubbed by aws-sdk-client-mock (moto never sits in `modifying`). */
export function runtimeWithRds(stubbed: RDSClient): LocalCloudActions {
  const family: CloudActionFamily<PrivateClients> = {
    ...privateFamily,
    createClients: (session) => ({ s3: createPrivateClients(session).s3, rds: new RegionalClients(() => stubbed) }),
  };
  const created = runtimeFor(family);
  extraRuntimes.push(created);
  return created;
}

export const unique = (name: string): string => `${name}-${randomUUID().slice(0, 8)}`;
export const bucketInputs = (bucket: string): ActionInputs => ({
  'aws.resource.arn': `arn:aws:s3:::${bucket}`,
  'aws.account.id': motoAccountId,
  'aws.region': region,
});
export const dbArn = (identifier: string): string => `arn:aws:rds:${region}:${motoAccountId}:db:${identifier}`;

/** A record exactly as the API would create it; an undo takes its inputs from the original as the API does. */
export const newRecord = apiRecord;

async function run(record: ActionRecord, on: LocalCloudActions = runtime): Promise<ActionRecord> {
  return runToEnd(repository, on, record);
}

export async function makePrivate(inputs: ActionInputs, on?: LocalCloudActions): Promise<ActionRecord> {
  return run(newRecord('make-cloud-resource-private', inputs), on);
}

/** The undo, linked to the original first as POST /v1/actions/{id}/undo does. */
export async function undo(original: ActionRecord): Promise<ActionRecord> {
  const record = newRecord('undo-make-cloud-resource-private', {}, original);
  await repository.claimUndo(original.id, record.id);
  return run(record);
}

/** The front's requests from `from` on, as operation names. */
export const operationsSince = (from: number): string[] => front.requests.slice(from).map((request) => request.operation);
export const statuses = statusesOf;
export const entered = statesEntered;
