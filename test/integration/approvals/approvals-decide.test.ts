import { beforeEach, describe, expect, it } from 'vitest';
import { actionRecordSchema, approvalSchema } from '#shared/approvals/approval-schema.ts';
import type { Approval } from '#shared/approvals/types.ts';
import { FixedClock } from '#shared/clock.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { useDynalite } from '#test/support/dynalite.ts';
import {
  approvalWorld,
  bothExec,
  callerOf,
  containmentExec,
  containmentRead,
  dataGatheringExec,
  dataGatheringRead,
  type ApprovalWorld,
  type Person,
} from './approval-harness.ts';

const dynalite = useDynalite();
const gated = 'arn:aws:iam::123456789012:user/break-glass';
const alice: Person = { sub: 'alice', scopes: bothExec };
const bob: Person = { sub: 'bob', scopes: bothExec };
const carol: Person = { sub: 'carol', scopes: [containmentExec] };
const quarantine = { type: 'iam-quarantine', inputs: { 'aws.resource.arn': gated }, reason: 'GuardDuty finding 42' };

interface Problem {
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
}

let clock: FixedClock;
let world: ApprovalWorld;

beforeEach(async () => {
  clock = new FixedClock('2026-11-20T10:00:00.000Z');
  world = await approvalWorld(dynalite.endpoint, clock, { approvalRequired: ['arn:aws:iam::*:user/break-glass'] });
});

async function requested(by: Person = alice): Promise<Approval> {
  const answer = await world.call<{ approval: Approval }>('POST', '/v1/actions', by, quarantine);
  expect(answer.status).toBe(202);
  return answer.body.approval;
}

describe('approving', () => {
  it('creates the action for the requester, with trigger.approvedBy, and links it to the approval', async () => {
    // Prepare
    const approval = await requested();
    clock.advance(60_000);

    // Act
    const answer = await world.call<Approval>('POST', `/v1/approvals/${approval.id}/approve`, bob, { reason: 'confirmed on the bridge' });

    // Assess
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({
      id: approval.id,
      status: 'approved',
      decidedBy: 'bob',
      decidedAt: '2026-11-20T10:01:00.000Z',
      decisionReason: 'confirmed on the bridge',
      requestedBy: 'alice',
    });
    expect(answer.body.actionIds).toHaveLength(1);
    const record = (await world.call<ActionRecord>('GET', `/v1/actions/${answer.body.actionIds[0] ?? ''}`, alice)).body;
    expect(record).toMatchObject({
      type: 'iam-quarantine',
      inputs: quarantine.inputs,
      reason: 'GuardDuty finding 42',
      createdBy: 'alice',
      status: 'Completed',
      trigger: { source: 'person', eventId: null, findingId: null, findingType: null, ruleId: null, approvedBy: 'bob' },
    });
    expect(world.starter.started).toEqual([record.id]);
    expect((await world.call<Approval>('GET', `/v1/approvals/${approval.id}`, carol)).body).toEqual(answer.body);
    // What the OpenAPI document promises, exactly (strict: no internal field leaks).
    expect(actionRecordSchema.parse(record)).toEqual(record);
    expect(approvalSchema.parse(answer.body)).toEqual(answer.body);
  });

  it('refuses the requester deciding their own request (403), writing nothing', async () => {
    // Prepare
    const approval = await requested();

    // Act
    const approve = await world.call<Problem>('POST', `/v1/approvals/${approval.id}/approve`, alice);
    const reject = await world.call<Problem>('POST', `/v1/approvals/${approval.id}/reject`, alice);

    // Assess
    expect([approve.status, reject.status]).toEqual([403, 403]);
    expect(approve.body.detail).toMatch(/second person/);
    expect(await world.allActions()).toEqual([]);
    expect((await world.approvals.get(callerOf(bob), approval.id)).status).toBe('pending');
  });

  it('decides once: a second approval or a rejection after it answers 409 and creates nothing more', async () => {
    // Prepare
    const approval = await requested();
    await world.call('POST', `/v1/approvals/${approval.id}/approve`, bob);

    // Act
    const again = await world.call<Problem>('POST', `/v1/approvals/${approval.id}/approve`, carol);
    const reject = await world.call<Problem>('POST', `/v1/approvals/${approval.id}/reject`, carol);

    // Assess
    expect([again.status, reject.status]).toEqual([409, 409]);
    expect(again.body.detail).toMatch(/already approved by bob/);
    expect(await world.allActions()).toHaveLength(1);
    expect((await world.approvals.get(callerOf(bob), approval.id)).decidedBy).toBe('bob');
  });

  it('lets exactly one of two people approving at the same moment create the action', async () => {
    // Prepare
    const approval = await requested();

    // Act
    const answers = await Promise.all([
      world.call<Approval>('POST', `/v1/approvals/${approval.id}/approve`, bob),
      world.call<Approval>('POST', `/v1/approvals/${approval.id}/approve`, carol),
    ]);

    // Assess
    expect(answers.map((answer) => answer.status).sort()).toEqual([202, 409]);
    const actions = await world.allActions();
    expect(actions).toHaveLength(1);
    const winner = answers.find((answer) => answer.status === 202)?.body;
    expect(winner?.actionIds).toEqual([actions[0]?.id]);
    expect(actions[0]?.trigger?.approvedBy).toBe(winner?.decidedBy);
  });

  it('rejecting creates nothing, answers 200 with the approval, and a later approval is refused', async () => {
    // Prepare
    const approval = await requested();

    // Act
    const reject = await world.call<Approval>('POST', `/v1/approvals/${approval.id}/reject`, bob, { reason: 'false positive' });
    const approve = await world.call<Problem>('POST', `/v1/approvals/${approval.id}/approve`, carol);

    // Assess
    expect(reject.status).toBe(200);
    expect(reject.body).toMatchObject({ status: 'rejected', decidedBy: 'bob', decisionReason: 'false positive', actionIds: [] });
    expect(approve.status).toBe(409);
    expect(await world.allActions()).toEqual([]);
    expect(world.starter.started).toEqual([]);
  });

  it('takes only { reason } as the body: anything else is 400 naming the field, nothing decided', async () => {
    // Prepare
    const approval = await requested();

    // Act
    const extra = await world.call<Problem>('POST', `/v1/approvals/${approval.id}/approve`, bob, { reason: 'ok', status: 'approved' });
    const long = await world.call<Problem>('POST', `/v1/approvals/${approval.id}/reject`, bob, { reason: 'x'.repeat(1001) });

    // Assess
    expect(extra.status).toBe(400);
    expect(extra.body.errors).toEqual([{ path: 'status', message: 'is not a field of a decision (reason)' }]);
    expect(long.status).toBe(400);
    expect(long.body.errors?.map((error) => error.path)).toEqual(['reason']);
    expect(await world.allActions()).toEqual([]);
    expect((await world.approvals.get(callerOf(bob), approval.id)).status).toBe('pending');
  });
});

describe('expiry', () => {
  it('a pending approval past APPROVAL_TTL_SECONDS reads as expired and can no longer be approved (409)', async () => {
    // Prepare
    const approval = await requested();
    expect(approval.expiresAt).toBe('2026-11-20T11:00:00.000Z');
    clock.advance(3600_000 + 1);

    // Act
    const read = await world.call<Approval>('GET', `/v1/approvals/${approval.id}`, bob);
    const approve = await world.call<Problem>('POST', `/v1/approvals/${approval.id}/approve`, bob);

    // Assess
    expect(read.body).toMatchObject({ status: 'expired', decidedBy: null, decidedAt: '2026-11-20T11:00:00.000Z' });
    expect(approve.status).toBe(409);
    expect(approve.body.detail).toMatch(/expired/);
    expect(await world.allActions()).toEqual([]);
    expect((await world.store.get(approval.id))?.approval.status).toBe('expired');
  });

  it('is still pending at the very moment it expires, and listed by the status it has now', async () => {
    // Prepare
    const early = await requested();
    clock.advance(1800_000);
    const late = await requested();
    clock.set(early.expiresAt);
    const atExpiry = (await world.call<{ items: Approval[] }>('GET', '/v1/approvals?status=pending', bob)).body.items;
    clock.advance(1);

    // Act
    const pending = (await world.call<{ items: Approval[] }>('GET', '/v1/approvals?status=pending', bob)).body.items;
    const expired = (await world.call<{ items: Approval[] }>('GET', '/v1/approvals?status=expired', bob)).body.items;

    // Assess
    expect(atExpiry.map((item) => item.id)).toEqual([late.id, early.id]);
    expect(pending.map((item) => item.id)).toEqual([late.id]);
    expect(expired.map((item) => ({ id: item.id, status: item.status }))).toEqual([{ id: early.id, status: 'expired' }]);
  });

  it('sweep stores every pending approval past its expiry as expired, and only those', async () => {
    // Prepare
    const early = await requested();
    clock.advance(1800_000);
    const late = await requested();
    clock.advance(1800_001);

    // Act
    const swept = await world.approvals.sweep(clock.now());

    // Assess
    expect(swept).toBe(1);
    expect((await world.store.get(early.id))?.approval.status).toBe('expired');
    expect((await world.store.get(late.id))?.approval.status).toBe('pending');
    expect(await world.approvals.sweep(clock.now())).toBe(0);
  });
});

describe('who sees and decides', () => {
  it('answers 404 to readers of the other category, on read, list and decide alike', async () => {
    // Prepare
    const approval = await requested();
    const dataOnly: Person = { sub: 'dora', scopes: [dataGatheringExec, dataGatheringRead] };

    // Act
    const read = await world.call<Problem>('GET', `/v1/approvals/${approval.id}`, dataOnly);
    const list = await world.call<{ items: Approval[] }>('GET', '/v1/approvals', dataOnly);
    const approve = await world.call<Problem>('POST', `/v1/approvals/${approval.id}/approve`, dataOnly);
    const reject = await world.call<Problem>('POST', `/v1/approvals/${approval.id}/reject`, dataOnly);

    // Assess
    expect([read.status, approve.status, reject.status]).toEqual([404, 404, 404]);
    expect(list.body.items).toEqual([]);
    expect(await world.allActions()).toEqual([]);
    expect((await world.approvals.get(callerOf(bob), approval.id)).status).toBe('pending');
  });

  it('lets a reader of the category see it but not decide it (403)', async () => {
    // Prepare
    const approval = await requested();
    const reader: Person = { sub: 'rita', scopes: [containmentRead, dataGatheringExec] };

    // Act
    const read = await world.call<Approval>('GET', `/v1/approvals/${approval.id}`, reader);
    const approve = await world.call<Problem>('POST', `/v1/approvals/${approval.id}/approve`, reader);

    // Assess
    expect(read.status).toBe(200);
    expect(approve.status).toBe(403);
    expect(await world.allActions()).toEqual([]);
  });

  it('answers 404 for an id that is no approval, without looking it up', async () => {
    // Act
    const answers = await Promise.all([
      world.call('GET', '/v1/approvals/not-an-id', bob),
      world.call('POST', '/v1/approvals/00000000-0000-4000-8000-000000000000/approve', bob),
    ]);

    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([404, 404]);
  });
});
