/**
 * Plans of revoke-iam-role-sessions, deactivate-access-keys and their undos against moto_server
 * (IAM and STS over HTTP through the moto front), through the local in-process planner: the exact
 * calls apply would make, none when already done, nothing written, nothing changed in IAM.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateAccessKeyCommand,
  DeleteRolePolicyCommand,
  GetRolePolicyCommand,
  ListAccessKeysCommand,
  PutRolePolicyCommand,
  UpdateAccessKeyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProtectedTargetError } from '#shared/actions/errors.ts';
import { iamAccessKeysFamily } from '#shared/actions/iam-access-keys/index.ts';
import { iamSessionsFamily, revokePolicyName } from '#shared/actions/iam-sessions/index.ts';
import { FixedClock } from '#shared/clock.ts';
import type { CloudPlanRequest } from '#shared/plans/types.ts';
import type { CloudActionHarness } from '#test/support/cloud-action-harness.ts';
import { startIamPlanFixture, writesAmong, type IamPlanFixture, type WatchedPlan } from '#test/support/cloud-plans.ts';
import { createRole, createUser, type MotoRequest } from '#test/support/moto-iam.ts';

const unique = (name: string): string => `${name}-${randomUUID().slice(0, 8)}`;
const now = '2026-12-05T12:00:00.000Z';

let fixture: IamPlanFixture;
let harness: CloudActionHarness;
let iam: IAMClient;

beforeAll(async () => {
  const options = { families: [iamSessionsFamily, iamAccessKeysFamily], protectedTargets: 'arn:aws:iam::*:user/breakglass-*' };
  // A clock standing still, so the revoke's cut-off in the plan is known.
  fixture = await startIamPlanFixture(inject('motoEndpoint'), options, new FixedClock(now));
  ({ harness, iam } = fixture);
});

afterAll(async () => {
  await fixture.close();
});

const planWatched = (request: CloudPlanRequest): Promise<WatchedPlan<MotoRequest>> => fixture.planWatched(request);

const onArn = (type: string, arn: string, undoOf: string | null = null): CloudPlanRequest => ({ type, inputs: { 'aws.resource.arn': arn }, undoOf });

async function revokePolicyOf(roleName: string): Promise<string | null> {
  try {
    return (await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: revokePolicyName }))).PolicyDocument ?? null;
  } catch {
    return null;
  }
}

async function keyStatuses(userName: string): Promise<Record<string, string>> {
  const { AccessKeyMetadata } = await iam.send(new ListAccessKeysCommand({ UserName: userName }));
  return Object.fromEntries((AccessKeyMetadata ?? []).map((key) => [key.AccessKeyId ?? '', key.Status ?? '']));
}

describe('plans of revoke-iam-role-sessions and restore-iam-role-sessions', () => {
  it('lists the PutRolePolicy with the cut-off of now, also on a role revoked before (a later cut-off is a new change), and changes nothing', async () => {
    // Prepare
    const name = unique('app');
    const arn = await createRole(iam, name);
    const earlier = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] });
    const revokedName = unique('revoked');
    const revokedArn = await createRole(iam, revokedName);
    await iam.send(new PutRolePolicyCommand({ RoleName: revokedName, PolicyName: revokePolicyName, PolicyDocument: earlier }));

    // Act
    const planned = await planWatched(onArn('revoke-iam-role-sessions', arn));
    const again = await planWatched(onArn('revoke-iam-role-sessions', revokedArn));

    // Assess
    expect(planned.result).toEqual({
      prior: { role: { name, arn, id: expect.any(String) as string }, policyName: revokePolicyName, policy: null },
      changes: [
        {
          call: 'iam:PutRolePolicy',
          target: arn,
          detail: `put inline policy ${revokePolicyName} on IAM role ${name}, denying every action to its sessions issued before ${now}`,
        },
      ],
    });
    expect(again.result?.changes).toEqual([
      {
        call: 'iam:PutRolePolicy',
        target: revokedArn,
        detail: `put inline policy ${revokePolicyName} on IAM role ${revokedName}, denying every action to its sessions issued before ${now} (replacing the policy of that name there now, whose document undo puts back)`,
      },
    ]);
    expect(writesAmong([...planned.operations, ...again.operations])).toEqual([]);
    expect(planned.itemsAfter).toBe(planned.itemsBefore);
    expect(await revokePolicyOf(name)).toBeNull();
  });

  it('lists the DeleteRolePolicy that reverses a revoke, and nothing once the policy was removed by hand', async () => {
    // Prepare
    const name = unique('web');
    const arn = await createRole(iam, name);
    const revoke = await harness.run(harness.newRecord('revoke-iam-role-sessions', { 'aws.resource.arn': arn }));
    expect(revoke.status, JSON.stringify(revoke.error)).toBe('Completed');
    const written = await revokePolicyOf(name);

    // Act
    const planned = await planWatched(onArn('restore-iam-role-sessions', arn, revoke.id));
    const policyAfterPlan = await revokePolicyOf(name);
    await iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: revokePolicyName }));
    const afterDrift = await planWatched(onArn('restore-iam-role-sessions', arn, revoke.id));

    // Assess
    expect(planned.result?.changes).toEqual([{ call: 'iam:DeleteRolePolicy', target: arn, detail: `delete inline policy ${revokePolicyName} from IAM role ${name}` }]);
    expect(writesAmong(planned.operations)).toEqual([]);
    expect(planned.itemsAfter).toBe(planned.itemsBefore);
    expect(policyAfterPlan).toEqual(written);
    expect(afterDrift.result?.changes).toEqual([]);
  });
});

describe('plans of deactivate-access-keys and reactivate-access-keys', () => {
  it('lists an UpdateAccessKey to Inactive for each active key only, and nothing for a user with none active', async () => {
    // Prepare
    const name = unique('ci');
    const arn = await createUser(iam, name);
    const active = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey?.AccessKeyId ?? '';
    const inactive = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey?.AccessKeyId ?? '';
    await iam.send(new UpdateAccessKeyCommand({ UserName: name, AccessKeyId: inactive, Status: 'Inactive' }));
    const statusesBefore = await keyStatuses(name);
    const idle = unique('idle');
    const idleArn = await createUser(iam, idle);

    // Act
    const planned = await planWatched(onArn('deactivate-access-keys', arn));
    const none = await planWatched(onArn('deactivate-access-keys', idleArn));

    // Assess
    expect(planned.result?.changes).toEqual([{ call: 'iam:UpdateAccessKey', target: arn, detail: `set access key ${active} of IAM user ${name} to Inactive` }]);
    expect(planned.result?.prior).toMatchObject({ user: { name, arn }, accessKeys: expect.arrayContaining([expect.objectContaining({ accessKeyId: inactive, status: 'Inactive' })]) as unknown });
    expect(none.result?.changes).toEqual([]);
    expect(writesAmong([...planned.operations, ...none.operations])).toEqual([]);
    expect(planned.itemsAfter).toBe(planned.itemsBefore);
    expect(await keyStatuses(name)).toEqual(statusesBefore);
  });

  it('lists reactivating exactly the keys the deactivation made inactive, and nothing once they are active again', async () => {
    // Prepare
    const name = unique('deploy');
    const arn = await createUser(iam, name);
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey?.AccessKeyId ?? '';
    const deactivation = await harness.run(harness.newRecord('deactivate-access-keys', { 'aws.resource.arn': arn }));
    expect(deactivation.status, JSON.stringify(deactivation.error)).toBe('Completed');

    // Act
    const planned = await planWatched(onArn('reactivate-access-keys', arn, deactivation.id));
    const statusAfterPlan = await keyStatuses(name);
    await iam.send(new UpdateAccessKeyCommand({ UserName: name, AccessKeyId: key, Status: 'Active' }));
    const afterDrift = await planWatched(onArn('reactivate-access-keys', arn, deactivation.id));

    // Assess
    expect(planned.result?.changes).toEqual([{ call: 'iam:UpdateAccessKey', target: arn, detail: `set access key ${key} of IAM user ${name} to Active` }]);
    expect(statusAfterPlan).toEqual({ [key]: 'Inactive' });
    expect(planned.itemsAfter).toBe(planned.itemsBefore);
    expect(afterDrift.result?.changes).toEqual([]);
  });

  it('refuses a protected user before any call', async () => {
    // Act
    const planned = await planWatched(onArn('deactivate-access-keys', `arn:aws:iam::123456789012:user/breakglass-${randomUUID().slice(0, 8)}`));

    // Assess
    expect(planned.error).toBeInstanceOf(ProtectedTargetError);
    expect(planned.operations).toEqual([]);
    expect(planned.itemsAfter).toBe(planned.itemsBefore);
  });
});
