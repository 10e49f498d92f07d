import { randomUUID } from 'node:crypto';
import type { IAMClient } from '@aws-sdk/client-iam';
import { DescribeDBInstancesCommand, ModifyDBInstanceCommand, RDSClient, RDSServiceException, type DBInstance } from '@aws-sdk/client-rds';
import type { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '#local/embedded-dynamodb.ts';
import { createLocalCloudActions, type LocalCloudActions } from '#local/runners/cloud-runner.ts';
import type { ExecutionEvent } from '#local/runners/executions.ts';
import { runCloudActionStep } from '#shared/actions/action-step.ts';
import { errorCodeOf } from '#shared/actions/errors.ts';
import { RegionalClients } from '#shared/actions/kit/regional-clients.ts';
import { createPrivateClients, privateFamily, type PrivateClients } from '#shared/actions/private/index.ts';
import { markRunning } from '#shared/actions/mark-status.ts';
import type { CloudActionFamily } from '#shared/actions/cloud-action.ts';
import { StsMemberSessions } from '#shared/adapters/member-session.ts';
import { validateActionRequest, type ActionInputs } from '#shared/catalogue/index.ts';
import { systemClock } from '#shared/clock.ts';
import { defaultMemberRoleName, loadConfig, type ServiceConfig } from '#shared/config/config.ts';
import { createdRecord, type ActionRecord } from '#shared/history/record.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import { undoInputsFor } from '#shared/use-cases/undo-inputs.ts';
import { emulatorCredentials, freshHistory } from '#test/support/history-store.ts';
import { createMemberRoles, motoAccountId, motoIamClient, startMotoFront, type MotoFront } from '#test/support/moto-iam.ts';
import {
  createAuroraMember,
  createBucket,
  createDbInstance,
  exposeBucket,
  motoRdsClient,
  motoS3Client,
  publiclyAccessible,
  putBlock,
  readBlock,
  setPubliclyAccessible,
  startPrivateFront,
  type PrivateFront,
} from '#test/support/moto-private.ts';

const externalId = 'response-actions-test-external-id';
const region = 'us-east-1';
const allOn = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };
const allUsers = 'http://acs.amazonaws.com/groups/global/AllUsers';
/** Every Task state's retry pause, gone: the scenarios are about what is retried, not how long it waits. */
const noRetryPauses = { Capture: 0, Apply: 0, Check: 0, Verify: 0, MarkError: 0 };

let dynalite: EmbeddedDynamoDb;
let iamFront: MotoFront;
let front: PrivateFront;
let iam: IAMClient;
let s3: S3Client;
let rds: RDSClient;
let sts: STSClient;
let repository: HistoryRepository;
let config: ServiceConfig;
let runtime: LocalCloudActions;
const extraRuntimes: LocalCloudActions[] = [];

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
  ({ repository } = await freshHistory(dynalite.endpoint, systemClock));
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
function runtimeWithRds(stubbed: RDSClient): LocalCloudActions {
  const family: CloudActionFamily<PrivateClients> = {
    ...privateFamily,
    createClients: (session) => ({ s3: createPrivateClients(session).s3, rds: new RegionalClients(() => stubbed) }),
  };
  const created = runtimeFor(family);
  extraRuntimes.push(created);
  return created;
}

const unique = (name: string): string => `${name}-${randomUUID().slice(0, 8)}`;
const bucketInputs = (bucket: string): ActionInputs => ({
  'aws.resource.arn': `arn:aws:s3:::${bucket}`,
  'aws.account.id': motoAccountId,
  'aws.region': region,
});
const dbArn = (identifier: string): string => `arn:aws:rds:${region}:${motoAccountId}:db:${identifier}`;

/** A record exactly as the API would create it; an undo takes its inputs from the original as the API does. */
function newRecord(type: string, inputs: ActionInputs, undoOf: ActionRecord | null = null): ActionRecord {
  const valid = validateActionRequest({ type, inputs: undoOf === null ? inputs : undoInputsFor(type, undoOf) }, { now: systemClock.now() });
  if (!valid.ok) throw new Error(`invalid test request: ${JSON.stringify(valid.errors)}`);
  return createdRecord(
    {
      id: randomUUID(),
      type,
      category: valid.definition.category,
      executor: valid.executor,
      inputs: valid.inputs,
      resources: undoOf?.resources ?? valid.resources,
      createdBy: 'analyst-1',
      undoType: valid.definition.undoType,
      undoOf: undoOf?.id ?? null,
    },
    systemClock.now(),
  );
}

async function run(record: ActionRecord, on: LocalCloudActions = runtime): Promise<ActionRecord> {
  await repository.create(record);
  await on.starter.start(record);
  await on.idle();
  const final = await repository.get(record.id);
  if (final === null) throw new Error(`record ${record.id} vanished`);
  return final;
}

async function makePrivate(inputs: ActionInputs, on?: LocalCloudActions): Promise<ActionRecord> {
  return run(newRecord('make-cloud-resource-private', inputs), on);
}

/** The undo, linked to the original first as POST /v1/actions/{id}/undo does. */
async function undo(original: ActionRecord): Promise<ActionRecord> {
  const record = newRecord('undo-make-cloud-resource-private', {}, original);
  await repository.claimUndo(original.id, record.id);
  return run(record);
}

/** The front's requests from `from` on, as operation names. */
const operationsSince = (from: number): string[] => front.requests.slice(from).map((request) => request.operation);
const statuses = (record: ActionRecord): string[] => record.statusHistory.map((change) => change.status);
const entered = (events: readonly ExecutionEvent[]): string[] => events.flatMap((event) => (event.type === 'StateEntered' ? [event.state.name] : []));

describe('make-cloud-resource-private on S3 buckets (moto S3 + STS over HTTP)', () => {
  it('blocks all public access on a bucket that had no block, recording the exposure, and undo deletes the block again', async () => {
    // Prepare
    const bucket = unique('exposed-logs');
    await createBucket(s3, bucket);
    await exposeBucket(s3, bucket);
    const from = front.requests.length;

    // Act
    const privated = await makePrivate(bucketInputs(bucket));
    const calls = operationsSince(from);
    const blockWhilePrivate = await readBlock(s3, bucket);
    const undone = await undo(privated);
    const undoCalls = operationsSince(from + calls.length);

    // Assess
    expect(privated.status, JSON.stringify(privated.error)).toBe('Completed');
    expect(statuses(privated)).toEqual(['Created', 'Enqueued', 'Running', 'Completed']);
    expect(privated.prior).toEqual({
      kind: 'aws.s3.bucket',
      bucket,
      publicAccessBlock: null,
      policyStatus: { isPublic: true },
      acl: {
        ownerId: expect.any(String) as string,
        grants: expect.arrayContaining([{ grantee: { type: 'Group', uri: allUsers }, permission: 'READ' }]) as unknown,
      },
    });
    expect(privated.applied).toEqual({ changes: [{ action: 'PutPublicAccessBlock', before: null, after: allOn }] });
    expect(privated.result).toEqual({
      resource: `S3 bucket ${bucket}`,
      policyWasPublic: true,
      aclWasPublic: true,
      alreadyPrivate: false,
      publicAccessBlock: allOn,
      verified: true,
    });
    expect(calls).toEqual([
      'AssumeRole',
      'GetPublicAccessBlock',
      'GetBucketPolicyStatus',
      'GetBucketAcl',
      'PutPublicAccessBlock',
      'GetPublicAccessBlock',
    ]);
    expect(blockWhilePrivate).toEqual(allOn);

    expect(undone.status, JSON.stringify(undone.error)).toBe('Completed');
    expect(undone.prior).toMatchObject({ kind: 'aws.s3.bucket', bucket, publicAccessBlock: allOn });
    expect(undone.applied).toEqual({ changes: [{ action: 'DeletePublicAccessBlock', before: allOn, after: null }] });
    expect(undone.result).toEqual({
      resource: `S3 bucket ${bucket}`,
      drift: { changedSince: [] },
      restoredPublicAccessBlock: null,
      alreadyRestored: false,
      verified: true,
    });
    expect(undoCalls).toContain('DeletePublicAccessBlock');
    expect(undoCalls).not.toContain('PutPublicAccessBlock');
    expect(await readBlock(s3, bucket)).toBeNull();
    expect((await repository.get(privated.id))?.undo).toEqual({
      available: false,
      type: 'undo-make-cloud-resource-private',
      actionId: undone.id,
    });
  });

  it('records a partial block exactly and undo puts back exactly that block', async () => {
    // Prepare
    const bucket = unique('partial');
    await createBucket(s3, bucket);
    await putBlock(s3, bucket, { BlockPublicAcls: true });
    const partial = { BlockPublicAcls: true, IgnorePublicAcls: false, BlockPublicPolicy: false, RestrictPublicBuckets: false };

    // Act
    const privated = await makePrivate(bucketInputs(bucket));
    const blockWhilePrivate = await readBlock(s3, bucket);
    const undone = await undo(privated);

    // Assess
    expect(privated.status, JSON.stringify(privated.error)).toBe('Completed');
    expect(privated.prior).toMatchObject({ publicAccessBlock: partial, policyStatus: null });
    expect(privated.applied).toEqual({ changes: [{ action: 'PutPublicAccessBlock', before: partial, after: allOn }] });
    expect(privated.result).toMatchObject({ policyWasPublic: false, aclWasPublic: false, alreadyPrivate: false });
    expect(blockWhilePrivate).toEqual(allOn);
    expect(undone.status, JSON.stringify(undone.error)).toBe('Completed');
    expect(undone.applied).toEqual({ changes: [{ action: 'PutPublicAccessBlock', before: allOn, after: partial }] });
    expect(undone.result).toMatchObject({ drift: { changedSince: [] }, restoredPublicAccessBlock: partial, alreadyRestored: false });
    expect(await readBlock(s3, bucket)).toEqual(partial);
  });

  it('changes nothing on a bucket already fully private, offers no undo, and its block stays', async () => {
    // Prepare
    const bucket = unique('already-private');
    await createBucket(s3, bucket);
    await putBlock(s3, bucket, allOn);
    const from = front.requests.length;

    // Act
    const privated = await makePrivate(bucketInputs(bucket));
    const calls = operationsSince(from);
    const undoing = undo(privated);

    // Assess
    expect(privated.status, JSON.stringify(privated.error)).toBe('Completed');
    expect(privated.prior).toMatchObject({ publicAccessBlock: allOn });
    expect(privated.applied).toEqual({ changes: [] });
    expect(privated.result).toMatchObject({ alreadyPrivate: true, verified: true });
    expect(calls).not.toContain('PutPublicAccessBlock');
    expect(privated.undo.available).toBe(false);
    await expect(undoing).rejects.toThrow(/changed nothing/);
    expect(await readBlock(s3, bucket)).toEqual(allOn);
  });

  it('records drift when a setting was changed between make-private and undo, and still restores the exact prior block', async () => {
    // Prepare
    const bucket = unique('drifting');
    await createBucket(s3, bucket);
    await putBlock(s3, bucket, { BlockPublicPolicy: true });
    const prior = { BlockPublicAcls: false, IgnorePublicAcls: false, BlockPublicPolicy: true, RestrictPublicBuckets: false };
    const privated = await makePrivate(bucketInputs(bucket));
    // Between make-private and undo, someone turns IgnorePublicAcls off again.
    await putBlock(s3, bucket, { ...allOn, IgnorePublicAcls: false });

    // Act
    const undone = await undo(privated);

    // Assess
    expect(privated.status, JSON.stringify(privated.error)).toBe('Completed');
    expect(undone.status, JSON.stringify(undone.error)).toBe('Completed');
    expect(undone.result).toMatchObject({
      drift: { changedSince: [{ setting: 'IgnorePublicAcls', left: true, now: false }] },
      restoredPublicAccessBlock: prior,
    });
    expect(undone.applied).toEqual({
      changes: [{ action: 'PutPublicAccessBlock', before: { ...allOn, IgnorePublicAcls: false }, after: prior }],
    });
    expect(await readBlock(s3, bucket)).toEqual(prior);
  });

  it('a retried apply records its own change once, from prior, even though the bucket now reads as private', async () => {
    // Prepare
    const bucket = unique('retried');
    await createBucket(s3, bucket);
    const record = newRecord('make-cloud-resource-private', bucketInputs(bucket));
    await repository.create(record);
    await markRunning(repository, record.id);
    const sessions = new StsMemberSessions({ sts, roleName: config.memberRole.name, externalId: config.memberRole.externalId });
    const deps = { repository, config, sessions, family: privateFamily, clock: systemClock };

    // Act
    await runCloudActionStep(deps, { actionId: record.id, step: 'capture' });
    await runCloudActionStep(deps, { actionId: record.id, step: 'apply' });
    await runCloudActionStep(deps, { actionId: record.id, step: 'apply' });
    const afterRetry = await repository.get(record.id);
    await sessions.close();

    // Assess
    expect(afterRetry?.applied).toEqual({ changes: [{ action: 'PutPublicAccessBlock', before: null, after: allOn }] });
    expect(afterRetry?.result).toMatchObject({ alreadyPrivate: false });
  });

  it('ends in Error TargetNotFound for a bucket that does not exist', async () => {
    // Prepare
    const bucket = unique('ghost-bucket');

    // Act
    const record = await makePrivate(bucketInputs(bucket));

    // Assess
    expect(record.status).toBe('Error');
    expect(record.error).toEqual({
      code: 'TargetNotFound',
      message: `S3 bucket ${bucket} does not exist in account ${motoAccountId} (${region})`,
    });
    expect(record.prior).toBeNull();
    expect(record.applied).toBeNull();
  });
});

describe('make-cloud-resource-private on RDS DB instances (moto RDS + STS over HTTP)', () => {
  it('makes a public instance private, waiting 15 s between looks, and undo makes it public again', async () => {
    // Prepare
    const identifier = unique('orders-db');
    const arn = await createDbInstance(rds, identifier, true);
    const from = front.requests.length;

    // Act
    const privated = await makePrivate({ 'aws.resource.arn': arn });
    const calls = front.requests.slice(from);
    const whilePrivate = await publiclyAccessible(rds, identifier);
    const undone = await undo(privated);

    // Assess
    expect(arn).toBe(dbArn(identifier));
    expect(privated.status, JSON.stringify(privated.error)).toBe('Completed');
    expect(privated.prior).toEqual({
      kind: 'aws.rds.db-instance',
      dbInstanceIdentifier: identifier,
      dbInstanceArn: arn,
      publiclyAccessible: true,
      dbInstanceStatus: 'available',
      dbClusterIdentifier: null,
    });
    expect(privated.applied).toEqual({
      changes: [{ action: 'ModifyDBInstance', before: { publiclyAccessible: true }, after: { publiclyAccessible: false } }],
    });
    expect(privated.result).toEqual({ resource: `RDS DB instance ${identifier}`, alreadyPrivate: false, publiclyAccessible: false, verified: true });
    expect(calls.filter((call) => call.operation === 'ModifyDBInstance')).toEqual([{ operation: 'ModifyDBInstance', resource: identifier }]);
    expect(entered(runtime.history(privated.id))).toEqual([
      'MarkRunning',
      'Capture',
      'Apply',
      'ApplyPending',
      'StartWaitRounds',
      'WithinWaitBound',
      'WaitForChange',
      'Check',
      'CheckPending',
      'Verify',
      'MarkCompleted',
    ]);
    const waits = runtime.history(privated.id).flatMap((event) =>
      event.type === 'StateEntered' && event.state.name === 'WaitForChange' ? [event.state.input] : [],
    );
    expect(waits).toEqual([expect.objectContaining({ progress: { pending: true, waitSeconds: 15 } })]);
    expect(whilePrivate).toBe(false);

    expect(undone.status, JSON.stringify(undone.error)).toBe('Completed');
    expect(undone.prior).toMatchObject({ publiclyAccessible: false });
    expect(undone.applied).toEqual({
      changes: [{ action: 'ModifyDBInstance', before: { publiclyAccessible: false }, after: { publiclyAccessible: true } }],
    });
    expect(undone.result).toEqual({
      resource: `RDS DB instance ${identifier}`,
      drift: { changedSince: [] },
      restoredPubliclyAccessible: true,
      alreadyRestored: false,
      publiclyAccessible: true,
      verified: true,
    });
    expect(await publiclyAccessible(rds, identifier)).toBe(true);
  });

  it('a retried apply calls ModifyDBInstance once and records the change once', async () => {
    // Prepare
    const identifier = unique('retried-db');
    const arn = await createDbInstance(rds, identifier, true);
    const record = newRecord('make-cloud-resource-private', { 'aws.resource.arn': arn });
    await repository.create(record);
    await markRunning(repository, record.id);
    const sessions = new StsMemberSessions({ sts, roleName: config.memberRole.name, externalId: config.memberRole.externalId });
    const deps = { repository, config, sessions, family: privateFamily, clock: systemClock };
    const from = front.requests.length;

    // Act
    await runCloudActionStep(deps, { actionId: record.id, step: 'capture' });
    const first = await runCloudActionStep(deps, { actionId: record.id, step: 'apply' });
    const retried = await runCloudActionStep(deps, { actionId: record.id, step: 'apply' });
    const afterRetry = await repository.get(record.id);
    await sessions.close();

    // Assess
    expect(first).toEqual({ pending: true, waitSeconds: 15, result: null });
    expect(retried).toEqual(first);
    expect(operationsSince(from).filter((operation) => operation === 'ModifyDBInstance')).toHaveLength(1);
    expect(afterRetry?.applied).toEqual({
      changes: [{ action: 'ModifyDBInstance', before: { publiclyAccessible: true }, after: { publiclyAccessible: false } }],
    });
  });

  it('reports drift on undo when someone made the instance public again, and changes nothing more', async () => {
    // Prepare
    const identifier = unique('reopened-db');
    const arn = await createDbInstance(rds, identifier, true);
    const privated = await makePrivate({ 'aws.resource.arn': arn });
    await setPubliclyAccessible(rds, identifier, true);
    const from = front.requests.length;

    // Act
    const undone = await undo(privated);

    // Assess
    expect(privated.status, JSON.stringify(privated.error)).toBe('Completed');
    expect(undone.status, JSON.stringify(undone.error)).toBe('Completed');
    expect(undone.applied).toEqual({ changes: [] });
    expect(undone.result).toMatchObject({
      drift: { changedSince: [{ setting: 'PubliclyAccessible', left: false, now: true }] },
      restoredPubliclyAccessible: true,
      alreadyRestored: true,
      verified: true,
    });
    expect(operationsSince(from)).not.toContain('ModifyDBInstance');
  });

  it('changes nothing on an instance that is already not publicly accessible, and offers no undo', async () => {
    // Prepare
    const identifier = unique('internal-db');
    const arn = await createDbInstance(rds, identifier, false);
    const from = front.requests.length;

    // Act
    const privated = await makePrivate({ 'aws.resource.arn': arn });

    // Assess
    expect(privated.status, JSON.stringify(privated.error)).toBe('Completed');
    expect(privated.prior).toMatchObject({ publiclyAccessible: false });
    expect(privated.applied).toEqual({ changes: [] });
    expect(privated.result).toMatchObject({ alreadyPrivate: true, verified: true });
    expect(operationsSince(from)).not.toContain('ModifyDBInstance');
    expect(privated.undo.available).toBe(false);
    expect(await publiclyAccessible(rds, identifier)).toBe(false);
  });

  it('refuses an Aurora cluster member, saying to act on the cluster, and changes nothing', async () => {
    // Prepare
    const cluster = unique('aurora');
    const member = `${cluster}-one`;
    const arn = await createAuroraMember(rds, cluster, member);
    const from = front.requests.length;

    // Act
    const record = await makePrivate({ 'aws.resource.arn': arn });

    // Assess
    expect(record.status).toBe('Error');
    expect(record.error?.code).toBe(errorCodeOf('DbClusterMemberError'));
    expect(record.error?.message).toContain(`member of DB cluster ${cluster}`);
    expect(record.error?.message).toContain(`act on the cluster ${cluster}`);
    expect(record.prior).toMatchObject({ dbClusterIdentifier: cluster, publiclyAccessible: true });
    expect(record.applied).toBeNull();
    expect(record.undo.available).toBe(false);
    expect(operationsSince(from)).not.toContain('ModifyDBInstance');
    expect(await publiclyAccessible(rds, member)).toBe(true);
  });

  it('ends in Error TargetNotFound for an instance that does not exist', async () => {
    // Prepare
    const identifier = unique('ghost-db');

    // Act
    const record = await makePrivate({ 'aws.resource.arn': dbArn(identifier) });

    // Assess
    expect(record.status).toBe('Error');
    expect(record.error).toEqual({
      code: 'TargetNotFound',
      message: `RDS DB instance ${identifier} does not exist in account ${motoAccountId} (${region})`,
    });
  });
});

describe('make-cloud-resource-private on RDS through the shipped state machine, RDS stubbed (aws-sdk-client-mock)', () => {
  /**
   * One instance whose state the stub serves: ModifyDBInstance starts `modifyingLooks` looks at
   * `modifying`; the first looks fail with `failures`, in order.
   */
  function stubbedInstance(
    identifier: string,
    initial: { status: string; publiclyAccessible: boolean; modifyingLooks?: number; failures?: Error[] },
  ) {
    const client = new RDSClient({ region, credentials: emulatorCredentials });
    const stub = mockClient(client);
    const state = { status: initial.status, publiclyAccessible: initial.publiclyAccessible, modifying: 0, wanted: initial.publiclyAccessible };
    const instance = (): DBInstance => ({
      DBInstanceIdentifier: identifier,
      DBInstanceArn: dbArn(identifier),
      DBInstanceStatus: state.status,
      PubliclyAccessible: state.publiclyAccessible,
    });
    const failures = [...(initial.failures ?? [])];
    stub.on(DescribeDBInstancesCommand).callsFake(() => {
      const failure = failures.shift();
      if (failure !== undefined) return Promise.reject(failure);
      if (state.modifying > 0) {
        state.modifying -= 1;
        return { DBInstances: [{ ...instance(), DBInstanceStatus: 'modifying' }] };
      }
      state.publiclyAccessible = state.wanted;
      return { DBInstances: [instance()] };
    });
    stub.on(ModifyDBInstanceCommand).callsFake((input: { PubliclyAccessible?: boolean }) => {
      state.wanted = input.PubliclyAccessible ?? state.wanted;
      state.modifying = initial.modifyingLooks ?? 0;
      return { DBInstance: { ...instance(), DBInstanceStatus: 'modifying' } };
    });
    return { client, stub };
  }

  it('waits while the instance is modifying (twice), 15 s each time, then completes', async () => {
    // Prepare
    const identifier = unique('busy-db');
    const { client, stub } = stubbedInstance(identifier, { status: 'available', publiclyAccessible: true, modifyingLooks: 2 });
    const stubbedRuntime = runtimeWithRds(client);

    // Act
    const privated = await makePrivate({ 'aws.resource.arn': dbArn(identifier) }, stubbedRuntime);
    const history = stubbedRuntime.history(privated.id);

    // Assess
    expect(privated.status, JSON.stringify(privated.error)).toBe('Completed');
    expect(privated.applied).toEqual({
      changes: [{ action: 'ModifyDBInstance', before: { publiclyAccessible: true }, after: { publiclyAccessible: false } }],
    });
    expect(entered(history).filter((state) => state === 'Check')).toHaveLength(3);
    const waits = history.flatMap((event) =>
      event.type === 'StateEntered' && event.state.name === 'WaitForChange' ? [event.state.input] : [],
    );
    expect(waits).toHaveLength(3);
    for (const input of waits) expect(input).toMatchObject({ progress: { pending: true, waitSeconds: 15 } });
    expect(stub.commandCalls(ModifyDBInstanceCommand).map((call) => call.args[0].input)).toEqual([
      { DBInstanceIdentifier: identifier, PubliclyAccessible: false, ApplyImmediately: true },
    ]);
  });

  it('retries a throttled step (Throttling, then ThrottlingException) and completes', async () => {
    // Prepare
    const identifier = unique('throttled-db');
    const throttled = (name: string) =>
      new RDSServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' });
    const { client } = stubbedInstance(identifier, {
      status: 'available',
      publiclyAccessible: true,
      failures: [throttled('Throttling'), throttled('ThrottlingException')],
    });
    const stubbedRuntime = runtimeWithRds(client);

    // Act
    const privated = await makePrivate({ 'aws.resource.arn': dbArn(identifier) }, stubbedRuntime);
    const history = stubbedRuntime.history(privated.id);

    // Assess
    expect(privated.status, JSON.stringify(privated.error)).toBe('Completed');
    const retries = history.flatMap((event) => (event.type === 'StateRetried' ? [event.state.name] : []));
    expect(retries).toEqual(['Capture', 'Capture']);
    const failures = history.flatMap((event) => (event.type === 'StateFailed' ? [event.Error] : []));
    expect(failures).toEqual(['ThrottlingError', 'ThrottlingError']);
    expect(privated.applied).toEqual({
      changes: [{ action: 'ModifyDBInstance', before: { publiclyAccessible: true }, after: { publiclyAccessible: false } }],
    });
  });

  it('ends in Error without modifying a stopped instance, saying it must be available', async () => {
    // Prepare
    const identifier = unique('stopped-db');
    const { client, stub } = stubbedInstance(identifier, { status: 'stopped', publiclyAccessible: true });
    const stubbedRuntime = runtimeWithRds(client);

    // Act
    const record = await makePrivate({ 'aws.resource.arn': dbArn(identifier) }, stubbedRuntime);

    // Assess
    expect(record.status).toBe('Error');
    expect(record.error?.code).toBe(errorCodeOf('DbInstanceNotModifiableError'));
    expect(record.error?.message).toContain(`RDS DB instance ${identifier} is stopped`);
    expect(record.prior).toMatchObject({ dbInstanceStatus: 'stopped', publiclyAccessible: true });
    expect(record.applied).toBeNull();
    expect(stub.commandCalls(ModifyDBInstanceCommand)).toHaveLength(0);
  });
});
