import { describe, expect, it } from 'vitest';
import { AccessDeniedError, TargetNotFoundError, ThrottlingError } from '#shared/actions/errors.ts';
import type { Caller } from '#shared/auth/scopes.ts';
import { actionTypes, findActionType, isUndoType } from '#shared/catalogue/index.ts';
import { FixedClock } from '#shared/clock.ts';
import { loadConfig } from '#shared/config/config.ts';
import { ForbiddenError, InvalidInputError, RetryLaterError } from '#shared/errors.ts';
import { PlanService } from '#shared/plans/plan-service.ts';
import { planSchema } from '#shared/plans/plan-schema.ts';
import type { CloudPlanner, CloudPlanRequest, CloudPlanResult, Plan } from '#shared/plans/types.ts';
import { now } from '../catalogue/expectations.ts';
import { validCases } from '../catalogue/valid-cases.ts';

const containmentExec = 'containment-response-actions.exec';
const gatheringExec = 'data-gathering-response-actions.exec';
const caller = (...scopes: string[]): Caller => ({ sub: 'analyst-1', scopes: new Set(scopes) });
const everyScope = caller(containmentExec, gatheringExec);

const userArn = 'arn:aws:iam::123456789012:user/ops/alice';
const config = loadConfig({ TARGET_ACCOUNTS: '123456789012', MEMBER_ROLE_EXTERNAL_ID: 'ext-id', PROTECTED_TARGETS: 'arn:aws:iam::123456789012:role/BreakGlass' });

/**
 * A CloudPlanner port that records what it is asked and answers (or throws) as told: it stands
 * for the family function only where these tests check what PlanService does with the answer;
 * test/integration/plans/plan-service.test.ts runs the real planner against moto_server.
 */
class RecordingCloudPlanner implements CloudPlanner {
  readonly asked: CloudPlanRequest[] = [];
  readonly #answer: () => Promise<CloudPlanResult>;

  constructor(answer: () => Promise<CloudPlanResult>) {
    this.#answer = answer;
  }

  plan(request: CloudPlanRequest): Promise<CloudPlanResult> {
    this.asked.push(request);
    return this.#answer();
  }
}

/** No history: undo types posted directly find nothing to undo (their plans are tested against dynalite). */
const emptyHistory = { list: () => Promise.resolve({ items: [], nextCursor: null }) };

function service(cloud?: CloudPlanner): PlanService {
  return new PlanService({ cloud, config, repository: emptyHistory, clock: new FixedClock(now) });
}

function expectPlan(plan: Plan): Plan {
  expect(planSchema.safeParse(plan).error?.issues ?? []).toEqual([]);
  return plan;
}

describe('PlanService: responder types', () => {
  const responderCases = validCases.filter((item) => item.executor !== 'cloud' && !isUndoType(item.type));

  it('covers every host and Kubernetes type that is not an undo (undo types: integration test against dynalite)', () => {
    // Prepare
    const covered = new Set(responderCases.map((item) => item.type));
    // Assess
    const expected = actionTypes.filter((each) => each.executors.some((executor) => executor !== 'cloud') && !isUndoType(each.type)).map((each) => each.type);
    expect([...covered].sort()).toEqual([...expected].sort());
  });

  it.each(responderCases.map((item) => [`${item.type} ${item.name}`, item] as const))('%s: the responder work, prior null, the undo pair', async (_, item) => {
    // Act
    const plan = expectPlan(await service().plan(everyScope, { type: item.type, inputs: item.inputs }));
    // Assess
    expect(plan).toMatchObject({ type: item.type, resource: item.resources[0], allowed: true, refusal: null, prior: null });
    const [dispatch, ...work] = plan.changes;
    expect(dispatch?.call).toBe('responder:dispatch');
    expect(dispatch?.detail).toContain('not known to this runtime');
    expect(work.length).toBeGreaterThan(0);
    for (const change of work) {
      expect(change.call).toMatch(item.executor === 'host' ? /^host:/ : /^kubernetes:/);
      expect(item.resources.map((resource) => resource.key)).toContain(change.target);
    }
    expect(plan.undo?.type ?? null).toBe(findActionType(item.type)?.undoType ?? null);
  });

  it('kill-process names the pid, the start time and the container it checks', async () => {
    // Act
    const plan = await service().plan(null, {
      type: 'kill-process',
      inputs: { 'host.id': 'node-7', 'process.id': 4242, 'process.start_time': '2026-11-20T11:58:00Z', 'container.id': 'abc123' },
    });
    // Assess
    expect(plan.changes[1]).toEqual({
      call: 'host:kill-process',
      target: 'host/node-7/container/abc123',
      detail: expect.stringMatching(/^SIGKILL to process 4242 of container abc123 on host node-7, only if it started at 2026-11-20T11:58:00Z .*cgroups name that container/) as unknown,
    });
  });

  it('isolate-network names the policy, the directions and the exception', async () => {
    // Act
    const plan = await service().plan(null, {
      type: 'isolate-network',
      inputs: {
        'kubernetes.cluster.name': 'prod',
        'kubernetes.namespace.name': 'pay',
        'kubernetes.workload.name': 'api',
        'kubernetes.workload.type': 'deployment',
        'network.direction': 'EGRESS',
        'network.cidr': '10.0.0.0/8',
        'network.protocol': 'TCP',
        'network.port': 443,
      },
    });
    // Assess
    expect(plan.changes[1]?.call).toBe('kubernetes:create NetworkPolicy');
    expect(plan.changes[1]?.detail).toContain('ra-isolate-api-<action id> selecting exactly the pods of deployment/api in namespace pay of cluster prod');
    expect(plan.changes[1]?.detail).toContain('denying egress except 10.0.0.0/8 over TCP port 443');
    expect(plan.undo).toEqual({ type: 'delete-network-policy', restores: expect.stringContaining('deployment/api in namespace pay of cluster prod') as unknown });
  });

  it('says whether a responder is registered for the host and lists the type', async () => {
    // Prepare
    const seen = { id: 'host/node-7', kind: 'host' as const, name: 'node-7', version: '1.2.0', registeredAt: '2026-11-20T10:00:00Z', lastSeen: '2026-11-20T11:59:30Z' };
    const planWith = (capabilities: string[]) =>
      new PlanService({
        cloud: undefined,
        config,
        repository: emptyHistory,
        clock: new FixedClock(now),
        responders: { list: () => Promise.resolve([{ ...seen, capabilities }]) },
      }).plan(null, { type: 'kill-process', inputs: { 'host.id': 'node-7', 'process.id': 7 } });
    const elsewhere = new PlanService({ cloud: undefined, config, repository: emptyHistory, clock: new FixedClock(now), responders: { list: () => Promise.resolve([]) } });
    // Act
    const listed = await planWith(['kill-process']);
    const unlisted = await planWith(['get-logs']);
    const none = await elsewhere.plan(null, { type: 'kill-process', inputs: { 'host.id': 'node-7', 'process.id': 7 } });
    // Assess
    expect(listed.changes[0]).toEqual({ call: 'responder:dispatch', target: 'host/node-7', detail: expect.stringContaining('registered (version 1.2.0, last seen 2026-11-20T11:59:30Z) and lists kill-process') as unknown });
    expect(unlisted.changes[0]?.detail).toContain('does NOT list kill-process');
    expect(none.changes[0]?.detail).toContain('no responder is registered for it');
  });
});

describe('PlanService: the create checks, in the create order', () => {
  it('refuses a caller without the exec scope of the category with 403 even when the inputs are bad', async () => {
    // Act
    const attempt = service().plan(caller(gatheringExec), { type: 'kill-process', inputs: { 'host.id': '', 'process.id': 'x' }, reason: 5 });
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ForbiddenError);
    await expect(attempt).rejects.toThrow('needs the containment-response-actions.exec scope');
  });

  it('refuses bad inputs, reason and body fields with one InvalidInputError naming each field', async () => {
    // Act
    const attempt = service().plan(everyScope, { type: 'kill-process', inputs: { 'host.id': 'node-7', 'process.id': -1 }, reason: 'x'.repeat(1001) }, [
      { path: 'extra', message: 'is not a field of an action request (type, inputs, reason)' },
    ]);
    // Assess
    const error: unknown = await attempt.catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).errors.map((each) => each.path).sort()).toEqual(['extra', 'inputs.process.id', 'reason']);
  });

  it('checks no scope for the service itself (caller null), and still validates', async () => {
    // Act
    const plan = await service().plan(null, { type: 'kill-process', inputs: { 'host.id': 'node-7', 'process.id': 7 } });
    // Assess
    expect(plan.allowed).toBe(true);
    await expect(service().plan(null, { type: 'kil-process', inputs: {} })).rejects.toThrow('did you mean kill-process?');
  });

  it('answers a directly posted undo type with nothing to undo as create does (409)', async () => {
    // Act
    const attempt = service().plan(everyScope, { type: 'iam-unquarantine', inputs: { 'aws.resource.arn': userArn } });
    // Assess
    await expect(attempt).rejects.toThrow(`nothing to undo: no Completed iam-quarantine on ${userArn}`);
  });
});

describe('PlanService: cloud guards and refusals', () => {
  it('refuses an account outside TARGET_ACCOUNTS before the cloud planner reads anything', async () => {
    // Prepare
    const cloud = new RecordingCloudPlanner(() => Promise.resolve({ prior: null, changes: [] }));
    // Act
    const plan = expectPlan(await service(cloud).plan(everyScope, { type: 'iam-quarantine', inputs: { 'aws.resource.arn': 'arn:aws:iam::999999999999:user/alice' } }));
    // Assess
    expect(plan).toMatchObject({ allowed: false, refusal: { code: 'TargetAccountNotAllowed' }, changes: [], prior: null, undo: null });
    expect(plan.refusal?.message).toContain('account 999999999999 is not in TARGET_ACCOUNTS');
    expect(cloud.asked).toEqual([]);
  });

  it.each([
    ['a PROTECTED_TARGETS role, on another path and case', 'arn:aws:iam::123456789012:role/x/breakglass'],
    ['a member role', 'arn:aws:iam::123456789012:role/ResponseActionsMember-iam'],
    ['the base member role', 'arn:aws:iam::123456789012:role/ResponseActionsMember'],
  ])('refuses %s as ProtectedTarget, reading nothing', async (_, arn) => {
    // Prepare
    const cloud = new RecordingCloudPlanner(() => Promise.resolve({ prior: null, changes: [] }));
    // Act
    const plan = expectPlan(await service(cloud).plan(everyScope, { type: 'iam-quarantine', inputs: { 'aws.resource.arn': arn } }));
    // Assess
    expect(plan).toMatchObject({ allowed: false, refusal: { code: 'ProtectedTarget' }, changes: [], undo: null });
    expect(cloud.asked).toEqual([]);
  });

  it('passes an allowed target to the cloud planner and builds the undo sentence from its prior', async () => {
    // Prepare
    const prior = {
      principal: { type: 'user', name: 'alice', arn: userArn, id: 'AIDA1' },
      attachedPolicies: [{ policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess', policyName: 'ReadOnlyAccess' }, { policyArn: 'arn:aws:iam::123456789012:policy/Billing', policyName: 'Billing' }],
      inlinePolicyNames: [],
    };
    const changes = [{ call: 'iam:AttachUserPolicy', target: userArn, detail: 'attach AWSDenyAll (arn:aws:iam::aws:policy/AWSDenyAll)' }];
    const cloud = new RecordingCloudPlanner(() => Promise.resolve({ prior, changes }));
    // Act
    const plan = expectPlan(await service(cloud).plan(everyScope, { type: 'iam-quarantine', inputs: { 'aws.resource.arn': userArn } }));
    // Assess
    expect(cloud.asked).toEqual([{ type: 'iam-quarantine', inputs: { 'aws.resource.arn': userArn }, undoOf: null }]);
    expect(plan).toEqual({
      type: 'iam-quarantine',
      resource: { key: userArn, kind: 'aws.iam.user' },
      allowed: true,
      refusal: null,
      prior,
      changes,
      undo: { type: 'iam-unquarantine', restores: 'detaches AWSDenyAll from user alice, restoring the 2 managed policies (ReadOnlyAccess, Billing) and 0 inline policies attached before' },
      warnings: [],
    });
  });

  it.each([
    ['TargetNotFoundError', () => new TargetNotFoundError('user alice does not exist in account 123456789012'), 'TargetNotFound'],
    ['AccessDeniedError', () => new AccessDeniedError('access denied to iam:GetUser', 'iam:GetUser'), 'AccessDenied'],
    ['an error rebuilt from a Lambda errorType', () => Object.assign(new Error('the member role could not be assumed'), { name: 'MemberRoleUnavailableError' }), 'MemberRoleUnavailable'],
  ])('turns %s from the cloud planner into a refusal with its code', async (_, error, code) => {
    // Prepare
    const cloud = new RecordingCloudPlanner(() => Promise.reject(error()));
    // Act
    const plan = expectPlan(await service(cloud).plan(everyScope, { type: 'iam-quarantine', inputs: { 'aws.resource.arn': userArn } }));
    // Assess
    expect(plan).toMatchObject({ allowed: false, refusal: { code, message: error().message }, changes: [], prior: null });
  });

  it('asks the caller to retry on throttling (429) and lets a defect through as one (500)', async () => {
    // Prepare
    const throttled = new RecordingCloudPlanner(() => Promise.reject(new ThrottlingError('AWS throttled iam:GetUser')));
    const broken = new RecordingCloudPlanner(() => Promise.reject(new TypeError('cannot read properties of undefined')));
    const request = { type: 'iam-quarantine', inputs: { 'aws.resource.arn': userArn } };
    // Act & Assess
    await expect(service(throttled).plan(everyScope, request)).rejects.toBeInstanceOf(RetryLaterError);
    await expect(service(broken).plan(everyScope, request)).rejects.toBeInstanceOf(TypeError);
  });

  it('refuses a cloud plan with NoExecutor where the runtime has no cloud planner', async () => {
    // Act
    const plan = await service().plan(everyScope, { type: 'iam-quarantine', inputs: { 'aws.resource.arn': userArn } });
    // Assess
    expect(plan).toMatchObject({ allowed: false, refusal: { code: 'NoExecutor' }, changes: [] });
  });
});
