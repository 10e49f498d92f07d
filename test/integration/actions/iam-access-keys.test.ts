import { randomUUID } from 'node:crypto';
import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  EntityAlreadyExistsException,
  ListAccessKeysCommand,
  UpdateAccessKeyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '#local/embedded-dynamodb.ts';
import { createLocalCloudActions, type LocalCloudActions } from '#local/state-machine-runner.ts';
import { iamAccessKeysFamily } from '#shared/actions/iam-access-keys.ts';
import { StsMemberSessions } from '#shared/adapters/member-session.ts';
import { validateActionRequest } from '#shared/catalogue/index.ts';
import { systemClock } from '#shared/clock.ts';
import { loadConfig, type ServiceConfig } from '#shared/config/config.ts';
import { createdRecord, type ActionRecord } from '#shared/history/record.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import { emulatorCredentials, freshHistory } from '#test/support/history-store.ts';
import { createMemberRole, createUser, motoAccountId, motoIamClient, startMotoFront, type MotoFront } from '#test/support/moto-iam.ts';

const externalId = 'response-actions-test-external-id';

let dynalite: EmbeddedDynamoDb;
let front: MotoFront;
let iam: IAMClient;
let sts: STSClient;
let repository: HistoryRepository;
let config: ServiceConfig;
let runtime: LocalCloudActions;

beforeAll(async () => {
  const moto = inject('motoEndpoint');
  dynalite = await startEmbeddedDynamoDb();
  front = await startMotoFront(moto);
  // Every target-account call (STS included) follows AWS_ENDPOINT_URL; the history store has its own endpoint.
  vi.stubEnv('AWS_ENDPOINT_URL', front.endpoint);
  iam = motoIamClient(moto);
  await createMemberRole(iam, 'ResponseActionsMember', externalId).catch((error: unknown) => {
    if (!(error instanceof EntityAlreadyExistsException)) throw error;
  });
  ({ repository } = await freshHistory(dynalite.endpoint, systemClock));
  config = loadConfig({
    TARGET_ACCOUNTS: motoAccountId,
    MEMBER_ROLE_EXTERNAL_ID: externalId,
    PROTECTED_TARGETS: 'arn:aws:iam::*:role/response-actions-*,arn:aws:iam::*:user/break-glass-*',
  });
  sts = new STSClient({ region: 'us-east-1', credentials: emulatorCredentials });
  runtime = createLocalCloudActions({
    repository,
    config,
    clock: systemClock,
    memberSessions: new StsMemberSessions({ sts, roleName: config.memberRole.name, externalId: config.memberRole.externalId }),
    families: [iamAccessKeysFamily],
    retryIntervalOverrides: { Verify: 0 },
  });
});

afterAll(async () => {
  await runtime.close();
  sts.destroy();
  iam.destroy();
  await front.close();
  await dynalite.close();
  vi.unstubAllEnvs();
});

const unique = (name: string): string => `${name}-${randomUUID().slice(0, 8)}`;

/** A record exactly as the API would create it for `type` on `arn`. */
function newRecord(type: string, arn: string, undoOf: ActionRecord | null = null): ActionRecord {
  const valid = validateActionRequest({ type, inputs: { 'aws.resource.arn': arn } }, { now: systemClock.now() });
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

async function run(record: ActionRecord): Promise<ActionRecord> {
  await repository.create(record);
  await runtime.starter.start(record);
  await runtime.idle();
  const final = await repository.get(record.id);
  if (final === null) throw new Error(`record ${record.id} vanished`);
  return final;
}

async function deactivate(arn: string): Promise<ActionRecord> {
  return run(newRecord('deactivate-access-keys', arn));
}

/** The undo, linked to the original first as POST /v1/actions/{id}/undo does. */
async function reactivate(original: ActionRecord): Promise<ActionRecord> {
  const undo = newRecord('reactivate-access-keys', original.inputs['aws.resource.arn'] as string, original);
  await repository.claimUndo(original.id, undo.id);
  return run(undo);
}

async function createKey(userName: string, status: 'Active' | 'Inactive' = 'Active'): Promise<string> {
  const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
  const accessKeyId = AccessKey?.AccessKeyId ?? '';
  if (status === 'Inactive') await iam.send(new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: 'Inactive' }));
  return accessKeyId;
}

/** Every key of the user with its status, by key id. */
async function keyStatuses(userName: string): Promise<Record<string, string>> {
  const { AccessKeyMetadata } = await iam.send(new ListAccessKeysCommand({ UserName: userName }));
  return Object.fromEntries((AccessKeyMetadata ?? []).map((key) => [key.AccessKeyId ?? '', key.Status ?? '']));
}

function updateCalls(since: number): { AccessKeyId?: string; Status?: string }[] {
  return front.requests
    .slice(since)
    .filter((call) => call.action === 'UpdateAccessKey')
    .map((call) => ({ AccessKeyId: call.parameters['AccessKeyId'], Status: call.parameters['Status'] }));
}

describe('deactivate-access-keys and reactivate-access-keys on moto (IAM + STS over HTTP)', () => {
  it('deactivates only the active key, and undo gives back exactly one active key, leaving the inactive one inactive', async () => {
    // Prepare
    const name = unique('alice');
    const arn = await createUser(iam, name);
    const active = await createKey(name);
    const inactive = await createKey(name, 'Inactive');
    const callsBefore = front.requests.length;

    // Act
    const deactivated = await deactivate(arn);
    const deactivateUpdates = updateCalls(callsBefore);
    const whileDeactivated = await keyStatuses(name);
    const callsBeforeUndo = front.requests.length;
    const reactivated = await reactivate(deactivated);
    const reactivateUpdates = updateCalls(callsBeforeUndo);

    // Assess
    expect(deactivated.status, JSON.stringify(deactivated.error)).toBe('Completed');
    expect(deactivated.prior).toEqual({
      user: { name, arn, id: expect.any(String) as string },
      accessKeys: expect.arrayContaining([
        { accessKeyId: active, status: 'Active', createDate: expect.any(String) as string },
        { accessKeyId: inactive, status: 'Inactive', createDate: expect.any(String) as string },
      ]) as unknown,
    });
    expect(deactivated.applied).toEqual({ changes: [{ action: 'DeactivateAccessKey', accessKeyId: active }] });
    expect(deactivated.result).toEqual({ user: `IAM user ${name}`, deactivated: [active], alreadyInactive: [inactive], verified: true });
    expect(deactivateUpdates).toEqual([{ AccessKeyId: active, Status: 'Inactive' }]);
    expect(whileDeactivated).toEqual({ [active]: 'Inactive', [inactive]: 'Inactive' });

    expect(reactivated.status, JSON.stringify(reactivated.error)).toBe('Completed');
    expect(reactivated.applied).toEqual({ changes: [{ action: 'ReactivateAccessKey', accessKeyId: active }] });
    expect(reactivated.result).toEqual({
      user: `IAM user ${name}`,
      drift: { reactivatedSince: [], deletedSince: [], createdSince: [] },
      reactivated: [active],
      alreadyActive: [],
      deletedSince: [],
      verified: true,
    });
    expect(reactivateUpdates).toEqual([{ AccessKeyId: active, Status: 'Active' }]);
    expect(await keyStatuses(name)).toEqual({ [active]: 'Active', [inactive]: 'Inactive' });
    expect((await repository.get(deactivated.id))?.undo).toEqual({ available: false, type: 'reactivate-access-keys', actionId: reactivated.id });
  });

  it('reports keys reactivated or deleted by hand since, and never touches a key created since', async () => {
    // Prepare
    const name = unique('drifting');
    const arn = await createUser(iam, name);
    const reactivatedByHand = await createKey(name);
    const deletedByHand = await createKey(name);
    const deactivated = await deactivate(arn);
    await iam.send(new UpdateAccessKeyCommand({ UserName: name, AccessKeyId: reactivatedByHand, Status: 'Active' }));
    await iam.send(new DeleteAccessKeyCommand({ UserName: name, AccessKeyId: deletedByHand }));
    const createdSince = await createKey(name, 'Inactive');
    const callsBefore = front.requests.length;

    // Act
    const reactivated = await reactivate(deactivated);

    // Assess
    expect(deactivated.applied).toEqual({
      changes: expect.arrayContaining([
        { action: 'DeactivateAccessKey', accessKeyId: reactivatedByHand },
        { action: 'DeactivateAccessKey', accessKeyId: deletedByHand },
      ]) as unknown,
    });
    expect(reactivated.status, JSON.stringify(reactivated.error)).toBe('Completed');
    expect(reactivated.applied).toEqual({ changes: [] });
    expect(reactivated.result).toMatchObject({
      drift: { reactivatedSince: [reactivatedByHand], deletedSince: [deletedByHand], createdSince: [createdSince] },
      reactivated: [],
      alreadyActive: [reactivatedByHand],
      deletedSince: [deletedByHand],
    });
    expect(updateCalls(callsBefore)).toEqual([]);
    expect(await keyStatuses(name)).toEqual({ [reactivatedByHand]: 'Active', [createdSince]: 'Inactive' });
  });

  it('changes nothing on a user without active keys and offers no undo', async () => {
    // Prepare
    const name = unique('no-active-keys');
    const arn = await createUser(iam, name);
    const inactive = await createKey(name, 'Inactive');

    // Act
    const deactivated = await deactivate(arn);
    const undo = reactivate(deactivated);

    // Assess
    expect(deactivated.status, JSON.stringify(deactivated.error)).toBe('Completed');
    expect(deactivated.applied).toEqual({ changes: [] });
    expect(deactivated.result).toMatchObject({ deactivated: [], alreadyInactive: [inactive] });
    expect(deactivated.undo.available).toBe(false);
    await expect(undo).rejects.toThrow(/changed nothing/);
  });

  it('ends in Error TargetNotFound for a user that does not exist, having recorded nothing', async () => {
    // Prepare
    const name = unique('ghost');

    // Act
    const record = await deactivate(`arn:aws:iam::${motoAccountId}:user/${name}`);

    // Assess
    expect(record.status).toBe('Error');
    expect(record.error).toEqual({ code: 'TargetNotFound', message: `IAM user ${name} does not exist in account ${motoAccountId}` });
    expect(record.prior).toBeNull();
    expect(record.applied).toBeNull();
  });

  it('never deactivates the keys of a protected principal, and makes no call', async () => {
    // Prepare
    const name = unique('break-glass-admin');
    const arn = await createUser(iam, name);
    const key = await createKey(name);
    const callsBefore = front.requests.length;

    // Act
    const record = await deactivate(arn);

    // Assess
    expect(record.status).toBe('Error');
    expect(record.error?.code).toBe('ProtectedTarget');
    expect(front.requests.slice(callsBefore)).toEqual([]);
    expect(await keyStatuses(name)).toEqual({ [key]: 'Active' });
  });
});
