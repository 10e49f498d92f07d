import { randomUUID } from 'node:crypto';
import {
  AttachRolePolicyCommand,
  DeleteRolePolicyCommand,
  GetRolePolicyCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { iamSessionsFamily, revokeOlderSessionsPolicy, revokePolicyName } from '#shared/actions/iam-sessions/index.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { startCloudActionHarness, type CloudActionHarness } from '#test/support/cloud-action-harness.ts';
import {
  createRole,
  createWorkPolicy,
  identityPolicies,
  motoAccountId,
  motoIamClient,
  parsePolicyDocument,
} from '#test/support/moto-iam.ts';

let harness: CloudActionHarness;
let iam: IAMClient;

beforeAll(async () => {
  const moto = inject('motoEndpoint');
  harness = await startCloudActionHarness(moto, { families: [iamSessionsFamily], protectedTargets: 'arn:aws:iam::*:role/response-actions-*' });
  iam = motoIamClient(moto);
});

afterAll(async () => {
  iam.destroy();
  await harness.close();
});

const unique = (name: string): string => `${name}-${randomUUID().slice(0, 8)}`;

async function revoke(arn: string): Promise<ActionRecord> {
  return harness.run(harness.newRecord('revoke-iam-role-sessions', { 'aws.resource.arn': arn }));
}

/** The undo, linked to the original first as POST /v1/actions/{id}/undo does. */
async function restore(original: ActionRecord): Promise<ActionRecord> {
  return harness.undo(original, 'restore-iam-role-sessions');
}

/** The exact text of the role's inline policy of our name, or null when there is none. */
async function revokePolicyText(roleName: string): Promise<string | null> {
  const { PolicyNames } = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }));
  if (!(PolicyNames ?? []).includes(revokePolicyName)) return null;
  const { PolicyDocument } = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: revokePolicyName }));
  return decodeURIComponent(PolicyDocument ?? '');
}

/** The decision for a request by a session of the role whose token was issued at `tokenIssueTime`. */
async function sessionDecision(roleName: string, tokenIssueTime: Date): Promise<string> {
  const simulation = await runSimulation(
    {
      identityPolicies: await identityPolicies(iam, { type: 'role', name: roleName }),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        principal: `arn:aws:sts::${motoAccountId}:assumed-role/${roleName}/attacker-session`,
        action: 's3:GetObject',
        resource: { resource: 'arn:aws:s3:::evidence-bucket/report.txt', accountId: motoAccountId },
        contextVariables: { 'aws:TokenIssueTime': tokenIssueTime.toISOString() },
      },
    },
    {},
  );
  if (simulation.resultType === 'error') throw new Error(`simulation failed: ${JSON.stringify(simulation.errors)}`);
  return simulation.overallResult;
}

const secondsFrom = (iso: string, seconds: number): Date => new Date(Date.parse(iso) + seconds * 1000);

describe('revoke-iam-role-sessions and restore-iam-role-sessions on moto (IAM + STS over HTTP)', () => {
  it('revokes the sessions issued before now with the console policy and undo deletes exactly that policy', async () => {
    // Prepare
    const name = unique('build-role');
    const arn = await createRole(iam, name);
    const workPolicy = await createWorkPolicy(iam, unique('work'));
    await iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: workPolicy }));
    const callsBefore = harness.front.requests.length;

    // Act
    const revoked = await revoke(arn);
    const revokeCalls = harness.front.requests.slice(callsBefore);
    const textWhileRevoked = await revokePolicyText(name);
    const revokedBefore = String((revoked.result as { revokedBefore?: unknown } | null)?.revokedBefore);
    const oldSessionWhileRevoked = await sessionDecision(name, secondsFrom(revokedBefore, -1));
    const newSessionWhileRevoked = await sessionDecision(name, secondsFrom(revokedBefore, 1));
    const restored = await restore(revoked);
    const oldSessionAfterRestore = await sessionDecision(name, secondsFrom(revokedBefore, -1));

    // Assess
    expect(revoked.status, JSON.stringify(revoked.error)).toBe('Completed');
    expect(revoked.prior).toEqual({
      role: { name, arn, id: expect.any(String) as string },
      policyName: revokePolicyName,
      policy: null,
    });
    const written = revokeOlderSessionsPolicy(revokedBefore);
    expect(revoked.applied).toEqual({ changes: [{ action: 'PutRolePolicy', policyName: revokePolicyName, document: written }] });
    expect(revoked.result).toEqual({
      role: `IAM role ${name}`,
      policyName: revokePolicyName,
      revokedBefore,
      replacedPolicy: false,
      verified: true,
    });
    expect(parsePolicyDocument(written)).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: ['*'], Resource: ['*'], Condition: { DateLessThan: { 'aws:TokenIssueTime': revokedBefore } } }],
    });
    expect(textWhileRevoked).toBe(written);
    expect(revokeCalls.filter((call) => call.action === 'PutRolePolicy')).toEqual([
      {
        action: 'PutRolePolicy',
        parameters: expect.objectContaining({ RoleName: name, PolicyName: revokePolicyName, PolicyDocument: written }) as unknown,
      },
    ]);
    // Sessions issued before the revoke are denied everything; sessions issued after are untouched.
    expect(oldSessionWhileRevoked).toBe('ExplicitlyDenied');
    expect(newSessionWhileRevoked).toBe('Allowed');

    expect(restored.status, JSON.stringify(restored.error)).toBe('Completed');
    expect(restored.applied).toEqual({ changes: [{ action: 'DeleteRolePolicy', policyName: revokePolicyName }] });
    expect(restored.result).toEqual({
      role: `IAM role ${name}`,
      policyName: revokePolicyName,
      drift: { policy: 'asWritten' },
      restored: 'policyDeleted',
      verified: true,
    });
    expect(await revokePolicyText(name)).toBeNull();
    expect(oldSessionAfterRestore).toBe('Allowed');
    expect((await harness.repository.get(revoked.id))?.undo).toEqual({ available: false, type: 'restore-iam-role-sessions', actionId: restored.id });
  });

  it('gives a role that already had a policy of that name its own document back, byte for byte', async () => {
    // Prepare
    const name = unique('revoked-before');
    const arn = await createRole(iam, name);
    // An earlier revoke, written by hand with its own formatting.
    const earlier = '{\n  "Version": "2012-10-17",\n  "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",\n    "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}}}]\n}';
    await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: revokePolicyName, PolicyDocument: earlier }));

    // Act
    const revoked = await revoke(arn);
    const textWhileRevoked = await revokePolicyText(name);
    const restored = await restore(revoked);

    // Assess
    expect(revoked.status, JSON.stringify(revoked.error)).toBe('Completed');
    expect(revoked.prior).toMatchObject({ policyName: revokePolicyName, policy: { document: earlier } });
    expect(revoked.result).toMatchObject({ replacedPolicy: true });
    expect(textWhileRevoked).not.toBe(earlier);
    expect(restored.status, JSON.stringify(restored.error)).toBe('Completed');
    expect(restored.applied).toEqual({ changes: [{ action: 'PutRolePolicy', policyName: revokePolicyName, document: earlier }] });
    expect(restored.result).toMatchObject({ drift: { policy: 'asWritten' }, restored: 'priorPolicyPutBack' });
    expect(await revokePolicyText(name)).toBe(earlier);
  });

  it('reports a policy changed since the revoke as drift and leaves it as found', async () => {
    // Prepare
    const name = unique('changed-since');
    const arn = await createRole(iam, name);
    const revoked = await revoke(arn);
    const changed = revokeOlderSessionsPolicy('2030-01-01T00:00:00.000Z');
    await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: revokePolicyName, PolicyDocument: changed }));

    // Act
    const restored = await restore(revoked);

    // Assess
    expect(restored.status, JSON.stringify(restored.error)).toBe('Completed');
    expect(restored.applied).toEqual({ changes: [] });
    expect(restored.result).toEqual({
      role: `IAM role ${name}`,
      policyName: revokePolicyName,
      drift: { policy: 'changedSince', documentNow: changed },
      restored: 'leftAsFound',
      verified: true,
    });
    expect(await revokePolicyText(name)).toBe(changed);
  });

  it('reports a policy removed by hand since the revoke instead of failing', async () => {
    // Prepare
    const name = unique('removed-since');
    const arn = await createRole(iam, name);
    const revoked = await revoke(arn);
    await iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: revokePolicyName }));

    // Act
    const restored = await restore(revoked);

    // Assess
    expect(restored.status, JSON.stringify(restored.error)).toBe('Completed');
    expect(restored.applied).toEqual({ changes: [] });
    expect(restored.result).toMatchObject({ drift: { policy: 'removedSince' }, restored: 'leftAsFound' });
    expect(await revokePolicyText(name)).toBeNull();
  });

  it('ends in Error TargetNotFound for a role that does not exist, having recorded nothing', async () => {
    // Prepare
    const name = unique('ghost-role');

    // Act
    const record = await revoke(`arn:aws:iam::${motoAccountId}:role/${name}`);

    // Assess
    expect(record.status).toBe('Error');
    expect(record.error).toEqual({ code: 'TargetNotFound', message: `IAM role ${name} does not exist in account ${motoAccountId}` });
    expect(record.prior).toBeNull();
    expect(record.applied).toBeNull();
  });

  it('ends in Error without any call for the member roles and the service own roles, on any path and in any case', async () => {
    // Prepare
    const callsBefore = harness.front.requests.length;

    // Act
    const memberRole = await revoke(`arn:aws:iam::${motoAccountId}:role/ResponseActionsMember`);
    const ownFamilyRole = await revoke(`arn:aws:iam::${motoAccountId}:role/ResponseActionsMember-iam-sessions`);
    const pathedFamilyRole = await revoke(`arn:aws:iam::${motoAccountId}:role/x/responseactionsmember-iam`);
    const ownRole = await revoke(`arn:aws:iam::${motoAccountId}:role/response-actions-api`);
    const pathedOwnRole = await revoke(`arn:aws:iam::${motoAccountId}:role/ops/Response-Actions-Api`);

    // Assess
    for (const record of [memberRole, ownFamilyRole, pathedFamilyRole, ownRole, pathedOwnRole]) {
      expect(record.error?.code, record.inputs['aws.resource.arn']?.toString()).toBe('ProtectedTarget');
    }
    expect(harness.front.requests.slice(callsBefore)).toEqual([]);
    expect(await revokePolicyText('ResponseActionsMember-iam-sessions')).toBeNull();
  });
});
