import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { actionTypes, findActionType, isUndoType } from '#shared/catalogue/index.ts';
import { NothingToUndoError } from '#shared/errors.ts';
import { planSchema } from '#shared/plans/plan-schema.ts';
import type { Plan } from '#shared/plans/types.ts';
import { motoAccountId } from '#test/support/moto-iam.ts';
import { analyst, cloudInputs, readOnlyRequest, startPlanCloudSuite, type CloudTargets, type PlanCloudHarness } from './plan-cloud-harness.ts';

/*
 * Every cloud type of the catalogue planned by PlanService with the real in-process CloudPlanner
 * against moto_server: the prior read through the member role, the calls apply would make, the
 * undo sentence from that prior; nothing written to the history, no call that changes anything.
 */

let h: PlanCloudHarness;
let targets: CloudTargets;

beforeAll(async () => {
  ({ h, targets } = await startPlanCloudSuite(inject('motoEndpoint')));
});

afterAll(async () => {
  await h.close();
});

async function planWatched(type: string, inputs: Readonly<Record<string, unknown>>): Promise<{ plan: Plan; requests: string[]; written: number }> {
  const before = await h.historyCount();
  const from = h.harness.front.requests.length;
  const plan = await h.plans.plan(analyst, { type, inputs });
  return { plan, requests: h.requestsSince(from), written: (await h.historyCount()) - before };
}

const cloudTypes = actionTypes.filter((definition) => definition.executors.includes('cloud') && !isUndoType(definition.type)).map((definition) => definition.type);

describe('plans of every cloud type on moto', () => {
  it('has inputs for every cloud type that is not an undo (the undo types: plan-service-undo.test.ts)', () => {
    // Assess
    expect(Object.keys(cloudInputs(targets)).sort()).toEqual([...cloudTypes].sort());
  });

  it.each(cloudTypes)('%s: allowed, the prior read now, the calls apply would make, nothing written or changed', async (type) => {
    // Prepare
    const inputs = cloudInputs(targets)[type] ?? {};
    // Act
    const { plan, requests, written } = await planWatched(type, inputs);
    // Assess
    expect(planSchema.safeParse(plan).error?.issues ?? []).toEqual([]);
    expect(plan.refusal).toBeNull();
    expect(plan.allowed).toBe(true);
    expect(plan.type).toBe(type);
    expect(plan.changes.length).toBeGreaterThan(0);
    for (const change of plan.changes) expect(change.call).toMatch(/^[a-z0-9-]+:\w+/);
    const undoType = findActionType(type)?.undoType ?? null;
    expect(plan.undo?.type ?? null).toBe(undoType);
    if (type !== 'fetch-cloud-logs') expect(plan.prior).not.toBeNull();
    expect(requests).toContain('AssumeRole');
    expect(requests.filter((request) => !readOnlyRequest.test(request))).toEqual([]);
    expect(written).toBe(0);
  });

  it('iam-quarantine: the prior lists the user\'s policies and the undo says what stays', async () => {
    // Act
    const { plan } = await planWatched('iam-quarantine', { 'aws.resource.arn': targets.userArn });
    // Assess
    expect(plan.prior).toMatchObject({ principal: { type: 'user', arn: targets.userArn }, attachedPolicies: [{ policyName: 'ReadOnlyAccess' }] });
    expect(plan.changes).toEqual([expect.objectContaining({ call: 'iam:AttachUserPolicy' })]);
    expect(plan.undo?.restores).toMatch(/^detaches AWSDenyAll from user alice-\w+, restoring the 1 managed policy \(ReadOnlyAccess\) and 0 inline policies attached before$/);
  });

  it('deactivate-access-keys: the undo names the key that is Active now', async () => {
    // Act
    const { plan } = await planWatched('deactivate-access-keys', { 'aws.resource.arn': targets.userArn });
    // Assess
    const keys = (plan.prior as { accessKeys: { accessKeyId: string }[] }).accessKeys.map((key) => key.accessKeyId);
    expect(keys).toHaveLength(1);
    expect(plan.undo?.restores).toContain(`that is Active now (${keys[0] ?? ''})`);
  });
});

describe('refusals on moto', () => {
  it('refuses a user that does not exist with TargetNotFound (a refusal, not an error), having only read', async () => {
    // Act
    const { plan, requests, written } = await planWatched('iam-quarantine', { 'aws.resource.arn': `arn:aws:iam::${motoAccountId}:user/nobody-here` });
    // Assess
    expect(plan).toMatchObject({ allowed: false, refusal: { code: 'TargetNotFound' }, changes: [], prior: null, undo: null });
    expect(requests).toContain('GetUser');
    expect(requests.filter((request) => !readOnlyRequest.test(request))).toEqual([]);
    expect(written).toBe(0);
  });

  it('refuses an account outside TARGET_ACCOUNTS without a single request to AWS', async () => {
    // Act
    const { plan, requests, written } = await planWatched('isolate-ec2-instance', { 'aws.resource.arn': 'arn:aws:ec2:us-east-1:999999999999:instance/i-0123456789abcdef0' });
    // Assess
    expect(plan).toMatchObject({ allowed: false, refusal: { code: 'TargetAccountNotAllowed' }, changes: [] });
    expect(requests).toEqual([]);
    expect(written).toBe(0);
  });

  it('refuses a protected target without a single request to AWS', async () => {
    // Act
    const { plan, requests } = await planWatched('revoke-iam-role-sessions', { 'aws.resource.arn': `arn:aws:iam::${motoAccountId}:role/${h.breakGlass}` });
    // Assess
    expect(plan).toMatchObject({ allowed: false, refusal: { code: 'ProtectedTarget' }, changes: [] });
    expect(requests).toEqual([]);
  });

  it('answers an undo type with nothing to undo (409) when no original completed', async () => {
    // Act
    const attempt = h.plans.plan(analyst, { type: 'reactivate-access-keys', inputs: { 'aws.resource.arn': targets.userArn } });
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(NothingToUndoError);
  });
});
