/**
 * Plans of iam-quarantine and iam-unquarantine against moto_server (IAM and STS over HTTP through
 * the moto front), through the local in-process planner: the exact calls apply would make, none
 * when already done, nothing written to the history, nothing changed in IAM, and the guards
 * refusing before any call.
 */
import { randomUUID } from 'node:crypto';
import { AttachUserPolicyCommand, DetachUserPolicyCommand, type IAMClient } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProtectedTargetError, TargetAccountNotAllowedError, UndoSourceMissingError, InvalidTargetError } from '#shared/actions/errors.ts';
import { iamFamily } from '#shared/actions/iam/index.ts';
import { InvalidInputError } from '#shared/errors.ts';
import type { CloudPlanRequest } from '#shared/plans/types.ts';
import type { CloudActionHarness } from '#test/support/cloud-action-harness.ts';
import { startIamPlanFixture, writesAmong, type IamPlanFixture, type WatchedPlan } from '#test/support/cloud-plans.ts';
import {
  attachUserPolicy,
  attachedPolicyArns,
  createRole,
  createUser,
  createWorkPolicy,
  motoAccountId,
  type MotoRequest,
} from '#test/support/moto-iam.ts';

const denyAll = 'arn:aws:iam::aws:policy/AWSDenyAll';
const breakGlass = `BreakGlass-${randomUUID().slice(0, 8)}`;
const unique = (name: string): string => `${name}-${randomUUID().slice(0, 8)}`;

let fixture: IamPlanFixture;
let harness: CloudActionHarness;
let iam: IAMClient;

beforeAll(async () => {
  fixture = await startIamPlanFixture(inject('motoEndpoint'), { families: [iamFamily], protectedTargets: `arn:aws:iam::*:role/${breakGlass}` });
  ({ harness, iam } = fixture);
});

afterAll(async () => {
  await fixture.close();
});

const planWatched = (request: CloudPlanRequest): Promise<WatchedPlan<MotoRequest>> => fixture.planWatched(request);

const quarantine = (arn: string): CloudPlanRequest => ({ type: 'iam-quarantine', inputs: { 'aws.resource.arn': arn }, undoOf: null });

describe('plans of iam-quarantine', () => {
  it('lists the AttachUserPolicy a quarantine of a user would make, reading the user as capture does, and writes and changes nothing', async () => {
    // Prepare
    const name = unique('alice');
    const arn = await createUser(iam, name);
    const work = await createWorkPolicy(iam, unique('work'));
    await attachUserPolicy(iam, name, work);
    const attachedBefore = await attachedPolicyArns(iam, { type: 'user', name });

    // Act
    const planned = await planWatched(quarantine(arn));

    // Assess
    expect(planned.error).toBeNull();
    expect(planned.result).toEqual({
      prior: {
        principal: { type: 'user', name, arn, id: expect.any(String) as string },
        attachedPolicies: [{ policyArn: work, policyName: expect.any(String) as string }],
        inlinePolicyNames: [],
      },
      changes: [{ call: 'iam:AttachUserPolicy', target: arn, detail: `attach AWSDenyAll (${denyAll}) to IAM user ${name}` }],
    });
    // The IAM family's own member role, in a session that names a plan, then reads only.
    expect(planned.calls[0]).toEqual({
      action: 'AssumeRole',
      parameters: expect.objectContaining({
        RoleArn: `arn:aws:iam::${motoAccountId}:role/ResponseActionsMember-iam`,
        RoleSessionName: expect.stringMatching(/^response-actions-plan-[0-9a-f-]{36}$/) as string,
      }) as unknown,
    });
    expect(planned.operations).toEqual(['AssumeRole', 'GetUser', 'ListAttachedUserPolicies', 'ListUserPolicies']);
    expect(writesAmong(planned.operations)).toEqual([]);
    expect(planned.itemsAfter).toBe(planned.itemsBefore);
    expect(await attachedPolicyArns(iam, { type: 'user', name })).toEqual(attachedBefore);
  });

  it('lists AttachRolePolicy for a role', async () => {
    // Prepare
    const name = unique('app');
    const arn = await createRole(iam, name);

    // Act
    const planned = await planWatched(quarantine(arn));

    // Assess
    expect(planned.result?.changes).toEqual([{ call: 'iam:AttachRolePolicy', target: arn, detail: `attach AWSDenyAll (${denyAll}) to IAM role ${name}` }]);
    expect(writesAmong(planned.operations)).toEqual([]);
    expect(await attachedPolicyArns(iam, { type: 'role', name })).toEqual([]);
  });

  it('lists nothing for a principal that already has AWSDenyAll', async () => {
    // Prepare
    const name = unique('bob');
    const arn = await createUser(iam, name);
    await iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: denyAll }));

    // Act
    const planned = await planWatched(quarantine(arn));

    // Assess
    expect(planned.result?.changes).toEqual([]);
    expect(planned.itemsAfter).toBe(planned.itemsBefore);
    expect(await attachedPolicyArns(iam, { type: 'user', name })).toEqual([denyAll]);
  });
});

describe('plans of iam-unquarantine', () => {
  it('lists the detach of exactly what the quarantine attached, and nothing once someone detached it by hand', async () => {
    // Prepare: a real quarantine, recorded in the history
    const name = unique('carol');
    const arn = await createUser(iam, name);
    const original = await harness.run(harness.newRecord('iam-quarantine', { 'aws.resource.arn': arn }));
    expect(original.status, JSON.stringify(original.error)).toBe('Completed');
    const undo: CloudPlanRequest = { type: 'iam-unquarantine', inputs: { 'aws.resource.arn': arn }, undoOf: original.id };

    // Act
    const planned = await planWatched(undo);
    await iam.send(new DetachUserPolicyCommand({ UserName: name, PolicyArn: denyAll }));
    const afterDrift = await planWatched(undo);

    // Assess
    expect(planned.result?.changes).toEqual([{ call: 'iam:DetachUserPolicy', target: arn, detail: `detach AWSDenyAll (${denyAll}) from IAM user ${name}` }]);
    expect(planned.result?.prior).toMatchObject({ attachedPolicies: [{ policyArn: denyAll }] });
    expect(writesAmong(planned.operations)).toEqual([]);
    expect(planned.itemsAfter).toBe(planned.itemsBefore);
    expect(afterDrift.result?.changes).toEqual([]);
    // The quarantine's own record is as the run left it: the plan linked no undo to it.
    expect((await harness.repository.get(original.id))?.undo).toEqual(original.undo);
  });

  it('refuses an undo source that is missing, of another type, or on another resource, and undoOf on a type that undoes nothing', async () => {
    // Prepare
    const name = unique('dave');
    const arn = await createUser(iam, name);
    const other = await createUser(iam, unique('erin'));
    const original = await harness.run(harness.newRecord('iam-quarantine', { 'aws.resource.arn': other }));
    const undoOf = (undoOfId: string | null, target = arn): CloudPlanRequest => ({ type: 'iam-unquarantine', inputs: { 'aws.resource.arn': target }, undoOf: undoOfId });

    // Act
    const missing = await planWatched(undoOf(null));
    const unknown = await planWatched(undoOf(randomUUID()));
    const elsewhere = await planWatched(undoOf(original.id));
    const notUndo = await planWatched({ ...quarantine(arn), undoOf: original.id });

    // Assess
    expect(missing.error).toBeInstanceOf(UndoSourceMissingError);
    expect(unknown.error).toBeInstanceOf(UndoSourceMissingError);
    expect(elsewhere.error).toBeInstanceOf(InvalidTargetError);
    expect(notUndo.error).toBeInstanceOf(InvalidInputError);
    for (const refused of [missing, unknown, elsewhere, notUndo]) {
      expect(refused.operations).toEqual([]);
      expect(refused.itemsAfter).toBe(refused.itemsBefore);
    }
  });
});

describe('guards and validation before any call', () => {
  it('refuses a principal in an account outside TARGET_ACCOUNTS and a protected role with the named errors, calling nothing and writing nothing', async () => {
    // Prepare
    const protectedArn = await createRole(iam, breakGlass);

    // Act
    const outside = await planWatched(quarantine('arn:aws:iam::210987654321:user/mallory'));
    const guarded = await planWatched(quarantine(protectedArn));
    const memberRole = await planWatched(quarantine(`arn:aws:iam::${motoAccountId}:role/ResponseActionsMember-iam`));

    // Assess
    expect(outside.error).toBeInstanceOf(TargetAccountNotAllowedError);
    expect(guarded.error).toBeInstanceOf(ProtectedTargetError);
    expect(memberRole.error).toBeInstanceOf(ProtectedTargetError);
    for (const refused of [outside, guarded, memberRole]) {
      expect(refused.operations).toEqual([]);
      expect(refused.itemsAfter).toBe(refused.itemsBefore);
    }
    expect(await attachedPolicyArns(iam, { type: 'role', name: breakGlass })).toEqual([]);
  });

  it('refuses inputs a create would refuse, naming the field, before any call', async () => {
    // Act
    const planned = await planWatched({ type: 'iam-quarantine', inputs: { 'aws.resource.arn': 'not-an-arn' }, undoOf: null });

    // Assess
    expect(planned.error).toBeInstanceOf(InvalidInputError);
    expect((planned.error as InvalidInputError).errors.map((error) => error.path)).toEqual(['inputs.aws.resource.arn']);
    expect(planned.operations).toEqual([]);
  });
});
