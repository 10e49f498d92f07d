import { randomUUID } from 'node:crypto';
import { DetachUserPolicyCommand, type IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { iamFamily } from '#shared/actions/iam/index.ts';
import { StsMemberSessions } from '#shared/adapters/member-session.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { memberExternalId, startCloudActionHarness, type CloudActionHarness } from '#test/support/cloud-action-harness.ts';
import { emulatorCredentials } from '#test/support/history-store.ts';
import {
  attachUserPolicy,
  attachedPolicyArns,
  createRole,
  createUser,
  createWorkPolicy,
  identityPolicies,
  motoAccountId,
  motoIamClient,
  simulateProbes,
} from '#test/support/moto-iam.ts';

const denyAll = 'arn:aws:iam::aws:policy/AWSDenyAll';
const readOnly = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const externalId = memberExternalId;
/** A protected break-glass role (PROTECTED_TARGETS names it without a path); unique per run, moto keeps state. */
const breakGlass = `BreakGlass-${randomUUID().slice(0, 8)}`;

let harness: CloudActionHarness;
let iam: IAMClient;
let sts: STSClient;

beforeAll(async () => {
  const moto = inject('motoEndpoint');
  harness = await startCloudActionHarness(moto, {
    families: [iamFamily],
    protectedTargets: `arn:aws:iam::*:role/response-actions-*,arn:aws:iam::*:role/${breakGlass}`,
  });
  iam = motoIamClient(moto);
  sts = new STSClient({ region: 'us-east-1', credentials: emulatorCredentials });
});

afterAll(async () => {
  sts.destroy();
  iam.destroy();
  await harness.close();
});

const unique = (name: string): string => `${name}-${randomUUID().slice(0, 8)}`;

async function quarantine(arn: string): Promise<ActionRecord> {
  return harness.run(harness.newRecord('iam-quarantine', { 'aws.resource.arn': arn }));
}

/** The undo, linked to the original first as POST /v1/actions/{id}/undo does. */
async function unquarantine(original: ActionRecord): Promise<ActionRecord> {
  return harness.undo(original, 'iam-unquarantine');
}

describe('iam-quarantine and iam-unquarantine on moto (IAM + STS over HTTP)', () => {
  it('quarantines a user with AWSDenyAll, recording prior and applied exactly, and undo restores exactly the prior attachments', async () => {
    // Prepare
    const name = unique('alice');
    const arn = await createUser(iam, name);
    const workPolicy = await createWorkPolicy(iam, unique('work'));
    await attachUserPolicy(iam, name, workPolicy);
    const principal = { type: 'user', name } as const;
    const before = await simulateProbes(arn, await identityPolicies(iam, principal));
    const callsBefore = harness.front.requests.length;

    // Act
    const quarantined = await quarantine(arn);
    const quarantineCalls = harness.front.requests.slice(callsBefore);
    const attachedWhileQuarantined = await attachedPolicyArns(iam, principal);
    const whileQuarantined = await simulateProbes(arn, await identityPolicies(iam, principal));
    const released = await unquarantine(quarantined);
    const after = await simulateProbes(arn, await identityPolicies(iam, principal));

    // Assess
    expect(quarantined.status, JSON.stringify(quarantined.error)).toBe('Completed');
    expect(quarantined.statusHistory.map((change) => change.status)).toEqual(['Created', 'Enqueued', 'Running', 'Completed']);
    expect(quarantined.prior).toEqual({
      principal: { type: 'user', name, arn, id: expect.any(String) as string },
      attachedPolicies: [{ policyArn: workPolicy, policyName: expect.any(String) as string }],
      inlinePolicyNames: [],
    });
    expect(quarantined.applied).toEqual({ changes: [{ action: 'AttachPolicy', policyArn: denyAll }] });
    expect(quarantined.result).toEqual({ principal: `IAM user ${name}`, denyAllPolicyArn: denyAll, alreadyDenied: false, verified: true });
    expect(attachedWhileQuarantined).toEqual([workPolicy, denyAll].sort());
    // Through AWS_ENDPOINT_URL, as the member role of the target account, in a session named after the action.
    expect(quarantineCalls[0]).toEqual({
      action: 'AssumeRole',
      parameters: expect.objectContaining({
        // The IAM family's own member role, never another family's.
        RoleArn: `arn:aws:iam::${motoAccountId}:role/ResponseActionsMember-iam`,
        RoleSessionName: `response-actions-${quarantined.id}`,
        ExternalId: externalId,
      }) as unknown,
    });
    expect(quarantineCalls.filter((call) => call.action === 'AssumeRole')).toHaveLength(1);
    expect(quarantineCalls.filter((call) => call.action === 'AttachUserPolicy')).toEqual([
      { action: 'AttachUserPolicy', parameters: expect.objectContaining({ UserName: name, PolicyArn: denyAll }) as unknown },
    ]);
    expect(before).toEqual({ 's3:GetObject': 'Allowed', 'iam:CreateUser': 'Allowed', 'sts:AssumeRole': 'Allowed' });
    expect(whileQuarantined).toEqual({
      's3:GetObject': 'ExplicitlyDenied',
      'iam:CreateUser': 'ExplicitlyDenied',
      'sts:AssumeRole': 'ExplicitlyDenied',
    });

    expect(released.status, JSON.stringify(released.error)).toBe('Completed');
    expect(released.applied).toEqual({ changes: [{ action: 'DetachPolicy', policyArn: denyAll }] });
    expect(released.result).toEqual({
      principal: `IAM user ${name}`,
      drift: { addedSince: [], removedSince: [] },
      detached: [denyAll],
      alreadyDetached: [],
      verified: true,
    });
    expect(await attachedPolicyArns(iam, principal)).toEqual([workPolicy]);
    expect(after).toEqual(before);
    expect((await harness.repository.get(quarantined.id))?.undo).toEqual({ available: false, type: 'iam-unquarantine', actionId: released.id });
  });

  it('quarantines a role and undo detaches the deny-all again', async () => {
    // Prepare
    const name = unique('build-role');
    const arn = await createRole(iam, name);
    const principal = { type: 'role', name } as const;
    const before = await simulateProbes(arn, await identityPolicies(iam, principal));

    // Act
    const quarantined = await quarantine(arn);
    const whileQuarantined = await simulateProbes(arn, await identityPolicies(iam, principal));
    const attachedWhileQuarantined = await attachedPolicyArns(iam, principal);
    const released = await unquarantine(quarantined);

    // Assess
    expect(quarantined.status, JSON.stringify(quarantined.error)).toBe('Completed');
    expect(quarantined.prior).toMatchObject({ principal: { type: 'role', name, arn }, attachedPolicies: [], inlinePolicyNames: [] });
    expect(quarantined.applied).toEqual({ changes: [{ action: 'AttachPolicy', policyArn: denyAll }] });
    expect(attachedWhileQuarantined).toEqual([denyAll]);
    expect(Object.values(whileQuarantined)).toEqual(['ExplicitlyDenied', 'ExplicitlyDenied', 'ExplicitlyDenied']);
    expect(released.status, JSON.stringify(released.error)).toBe('Completed');
    expect(await attachedPolicyArns(iam, principal)).toEqual([]);
    expect(await simulateProbes(arn, await identityPolicies(iam, principal))).toEqual(before);
  });

  it('changes nothing on a user who already had deny-all, offers no undo, and that deny-all stays', async () => {
    // Prepare
    const name = unique('already-denied');
    const arn = await createUser(iam, name);
    await attachUserPolicy(iam, name, denyAll);

    // Act
    const quarantined = await quarantine(arn);
    const undo = unquarantine(quarantined);

    // Assess
    expect(quarantined.status, JSON.stringify(quarantined.error)).toBe('Completed');
    expect(quarantined.applied).toEqual({ changes: [] });
    expect(quarantined.result).toMatchObject({ alreadyDenied: true });
    expect(quarantined.prior).toMatchObject({ attachedPolicies: [{ policyArn: denyAll }] });
    expect(quarantined.undo.available).toBe(false);
    await expect(undo).rejects.toThrow(/changed nothing/);
    expect(await attachedPolicyArns(iam, { type: 'user', name })).toEqual([denyAll]);
  });

  it('reports drift on undo and detaches only what the quarantine attached', async () => {
    // Prepare
    const name = unique('drifting');
    const arn = await createUser(iam, name);
    const workPolicy = await createWorkPolicy(iam, unique('work'));
    await attachUserPolicy(iam, name, workPolicy);
    const quarantined = await quarantine(arn);
    // Between quarantine and undo, someone attaches another policy and removes one.
    await attachUserPolicy(iam, name, readOnly);
    await iam.send(new DetachUserPolicyCommand({ UserName: name, PolicyArn: workPolicy }));

    // Act
    const released = await unquarantine(quarantined);

    // Assess
    expect(released.status, JSON.stringify(released.error)).toBe('Completed');
    expect(released.result).toMatchObject({
      drift: { addedSince: [{ policyArn: readOnly }], removedSince: [{ policyArn: workPolicy }] },
      detached: [denyAll],
      alreadyDetached: [],
    });
    expect(await attachedPolicyArns(iam, { type: 'user', name })).toEqual([readOnly]);
  });

  it('reports a deny-all already detached by hand instead of failing', async () => {
    // Prepare
    const name = unique('hand-released');
    const arn = await createUser(iam, name);
    const quarantined = await quarantine(arn);
    await iam.send(new DetachUserPolicyCommand({ UserName: name, PolicyArn: denyAll }));

    // Act
    const released = await unquarantine(quarantined);

    // Assess
    expect(released.status, JSON.stringify(released.error)).toBe('Completed');
    expect(released.applied).toEqual({ changes: [] });
    expect(released.result).toMatchObject({
      drift: { addedSince: [], removedSince: [{ policyArn: denyAll }] },
      detached: [],
      alreadyDetached: [denyAll],
    });
  });

  it('ends in Error TargetNotFound for a principal that does not exist', async () => {
    // Prepare
    const name = unique('ghost');

    // Act
    const record = await quarantine(`arn:aws:iam::${motoAccountId}:user/${name}`);

    // Assess
    expect(record.status).toBe('Error');
    expect(record.error).toEqual({ code: 'TargetNotFound', message: `IAM user ${name} does not exist in account ${motoAccountId}` });
    expect(record.prior).toBeNull();
    expect(record.applied).toBeNull();
  });

  it('ends in Error without any call for an account outside TARGET_ACCOUNTS', async () => {
    // Prepare
    const callsBefore = harness.front.requests.length;

    // Act
    const record = await quarantine('arn:aws:iam::111122223333:user/alice');

    // Assess
    expect(record.status).toBe('Error');
    expect(record.error?.code).toBe('TargetAccountNotAllowed');
    expect(record.error?.message).toContain('111122223333');
    expect(harness.front.requests.slice(callsBefore)).toEqual([]);
  });

  it('ends in Error without any call for a protected target (the member role, the service own roles)', async () => {
    // Prepare
    const callsBefore = harness.front.requests.length;

    // Act
    const memberRole = await quarantine(`arn:aws:iam::${motoAccountId}:role/ResponseActionsMember`);
    const familyRole = await quarantine(`arn:aws:iam::${motoAccountId}:role/ResponseActionsMember-iam`);
    const ownRole = await quarantine(`arn:aws:iam::${motoAccountId}:role/response-actions-api`);

    // Assess
    expect(memberRole.status).toBe('Error');
    expect(memberRole.error?.code).toBe('ProtectedTarget');
    expect(familyRole.error?.code).toBe('ProtectedTarget');
    expect(ownRole.error?.code).toBe('ProtectedTarget');
    expect(harness.front.requests.slice(callsBefore)).toEqual([]);
  });

  it('refuses a protected role named through an IAM path or in another case, attaching nothing (issue 9, item 3)', async () => {
    // Prepare: the role exists on path / and PROTECTED_TARGETS names it without a path.
    await createRole(iam, breakGlass);
    const memberRolePath = `arn:aws:iam::${motoAccountId}:role/ops/ResponseActionsMember-iam`;
    const attempts = [
      `arn:aws:iam::${motoAccountId}:role/x/${breakGlass}`,
      `arn:aws:iam::${motoAccountId}:role/a/b/${breakGlass.toLowerCase()}`,
      `arn:aws:iam::${motoAccountId}:role/${breakGlass.toUpperCase()}`,
      memberRolePath,
      `arn:aws:iam::${motoAccountId}:role/svc/Response-Actions-Api`,
    ];
    const callsBefore = harness.front.requests.length;

    // Act
    const records = [];
    for (const arn of attempts) records.push(await quarantine(arn));

    // Assess
    for (const record of records) {
      expect(record.status, record.inputs['aws.resource.arn']?.toString()).toBe('Error');
      expect(record.error?.code).toBe('ProtectedTarget');
      expect(record.applied).toBeNull();
    }
    expect(harness.front.requests.slice(callsBefore)).toEqual([]);
    expect(await attachedPolicyArns(iam, { type: 'role', name: breakGlass })).toEqual([]);
    expect(await attachedPolicyArns(iam, { type: 'role', name: 'ResponseActionsMember-iam' })).toEqual([]);
  });

  it('ends in Error MemberRoleUnavailable when the member role cannot be assumed, naming account and role', async () => {
    // Prepare
    const name = unique('unreachable');
    const arn = await createUser(iam, name);
    const missingRole = harness.runtimeWith(iamFamily, {
      memberSessions: new StsMemberSessions({ sts, roleName: 'MissingMemberRole', externalId: memberExternalId }),
    });
    const wrongExternalId = harness.runtimeWith(iamFamily, {
      memberSessions: new StsMemberSessions({ sts, roleName: harness.config.memberRole.name, externalId: 'not-the-external-id' }),
    });

    // Act
    const first = await harness.run(harness.newRecord('iam-quarantine', { 'aws.resource.arn': arn }), missingRole);
    const second = await harness.run(harness.newRecord('iam-quarantine', { 'aws.resource.arn': arn }), wrongExternalId);

    // Assess
    const missing = await harness.repository.get(first.id);
    expect(missing?.status).toBe('Error');
    expect(missing?.error?.code).toBe('MemberRoleUnavailable');
    expect(missing?.error?.message).toContain(`arn:aws:iam::${motoAccountId}:role/MissingMemberRole`);
    expect(missing?.error?.message).toContain(`account ${motoAccountId}`);
    expect((await harness.repository.get(second.id))?.error?.code).toBe('MemberRoleUnavailable');
    expect(await attachedPolicyArns(iam, { type: 'user', name })).toEqual([]);
  });
});
