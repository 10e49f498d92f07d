import { randomUUID } from 'node:crypto';
import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  ListAccessKeysCommand,
  UpdateAccessKeyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { iamAccessKeysFamily } from '#shared/actions/iam-access-keys/index.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { startCloudActionHarness, type CloudActionHarness } from '#test/support/cloud-action-harness.ts';
import { createUser, motoAccountId, motoIamClient } from '#test/support/moto-iam.ts';

let harness: CloudActionHarness;
let iam: IAMClient;

beforeAll(async () => {
  const moto = inject('motoEndpoint');
  harness = await startCloudActionHarness(moto, {
    families: [iamAccessKeysFamily],
    protectedTargets: 'arn:aws:iam::*:role/response-actions-*,arn:aws:iam::*:user/break-glass-*',
  });
  iam = motoIamClient(moto);
});

afterAll(async () => {
  iam.destroy();
  await harness.close();
});

const unique = (name: string): string => `${name}-${randomUUID().slice(0, 8)}`;

async function deactivate(arn: string): Promise<ActionRecord> {
  return harness.run(harness.newRecord('deactivate-access-keys', { 'aws.resource.arn': arn }));
}

/** The undo, linked to the original first as POST /v1/actions/{id}/undo does. */
async function reactivate(original: ActionRecord): Promise<ActionRecord> {
  return harness.undo(original, 'reactivate-access-keys');
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
  return harness.front.requests
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
    const callsBefore = harness.front.requests.length;

    // Act
    const deactivated = await deactivate(arn);
    const deactivateUpdates = updateCalls(callsBefore);
    const whileDeactivated = await keyStatuses(name);
    const callsBeforeUndo = harness.front.requests.length;
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
    expect((await harness.repository.get(deactivated.id))?.undo).toEqual({ available: false, type: 'reactivate-access-keys', actionId: reactivated.id });
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
    const callsBefore = harness.front.requests.length;

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
    const callsBefore = harness.front.requests.length;

    // Act
    const record = await deactivate(arn);

    // Assess
    expect(record.status).toBe('Error');
    expect(record.error?.code).toBe('ProtectedTarget');
    expect(harness.front.requests.slice(callsBefore)).toEqual([]);
    expect(await keyStatuses(name)).toEqual({ [key]: 'Active' });
  });
});
