/**
 * Cloud plans without any server: every cloud action of every family has a plan, the family
 * function's plan event is checked strictly, a plan runs capture into memory and never writes the
 * history, guards refuse before a session is asked for, function errors map back to their named
 * classes, and CLOUD_PLAN_FUNCTIONS is read strictly.
 */
import { describe, expect, it } from 'vitest';
import { cloudPlannerFromEnv } from '#functions/api/aws/cloud-planner.ts';
import { planRequestOf, runCloudActionPlan } from '#shared/actions/action-plan.ts';
import type { CloudActionFamily } from '#shared/actions/cloud-action.ts';
import { cloudTrailFamily } from '#shared/actions/cloudtrail/index.ts';
import { ec2Family } from '#shared/actions/ec2/index.ts';
import {
  AccessDeniedError,
  AutoScalingLifecycleError,
  CloudActionError,
  DbClusterMemberError,
  InvalidStepEventError,
  ProtectedTargetError,
  TargetAccountNotAllowedError,
  ThrottlingError,
  cloudActionErrorOf,
} from '#shared/actions/errors.ts';
import { cloudActionFamilyDeployments } from '#shared/actions/families.ts';
import { iamAccessKeysFamily } from '#shared/actions/iam-access-keys/index.ts';
import { iamSessionsFamily } from '#shared/actions/iam-sessions/index.ts';
import { iamFamily } from '#shared/actions/iam/index.ts';
import { privateFamily } from '#shared/actions/private/index.ts';
import type { MemberSessionSource } from '#shared/adapters/member-session.ts';
import { systemClock } from '#shared/clock.ts';
import { ConfigError } from '#shared/errors.ts';
import type { EvidenceStore } from '#shared/ports.ts';
import { config, family, fakeSessions, testAction } from '#test/support/cloud-action-scenarios.ts';

const refused = (): Promise<never> => Promise.reject(new Error('not used'));
const evidence: EvidenceStore = { put: refused, list: refused, downloadUrl: refused, uploadUrl: refused };
const families: readonly CloudActionFamily[] = [iamFamily, privateFamily, iamSessionsFamily, iamAccessKeysFamily, ec2Family, cloudTrailFamily({ evidence })];
const target = 'arn:aws:iam::111122223333:user/alice';

/** A history that has no record and fails the test if anything writes to it. */
const readOnlyHistory = {
  get: () => Promise.resolve(null),
  recordProgress: () => Promise.reject(new Error('a plan wrote progress to the history')),
};

describe('every cloud action has a plan', () => {
  it('in every family, for every type each family deploys', () => {
    // Act
    const planned = families.flatMap((each) => each.actions.map((action) => ({ family: each.name, type: action.type, plan: typeof action.plan })));
    const deployed = cloudActionFamilyDeployments.flatMap((deployment) => deployment.types.map((type) => ({ family: deployment.name, type, plan: 'function' })));

    // Assess
    expect(planned.filter((action) => action.plan !== 'function')).toEqual([]);
    expect([...planned].sort((a, b) => a.type.localeCompare(b.type))).toEqual([...deployed].sort((a, b) => a.type.localeCompare(b.type)));
    expect(planned).toHaveLength(15);
  });
});

describe('the plan event of a family function', () => {
  const request = { type: 'iam-quarantine', inputs: { 'aws.resource.arn': target }, undoOf: null };

  it('is { plan: { type, inputs, undoOf } } exactly; a step event is no plan event', () => {
    // Act & Assess
    expect(planRequestOf({ plan: request })).toEqual(request);
    expect(planRequestOf({ actionId: 'a', step: 'capture' })).toBeUndefined();
    expect(planRequestOf(null)).toBeUndefined();
  });

  it.each([
    ['an extra top-level field', { plan: request, actionId: 'a' }],
    ['an extra field in the plan', { plan: { ...request, reason: 'x' } }],
    ['no undoOf', { plan: { type: request.type, inputs: request.inputs } }],
    ['an empty type', { plan: { ...request, type: '' } }],
    ['inputs that are a list', { plan: { ...request, inputs: [] } }],
    ['a plan that is a string', { plan: 'iam-quarantine' }],
  ])('refuses %s with InvalidStepEvent', (_name, event) => {
    // Act & Assess
    expect(() => planRequestOf(event)).toThrow(InvalidStepEventError);
  });
});

describe('runCloudActionPlan', () => {
  it('runs capture with progress in memory and plans from it, never writing the history', async () => {
    // Prepare
    const action = testAction('iam-quarantine', {
      capture: (context) => context.recordProgress({ prior: { attached: [] } }),
      plan: (context) => Promise.resolve([{ call: 'iam:AttachUserPolicy', target: context.target.arn, detail: JSON.stringify(context.record.prior) }]),
    });

    // Act
    const result = await runCloudActionPlan(
      { repository: readOnlyHistory, config, sessions: fakeSessions, family: family('iam', [action]), clock: systemClock },
      { type: 'iam-quarantine', inputs: { 'aws.resource.arn': target }, undoOf: null },
    );

    // Assess
    expect(result).toEqual({ prior: { attached: [] }, changes: [{ call: 'iam:AttachUserPolicy', target, detail: '{"attached":[]}' }] });
    expect(action.calls).toEqual(['capture', 'plan']);
  });

  it('refuses an action\'s plan that tries to record progress', async () => {
    // Prepare
    const action = testAction('iam-quarantine', { plan: async (context) => (await context.recordProgress({ applied: { changes: [] } }), []) });

    // Act
    const planned = runCloudActionPlan(
      { repository: readOnlyHistory, config, sessions: fakeSessions, family: family('iam', [action]), clock: systemClock },
      { type: 'iam-quarantine', inputs: { 'aws.resource.arn': target }, undoOf: null },
    );

    // Assess
    await expect(planned).rejects.toThrow('a plan writes nothing');
  });

  it.each([
    ['an account outside TARGET_ACCOUNTS', 'arn:aws:iam::210987654321:user/alice', TargetAccountNotAllowedError],
    ['a member role', 'arn:aws:iam::111122223333:role/ResponseActionsMember-iam', ProtectedTargetError],
  ])('refuses %s before asking for a member session', async (_name, arn, refusal) => {
    // Prepare
    const asked: unknown[] = [];
    const sessions: MemberSessionSource = { sessionFor: (request) => (asked.push(request), fakeSessions.sessionFor(request)) };
    const action = testAction('iam-quarantine');

    // Act
    const planned = runCloudActionPlan(
      { repository: readOnlyHistory, config, sessions, family: family('iam', [action]), clock: systemClock },
      { type: 'iam-quarantine', inputs: { 'aws.resource.arn': arn }, undoOf: null },
    );

    // Assess
    await expect(planned).rejects.toBeInstanceOf(refusal);
    expect(asked).toEqual([]);
    expect(action.calls).toEqual([]);
  });
});

describe('errors crossing the Lambda boundary', () => {
  it.each([
    ['TargetAccountNotAllowedError', TargetAccountNotAllowedError],
    ['ProtectedTargetError', ProtectedTargetError],
    ['ThrottlingError', ThrottlingError],
    ['DbClusterMemberError', DbClusterMemberError],
    ['AutoScalingLifecycleError', AutoScalingLifecycleError],
  ])('map %s back to its class with its message', (errorType, named) => {
    // Act
    const error = cloudActionErrorOf(errorType, 'why');

    // Assess
    expect(error).toBeInstanceOf(named);
    expect(error?.name).toBe(errorType);
    expect(error?.message).toBe('why');
  });

  it('keep the permission an AccessDenied names, and leave any other errorType unmapped', () => {
    // Act
    const denied = cloudActionErrorOf('AccessDeniedError', 'access denied to iam:GetUser in account 1; the member role needs iam:GetUser (x)');

    // Assess
    expect(denied).toBeInstanceOf(AccessDeniedError);
    expect((denied as AccessDeniedError).permission).toBe('iam:GetUser');
    expect(cloudActionErrorOf('Runtime.ExitError', 'exited')).toBeUndefined();
    expect(cloudActionErrorOf('Error', 'x')).toBeUndefined();
    expect(denied).toBeInstanceOf(CloudActionError);
  });
});

describe('CLOUD_PLAN_FUNCTIONS', () => {
  it.each([
    ['missing', {}],
    ['not JSON', { CLOUD_PLAN_FUNCTIONS: 'iam=fn' }],
    ['a list', { CLOUD_PLAN_FUNCTIONS: '["fn"]' }],
    ['an empty function name', { CLOUD_PLAN_FUNCTIONS: '{"iam":""}' }],
  ])('refuses %s with a ConfigError naming the variable', (_name, env) => {
    // Act & Assess
    expect(() => cloudPlannerFromEnv(env)).toThrow(ConfigError);
    expect(() => cloudPlannerFromEnv(env)).toThrow(/^CLOUD_PLAN_FUNCTIONS: /);
  });

  it('takes an object of family name to function name', () => {
    // Act & Assess
    expect(cloudPlannerFromEnv({ CLOUD_PLAN_FUNCTIONS: '{"iam":"stack-IamSteps-1","ec2":"stack-Ec2Steps-2"}' })).toBeDefined();
  });
});
