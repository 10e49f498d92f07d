import { beforeEach, describe, expect, it } from 'vitest';
import { apiRoutes } from '#functions/api/routes.ts';
import { approvalAcceptedSchema } from '#shared/approvals/approval-schema.ts';
import type { CountAs, CreateOutcome } from '#shared/approvals/ports.ts';
import type { Approval } from '#shared/approvals/types.ts';
import { FixedClock } from '#shared/clock.ts';
import type { ActionRecord, Trigger } from '#shared/history/record.ts';
import type { RunOutcome } from '#shared/playbooks/types.ts';
import type { Plan, Planner, PlanRequest } from '#shared/plans/types.ts';
import { ActionService } from '#shared/use-cases/action-service.ts';
import { useDynalite } from '#test/support/dynalite.ts';
import { approvalWorld, bothExec, type ApprovalWorld, type Person } from './approval-harness.ts';

const dynalite = useDynalite();
const gated = 'arn:aws:iam::123456789012:user/path/Break-Glass';
const free = 'arn:aws:iam::123456789012:user/alice';
const alice: Person = { sub: 'alice', scopes: bothExec };
const bob: Person = { sub: 'bob', scopes: bothExec };
const quarantineOf = (arn: string) => ({ type: 'iam-quarantine', inputs: { 'aws.resource.arn': arn }, reason: 'incident 7' });

/** A planner that answers one fixed plan and remembers what it was asked (the real PlanService has its own tests). */
class RecordingPlanner implements Planner {
  readonly asked: { caller: unknown; request: PlanRequest }[] = [];

  plan(caller: unknown, request: PlanRequest): Promise<Plan> {
    this.asked.push({ caller, request });
    return Promise.resolve({
      type: String(request.type),
      resource: { key: gated, kind: 'aws.iam.user' },
      allowed: true,
      refusal: null,
      prior: { attachedPolicies: [] },
      changes: [{ call: 'iam:AttachUserPolicy', target: gated, detail: 'attach AWSDenyAll' }],
      undo: { type: 'iam-unquarantine', restores: 'detach AWSDenyAll' },
      warnings: [],
    });
  }
}

let clock: FixedClock;
let world: ApprovalWorld;
let planner: RecordingPlanner;
let approved: { approval: Approval; outcome: CreateOutcome | RunOutcome; countAs: CountAs | null }[];

beforeEach(async () => {
  clock = new FixedClock('2026-11-20T10:00:00.000Z');
  planner = new RecordingPlanner();
  approved = [];
  world = await approvalWorld(dynalite.endpoint, clock, {
    // IAM names match on any path and in any case, as protected targets do.
    approvalRequired: ['arn:aws:iam::*:user/break-glass', 'host/web-*'],
    planner,
    onApproved: (approval, outcome, countAs) => {
      approved.push({ approval, outcome, countAs });
      return Promise.resolve();
    },
  });
});

/** A Completed quarantine of the gated user: requested by alice, approved by bob. */
async function completedQuarantine(): Promise<ActionRecord> {
  const { body } = await world.call<{ approval: Approval }>('POST', '/v1/actions', alice, quarantineOf(gated));
  const decided = await world.call<Approval>('POST', `/v1/approvals/${body.approval.id}/approve`, bob);
  return (await world.call<ActionRecord>('GET', `/v1/actions/${decided.body.actionIds[0] ?? ''}`, alice)).body;
}

describe('APPROVAL_REQUIRED', () => {
  it('turns a create on a matching target into an approval (202, Location), with the plan, and writes no action', async () => {
    // Act
    const answer = await world.call<{ approval: Approval }>('POST', '/v1/actions', alice, quarantineOf(gated));

    // Assess
    expect(answer.status).toBe(202);
    const { approval } = answer.body;
    expect(answer.headers['location']).toBe(`/v1/approvals/${approval.id}`);
    expect(approval).toMatchObject({
      status: 'pending',
      request: quarantineOf(gated),
      requestedBy: 'alice',
      trigger: null,
      createdAt: '2026-11-20T10:00:00.000Z',
      expiresAt: '2026-11-20T11:00:00.000Z',
      decidedBy: null,
      actionIds: [],
      plan: { type: 'iam-quarantine', allowed: true, changes: [{ call: 'iam:AttachUserPolicy' }] },
    });
    expect(approvalAcceptedSchema.parse(answer.body)).toEqual(answer.body);
    expect(planner.asked).toEqual([{ caller: null, request: quarantineOf(gated) }]);
    expect(await world.allActions()).toEqual([]);
    expect(world.starter.started).toEqual([]);
  });

  it('leaves other targets alone: a direct record with trigger null', async () => {
    // Act
    const answer = await world.call<ActionRecord>('POST', '/v1/actions', alice, quarantineOf(free));

    // Assess
    expect(answer.status).toBe(202);
    expect(answer.headers['location']).toBe(`/v1/actions/${answer.body.id}`);
    expect(answer.body).toMatchObject({ createdBy: 'alice', trigger: null, status: 'Completed' });
    expect(await world.pending()).toEqual([]);
  });

  it('matches resource-key patterns for host actions', async () => {
    // Act
    const answer = await world.call<{ approval: Approval }>('POST', '/v1/actions', alice, {
      type: 'kill-process',
      inputs: { 'host.id': 'web-7', 'process.id': 4242 },
    });

    // Assess
    expect(answer.status).toBe(202);
    expect(answer.body.approval).toMatchObject({ category: 'containment', request: { type: 'kill-process' } });
    expect(await world.allActions()).toEqual([]);
  });

  it('gates an undo: nothing is undone until approved, then exactly that action is undone, not the newest', async () => {
    // Prepare: two Completed quarantines of the same user; the newer one is what a bare undo type would pick.
    const first = await completedQuarantine();
    clock.advance(1000);
    const second = await completedQuarantine();

    // Act
    const asked = await world.call<{ approval: Approval }>('POST', `/v1/actions/${first.id}/undo`, alice, { reason: 'wrong user' });
    const before = await world.allActions();
    const decided = await world.call<Approval>('POST', `/v1/approvals/${asked.body.approval.id}/approve`, bob);

    // Assess
    expect(asked.status).toBe(202);
    expect(asked.headers['location']).toBe(`/v1/approvals/${asked.body.approval.id}`);
    expect(asked.body.approval.request).toEqual({ type: 'iam-unquarantine', inputs: { 'aws.resource.arn': gated }, reason: 'wrong user' });
    expect(before.map((record) => record.id).sort()).toEqual([first.id, second.id].sort());
    const undo = (await world.call<ActionRecord>('GET', `/v1/actions/${decided.body.actionIds[0] ?? ''}`, bob)).body;
    expect(undo).toMatchObject({ type: 'iam-unquarantine', undoOf: first.id, createdBy: 'alice', trigger: { source: 'person', approvedBy: 'bob' } });
    expect((await world.call<ActionRecord>('GET', `/v1/actions/${second.id}`, bob)).body.undo.actionId).toBeNull();
  });

  it('puts an approval whose request became impossible back to pending (409), creating nothing', async () => {
    // Prepare: two undo requests for the same action, both pending; the first approved undoes it.
    const original = await completedQuarantine();
    const first = await world.call<{ approval: Approval }>('POST', `/v1/actions/${original.id}/undo`, alice);
    const second = await world.call<{ approval: Approval }>('POST', `/v1/actions/${original.id}/undo`, alice);
    await world.call('POST', `/v1/approvals/${first.body.approval.id}/approve`, bob);
    const before = (await world.allActions()).length;

    // Act
    const approve = await world.call<{ detail: string }>('POST', `/v1/approvals/${second.body.approval.id}/approve`, bob);

    // Assess
    expect(approve.status).toBe(409);
    expect(approve.body.detail).toMatch(/already has an undo/);
    expect(await world.allActions()).toHaveLength(before);
    const after = (await world.call<Approval>('GET', `/v1/approvals/${second.body.approval.id}`, bob)).body;
    expect(after).toMatchObject({ status: 'pending', decidedBy: null, decidedAt: null, actionIds: [] });
    expect((await world.call('POST', `/v1/approvals/${second.body.approval.id}/reject`, bob)).status).toBe(200);
  });

  it('gates a re-execute: approval first, then a re-execution of exactly that action', async () => {
    // Prepare
    const first = await completedQuarantine();

    // Act
    const asked = await world.call<{ approval: Approval }>('POST', `/v1/actions/${first.id}/reexecute`, alice);
    const countBefore = (await world.allActions()).length;
    const decided = await world.call<Approval>('POST', `/v1/approvals/${asked.body.approval.id}/approve`, bob);

    // Assess
    expect(asked.status).toBe(202);
    expect(asked.headers['location']).toBe(`/v1/approvals/${asked.body.approval.id}`);
    expect(countBefore).toBe(1);
    const again = (await world.call<ActionRecord>('GET', `/v1/actions/${decided.body.actionIds[0] ?? ''}`, bob)).body;
    expect(again).toMatchObject({ type: 'iam-quarantine', reexecuteOf: first.id, createdBy: 'alice', trigger: { approvedBy: 'bob' } });
  });

  it('gates a rule\'s enforce too: the approval keeps the rule\'s trigger, and approving counts towards the rule', async () => {
    // Prepare
    const trigger: Trigger = { source: 'guardduty', eventId: 'e-1', findingId: 'f-1', findingType: 'UnauthorizedAccess:IAMUser/X', ruleId: 'r-1', approvedBy: null };
    const countAs: CountAs = { ruleId: 'r-1', accountId: '123456789012', region: 'us-east-1' };

    // Act
    const outcome = await world.actions.createOnBehalf('automation:r-1', { type: 'iam-quarantine', inputs: { 'aws.resource.arn': gated }, reason: null }, { trigger, approved: false, countAs });
    if (!('approval' in outcome)) throw new Error('expected an approval');
    const before = await world.allActions();
    const decided = await world.call<Approval>('POST', `/v1/approvals/${outcome.approval.id}/approve`, bob);

    // Assess
    expect(outcome.approval).toMatchObject({ requestedBy: 'automation:r-1', trigger });
    expect(before).toEqual([]);
    const record = (await world.call<ActionRecord>('GET', `/v1/actions/${decided.body.actionIds[0] ?? ''}`, bob)).body;
    expect(record).toMatchObject({ createdBy: 'automation:r-1', trigger: { ...trigger, approvedBy: 'bob' } });
    expect(approved).toHaveLength(1);
    expect(approved[0]?.countAs).toEqual(countAs);
    expect(approved[0]?.approval.actionIds).toEqual([record.id]);
  });

  it('refuses to build an ActionService whose gate has nowhere to send approvals', () => {
    // Act
    const build = () => new ActionService({ repository: world.repository, starters: {}, clock, approvalRequired: ['*'] });

    // Assess
    expect(build).toThrow(/APPROVAL_REQUIRED/);
  });
});

describe('a runtime without approvals', () => {
  it('answers the approval routes with 503', async () => {
    // Prepare
    const route = apiRoutes.find((candidate) => candidate.path === '/v1/approvals');
    const handler = route?.create({ service: world.actions });

    // Act
    const response = await handler?.(
      {
        routeKey: 'GET /v1/approvals',
        rawPath: '/v1/approvals',
        headers: {},
        isBase64Encoded: false,
        requestContext: { requestId: 'r-1', authorizer: { jwt: { claims: { sub: 'bob', scope: bothExec.join(' ') }, scopes: null } } },
      } as never,
      {} as never,
    );

    // Assess
    expect(response?.statusCode).toBe(503);
  });
});
