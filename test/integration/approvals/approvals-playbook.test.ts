/**
 * Approvals of playbook runs (issue 13): ApprovalService.requestRun on the real approval store in
 * dynalite, decided through the real approval routes. The run engine here is a recording stand-in
 * for PlaybookRunService.createOnBehalf, because these tests pin exactly what approving asks of it
 * (principal, trigger, countAs, undoOf) and when it may not ask at all; approving a rule's run
 * through the real PlaybookRunService is in test/integration/automation/automation-playbooks.test.ts.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { approvalSchema } from '#shared/approvals/approval-schema.ts';
import type { CountAs } from '#shared/approvals/ports.ts';
import type { Approval } from '#shared/approvals/types.ts';
import { FixedClock } from '#shared/clock.ts';
import { ConflictError } from '#shared/errors.ts';
import type { Trigger } from '#shared/history/record.ts';
import type { Plan } from '#shared/plans/types.ts';
import type { PlaybookPlan, PlaybookRun, PlaybookRuns, RunOnBehalfOptions, RunOutcome } from '#shared/playbooks/types.ts';
import { useDynalite } from '#test/support/dynalite.ts';
import { approvalWorld, bothExec, containmentExec, containmentRead, dataGatheringRead, type ApprovalWorld, type Person } from './approval-harness.ts';

const dynalite = useDynalite();
const instance = 'arn:aws:ec2:eu-west-1:111122223333:instance/i-0a1b2c3d4e5f67890';
const alice: Person = { sub: 'alice', scopes: bothExec };
const bob: Person = { sub: 'bob', scopes: bothExec };
/** May decide containment approvals, and read data gathering, but not run a data-gathering step. */
const carol: Person = { sub: 'carol', scopes: [containmentExec, dataGatheringRead] };
const dave: Person = { sub: 'dave', scopes: [containmentRead, dataGatheringRead] };

function stepPlan(type: string): Plan {
  return {
    type,
    resource: { key: instance, kind: 'aws.ec2.instance' },
    allowed: true,
    refusal: null,
    prior: { volumes: ['vol-1'] },
    changes: [{ call: `test:${type}`, target: instance, detail: 'the planned change' }],
    undo: null,
    warnings: [],
  };
}

const plan: PlaybookPlan = {
  playbook: 'ec2-instance-compromise',
  steps: [
    { id: 'snapshot', type: 'cloud-volume-snapshot', phase: 'evidence', plan: stepPlan('cloud-volume-snapshot'), note: null },
    { id: 'isolate', type: 'isolate-ec2-instance', phase: 'containment', plan: stepPlan('isolate-ec2-instance'), note: null },
  ],
};
const ruleTrigger: Trigger = { source: 'guardduty', eventId: 'event-1', findingId: 'finding-1', findingType: 'Backdoor:EC2/C&CActivity.B', ruleId: 'r-1', approvedBy: null };

interface RunCall {
  readonly principal: string;
  readonly name: string;
  readonly request: { readonly inputs: Record<string, unknown>; readonly reason: string | null };
  readonly options: RunOnBehalfOptions;
}

/** Records what approving asked of the run engine; answers a Created run, or throws what it is told to. */
class RecordingRuns implements Pick<PlaybookRuns, 'createOnBehalf'> {
  readonly calls: RunCall[] = [];
  failWith: Error | undefined;

  createOnBehalf(principal: string, name: string, request: RunCall['request'], options: RunOnBehalfOptions): Promise<RunOutcome> {
    this.calls.push({ principal, name, request, options });
    if (this.failWith !== undefined) return Promise.reject(this.failWith);
    const at = '2026-11-20T10:00:00.000Z';
    const run: PlaybookRun = {
      id: `00000000-0000-4000-8000-${String(this.calls.length).padStart(12, '0')}`,
      playbook: name,
      inputs: request.inputs as PlaybookRun['inputs'],
      reason: request.reason,
      status: 'Created',
      steps: [],
      createdBy: principal,
      createdAt: at,
      updatedAt: at,
      deadline: at,
      error: null,
      undo: { available: false, runId: null },
      undoOf: options.undoOf ?? null,
      trigger: options.trigger,
    };
    return Promise.resolve({ run });
  }
}

interface Problem {
  readonly status: number;
  readonly detail: string;
}

let clock: FixedClock;
let runs: RecordingRuns;
let approved: { approval: Approval; outcome: unknown; countAs: CountAs | null }[];
let world: ApprovalWorld;

beforeEach(async () => {
  clock = new FixedClock('2026-11-20T10:00:00.000Z');
  runs = new RecordingRuns();
  approved = [];
  world = await approvalWorld(dynalite.endpoint, clock, {
    runs,
    onApproved: (approval, outcome, countAs) => {
      approved.push({ approval, outcome, countAs });
      return Promise.resolve();
    },
  });
});

function requestRun(fields: { requestedBy?: string; trigger?: Trigger | null; countAs?: CountAs; undoOf?: string; categories?: readonly ('containment' | 'data-gathering')[] } = {}) {
  return world.approvals.requestRun({
    playbook: 'ec2-instance-compromise',
    inputs: { 'aws.resource.arn': instance },
    reason: 'GuardDuty finding 42',
    requestedBy: fields.requestedBy ?? 'alice',
    trigger: fields.trigger ?? null,
    category: 'containment',
    plan,
    ...(fields.countAs === undefined ? {} : { countAs: fields.countAs }),
    ...(fields.undoOf === undefined ? {} : { undoOf: fields.undoOf }),
    ...(fields.categories === undefined ? {} : { categories: fields.categories }),
  });
}

describe('ApprovalService.requestRun', () => {
  it('stores a pending approval of the run with its playbook, inputs, reason and every step\'s plan; the undo target stays internal', async () => {
    // Act
    const approval = await requestRun({ undoOf: '11111111-2222-4333-8444-555555555555' });
    const read = await world.call<Approval>('GET', `/v1/approvals/${approval.id}`, bob);

    // Assess
    expect(read.status).toBe(200);
    expect(read.body).toEqual(approval);
    expect(approvalSchema.parse(read.body)).toEqual(approval);
    expect(read.body).toMatchObject({
      status: 'pending',
      request: { playbook: 'ec2-instance-compromise', inputs: { 'aws.resource.arn': instance }, reason: 'GuardDuty finding 42' },
      plan,
      requestedBy: 'alice',
      category: 'containment',
      actionIds: [],
      playbookRunId: null,
    });
    expect(Object.keys(read.body)).not.toContain('runUndoOf');
    expect(Object.keys(read.body)).not.toContain('runCategories');
    expect(runs.calls).toEqual([]);
  });

  it("shows each step's planned state only to a reader of that step's category, in a read and in a listing", async () => {
    // Prepare
    const approval = await requestRun();
    const containmentReader: Person = { sub: 'frank', scopes: [containmentRead] };

    // Act
    const read = await world.call<Approval>('GET', `/v1/approvals/${approval.id}`, containmentReader);
    const listed = await world.call<{ items: Approval[] }>('GET', '/v1/approvals', containmentReader);

    // Assess
    const expected: PlaybookPlan = {
      ...plan,
      steps: [{ ...plan.steps[0], plan: { ...stepPlan('cloud-volume-snapshot'), prior: null, changes: [], undo: null } } as PlaybookPlan['steps'][number], plan.steps[1] as PlaybookPlan['steps'][number]],
    };
    expect(read.status).toBe(200);
    expect(read.body.plan).toEqual(expected);
    expect(listed.body.items.map((each) => each.plan)).toEqual([expected]);
  });

  it('reads an approval stored before playbooks (no playbookRunId) with playbookRunId null', async () => {
    // Prepare: the approval rewritten without the field, as an item stored before playbooks
    const approval = await requestRun();
    const stored = await world.store.get(approval.id);
    if (stored === null) throw new Error('stored');
    const { playbookRunId: _dropped, ...old } = stored.approval;
    await putRaw(world, { pk: `P#${approval.id}`, sk: 'P', ...old, runCategories: null, runUndoOf: null, origin: null, countAs: null });

    // Act
    const read = await world.call<Approval>('GET', `/v1/approvals/${approval.id}`, bob);

    // Assess
    expect(read.body.playbookRunId).toBeNull();
    expect(approvalSchema.safeParse(read.body).success).toBe(true);
  });
});

describe('approving a playbook run', () => {
  it('creates the run on the requester\'s behalf with trigger.approvedBy, records playbookRunId and counts it once', async () => {
    // Prepare
    const countAs: CountAs = { ruleId: 'r-1', accountId: '111122223333', region: 'eu-west-1' };
    const approval = await requestRun({ requestedBy: 'automation:r-1', trigger: ruleTrigger, countAs });

    // Act
    const decided = await world.call<Approval>('POST', `/v1/approvals/${approval.id}/approve`, bob, { reason: 'confirmed' });
    const read = await world.call<Approval>('GET', `/v1/approvals/${approval.id}`, alice);

    // Assess
    expect(decided.status).toBe(202);
    expect(runs.calls).toEqual([
      {
        principal: 'automation:r-1',
        name: 'ec2-instance-compromise',
        request: { inputs: { 'aws.resource.arn': instance }, reason: 'GuardDuty finding 42' },
        options: { trigger: { ...ruleTrigger, approvedBy: 'bob' }, approved: true, countAs },
      },
    ]);
    const runId = '00000000-0000-4000-8000-000000000001';
    expect(decided.body).toMatchObject({ status: 'approved', decidedBy: 'bob', decisionReason: 'confirmed', playbookRunId: runId, actionIds: [] });
    expect(read.body.playbookRunId).toBe(runId);
    expect(approved).toHaveLength(1);
    expect(approved[0]?.countAs).toEqual(countAs);
    expect(approved[0]?.approval.playbookRunId).toBe(runId);
    expect(await world.allActions()).toEqual([]);
  });

  it('gives a person\'s request the person trigger, and an undo-run request its run to undo', async () => {
    // Prepare
    const approval = await requestRun({ undoOf: '11111111-2222-4333-8444-555555555555' });

    // Act
    await world.call<Approval>('POST', `/v1/approvals/${approval.id}/approve`, bob);

    // Assess
    expect(runs.calls[0]?.options).toEqual({
      trigger: { source: 'person', eventId: null, findingId: null, findingType: null, ruleId: null, approvedBy: 'bob' },
      approved: true,
      undoOf: '11111111-2222-4333-8444-555555555555',
    });
  });

  it('refuses the requester approving their own run (403): nothing is created, the approval stays pending', async () => {
    // Prepare
    const approval = await requestRun();

    // Act
    const answer = await world.call<Problem>('POST', `/v1/approvals/${approval.id}/approve`, alice);

    // Assess
    expect(answer.status).toBe(403);
    expect(answer.body.detail).toContain('second person');
    expect(runs.calls).toEqual([]);
    expect((await world.pending()).map((each) => each.id)).toEqual([approval.id]);
  });

  it('refuses a decider lacking the exec scope of a category a step uses (403), though they may decide its category', async () => {
    // Prepare: the approval is a containment one, but its snapshot step gathers data
    const approval = await requestRun();

    // Act
    const approve = await world.call<Problem>('POST', `/v1/approvals/${approval.id}/approve`, carol);
    const reject = await world.call<Problem>('POST', `/v1/approvals/${approval.id}/reject`, carol);
    const reader = await world.call<Problem>('POST', `/v1/approvals/${approval.id}/approve`, dave);

    // Assess
    expect([approve.status, reject.status, reader.status]).toEqual([403, 403, 403]);
    expect(approve.body.detail).toBe("deciding playbook ec2-instance-compromise's approval needs the data-gathering-response-actions.exec scope");
    expect(runs.calls).toEqual([]);
    expect((await world.pending()).map((each) => each.id)).toEqual([approval.id]);
  });

  it('holds a decider to the categories the requester named even without a plan to read them from', async () => {
    // Prepare
    const approval = await world.approvals.requestRun({
      playbook: 'ec2-instance-compromise',
      inputs: { 'aws.resource.arn': instance },
      reason: null,
      requestedBy: 'alice',
      trigger: null,
      category: 'containment',
      categories: ['containment', 'data-gathering'],
      plan: null,
    });

    // Act
    const answer = await world.call<Problem>('POST', `/v1/approvals/${approval.id}/approve`, carol);

    // Assess
    expect(answer.status).toBe(403);
    expect(runs.calls).toEqual([]);
  });

  it('decides once: a second approval is 409 and no second run is created', async () => {
    // Prepare
    const approval = await requestRun();
    await world.call('POST', `/v1/approvals/${approval.id}/approve`, bob);

    // Act
    const again = await world.call<Problem>('POST', `/v1/approvals/${approval.id}/approve`, { sub: 'erin', scopes: bothExec });

    // Assess
    expect(again.status).toBe(409);
    expect(runs.calls).toHaveLength(1);
  });

  it('puts the approval back to pending when the run is refused before anything was written', async () => {
    // Prepare
    const approval = await requestRun();
    runs.failWith = new ConflictError('run 11111111-2222-4333-8444-555555555555 was undone already');

    // Act
    const answer = await world.call<Problem>('POST', `/v1/approvals/${approval.id}/approve`, bob);

    // Assess
    expect(answer.status).toBe(409);
    const [pending] = await world.pending();
    expect(pending).toMatchObject({ id: approval.id, status: 'pending', decidedBy: null, playbookRunId: null });
  });
});

describe('a runtime without playbook runs', () => {
  it('answers 503 to approving a playbook approval and leaves it pending', async () => {
    // Prepare
    const bare = await approvalWorld(dynalite.endpoint, clock, { approvalRequired: ['arn:aws:iam::*:user/break-glass'] });
    const approval = await bare.approvals.requestRun({
      playbook: 'ec2-instance-compromise',
      inputs: { 'aws.resource.arn': instance },
      reason: null,
      requestedBy: 'alice',
      trigger: null,
      category: 'containment',
      plan,
    });

    // Act
    const answer = await bare.call<Problem>('POST', `/v1/approvals/${approval.id}/approve`, bob);

    // Assess
    expect(answer.status).toBe(503);
    expect(answer.body.detail).toContain('runs no playbooks');
    expect((await bare.pending()).map((each) => each.id)).toEqual([approval.id]);
  });
});

async function putRaw(subject: ApprovalWorld, item: Record<string, unknown>): Promise<void> {
  await subject.client.send(new PutCommand({ TableName: subject.tableName, Item: item }));
}
