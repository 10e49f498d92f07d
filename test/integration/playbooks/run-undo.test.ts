import { beforeEach, describe, expect, it } from 'vitest';
import { FixedClock } from '#shared/clock.ts';
import type { InvalidInputError} from '#shared/errors.ts';
import { ConflictError, ForbiddenError, NothingToUndoError, NotFoundError } from '#shared/errors.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { playbookRunSchema } from '#shared/playbooks/run-schema.ts';
import type { PlaybookRun, RunOutcome } from '#shared/playbooks/types.ts';
import { useDynalite } from '#test/support/dynalite.ts';
import { callerOf, credentialInputs, credentialPlaybook, hostInputs, hostPlaybook, runWorld, type RunWorld } from './run-harness.ts';

// Undoing a run (its Completed containment steps, last first, as one new run; evidence kept) and
// the APPROVAL_REQUIRED gate on runs and their undo.
const dynalite = useDynalite();
const alice = callerOf('alice');
const bob = callerOf('bob');

let clock: FixedClock;
let world: RunWorld;

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('expected a refusal'),
    (error: unknown) => error,
  );
}

function runOf(outcome: RunOutcome): PlaybookRun {
  if (!('run' in outcome)) throw new Error('the run asked for an approval');
  return outcome.run;
}

async function actionOf(id: string | null): Promise<ActionRecord> {
  const record = id === null ? null : await world.repository.get(id);
  if (record === null) throw new Error(`no action ${String(id)}`);
  return record;
}

describe('undoing a run', () => {
  beforeEach(async () => {
    clock = new FixedClock('2026-11-20T10:00:00.000Z');
    world = await runWorld(dynalite.endpoint, clock);
  });

  it('undoes its Completed containment steps in reverse order as one new run, and keeps the evidence', async () => {
    // Prepare
    const original = runOf(await world.runs.create(alice, credentialPlaybook.name, { inputs: credentialInputs }));
    expect(original.undo).toEqual({ available: true, runId: null });
    world.work.started.length = 0;

    // Act
    const undo = runOf(await world.runs.undo(alice, original.id, 'false positive'));

    // Assess
    expect(world.work.started).toEqual(['reactivate-access-keys', 'iam-unquarantine']);
    expect(undo).toMatchObject({ playbook: credentialPlaybook.name, undoOf: original.id, status: 'Completed', reason: 'false positive' });
    expect(undo.steps.map((step) => [step.id, step.type, step.status])).toEqual([
      ['undo-access-keys', 'reactivate-access-keys', 'Completed'],
      ['undo-quarantine', 'iam-unquarantine', 'Completed'],
    ]);
    const [keys, quarantine] = await Promise.all(undo.steps.map((step) => actionOf(step.actionId)));
    expect(keys?.undoOf).toBe(original.steps[2]?.actionId);
    expect(quarantine?.undoOf).toBe(original.steps[1]?.actionId);
    expect(keys?.playbookRunId).toBe(undo.id);
    const evidence = await actionOf(original.steps[0]?.actionId ?? null);
    expect(evidence).toMatchObject({ type: 'fetch-cloud-logs', status: 'Completed', undo: { type: null, actionId: null } });
    const after = await world.runs.get(alice, original.id);
    expect(after.undo).toEqual({ available: false, runId: undo.id });
    expect(playbookRunSchema.parse(undo)).toEqual(undo);
  });

  it('undoes a run once: a second undo, even at the same moment, is a 409', async () => {
    // Prepare
    const original = runOf(await world.runs.create(alice, credentialPlaybook.name, { inputs: credentialInputs }));
    world.starter.manual = true;

    // Act
    const results = await Promise.all([failure(world.runs.undo(alice, original.id)), failure(world.runs.undo(bob, original.id))]);
    const later = await failure(world.runs.undo(alice, original.id));

    // Assess
    const refusals = results.filter((result) => result instanceof ConflictError);
    expect(refusals).toHaveLength(1);
    expect(later).toBeInstanceOf(ConflictError);
    expect(world.starter.started).toHaveLength(2);
  });

  it('has nothing to undo in an undo run, and will not undo a run still going (409)', async () => {
    // Prepare
    const original = runOf(await world.runs.create(alice, credentialPlaybook.name, { inputs: credentialInputs }));
    const undo = runOf(await world.runs.undo(alice, original.id));
    world.work.script('pause-container', 'hold');
    const going = runOf(await world.runs.create(alice, hostPlaybook.name, { inputs: hostInputs }));

    // Act
    const ofUndo = await failure(world.runs.undo(alice, undo.id));
    const ofGoing = await failure(world.runs.undo(alice, going.id));

    // Assess
    expect(ofUndo).toBeInstanceOf(NothingToUndoError);
    expect(ofGoing).toBeInstanceOf(ConflictError);
    expect((ofGoing as Error).message).toMatch(/Running/);
  });

  it('needs the exec scope of every category (403), hides an unreadable run (404), and names a bad reason (400)', async () => {
    // Prepare
    const original = runOf(await world.runs.create(alice, credentialPlaybook.name, { inputs: credentialInputs }));

    // Act
    const readerOnly = await failure(
      world.runs.undo(callerOf('rita', ['containment-response-actions.read', 'data-gathering-response-actions.read']), original.id),
    );
    const containmentOnly = await failure(world.runs.undo(callerOf('carol', ['containment-response-actions.exec']), original.id));
    const badReason = await failure(world.runs.undo(alice, original.id, 42, [{ path: 'extra', message: 'is not a field' }]));

    // Assess
    expect(readerOnly).toBeInstanceOf(ForbiddenError);
    expect(containmentOnly).toBeInstanceOf(NotFoundError);
    expect((badReason as InvalidInputError).errors.map((error) => error.path)).toEqual(['extra', 'reason']);
    expect((await world.runs.get(alice, original.id)).undo).toEqual({ available: true, runId: null });
  });

  it('an undo run whose execution cannot be started undid nothing: the run may be undone again', async () => {
    // Prepare
    const original = runOf(await world.runs.create(alice, credentialPlaybook.name, { inputs: credentialInputs }));
    world.starter.failNext = true;

    // Act
    const failed = runOf(await world.runs.undo(alice, original.id));
    world.starter.failNext = false;
    const retried = runOf(await world.runs.undo(alice, original.id));

    // Assess
    expect(failed).toMatchObject({ status: 'Error', error: { code: 'StartFailed' } });
    expect(retried).toMatchObject({ status: 'Completed', undoOf: original.id });
    expect((await world.runs.get(alice, original.id)).undo).toEqual({ available: false, runId: retried.id });
  });

  it('stops an undo run at a failed undo step, leaving the rest contained', async () => {
    // Prepare
    const original = runOf(await world.runs.create(alice, credentialPlaybook.name, { inputs: credentialInputs }));
    world.work.script('reactivate-access-keys', 'fail');

    // Act
    const undo = runOf(await world.runs.undo(alice, original.id));

    // Assess
    expect(undo.status).toBe('Error');
    expect(undo.error?.code).toBe('StepFailed');
    expect(undo.steps.map((step) => step.status)).toEqual(['Error', 'Skipped']);
    expect(world.work.started).not.toContain('iam-unquarantine');
  });
});

describe('APPROVAL_REQUIRED', () => {
  beforeEach(async () => {
    clock = new FixedClock('2026-11-20T10:00:00.000Z');
    world = await runWorld(dynalite.endpoint, clock, { approvalRequired: ['arn:aws:iam::*:user/mallory'] });
  });

  it("turns a person's run on a matching target into an approval with the run's plan; approving starts it for the requester", async () => {
    // Act
    const outcome = await world.runs.create(alice, credentialPlaybook.name, { inputs: credentialInputs, reason: 'incident 42' });

    // Assess
    if (!('approval' in outcome)) throw new Error('expected an approval');
    expect(outcome.approval.request).toEqual({ playbook: credentialPlaybook.name, inputs: credentialInputs, reason: 'incident 42' });
    expect(outcome.approval.category).toBe('containment');
    expect(outcome.approval.plan).toMatchObject({ playbook: credentialPlaybook.name });
    expect(await world.allActions()).toEqual([]);
    expect(world.starter.started).toEqual([]);

    // Act: a second person approves
    const approved = await world.approvals.approve(bob, outcome.approval.id, 'confirmed');

    // Assess
    expect(approved.playbookRunId).not.toBeNull();
    const run = await world.runs.get(alice, approved.playbookRunId ?? '');
    expect(run).toMatchObject({ createdBy: 'alice', status: 'Completed', trigger: { source: 'person', approvedBy: 'bob' } });
    for (const action of await world.allActions()) expect(action.trigger).toMatchObject({ source: 'person', approvedBy: 'bob' });
  });

  it('asks for an approval to undo such a run, and approving undoes exactly that run', async () => {
    // Prepare
    const requested = await world.runs.create(alice, credentialPlaybook.name, { inputs: credentialInputs });
    if (!('approval' in requested)) throw new Error('expected an approval');
    const runId = (await world.approvals.approve(bob, requested.approval.id, null)).playbookRunId ?? '';

    // Act
    const undoOutcome = await world.runs.undo(alice, runId, 'false positive');

    // Assess
    if (!('approval' in undoOutcome)) throw new Error('expected an approval');
    expect((await world.runs.get(alice, runId)).undo).toEqual({ available: true, runId: null });
    const approved = await world.approvals.approve(bob, undoOutcome.approval.id, null);
    const undo = await world.runs.get(alice, approved.playbookRunId ?? '');
    expect(undo).toMatchObject({ undoOf: runId, status: 'Completed', trigger: { approvedBy: 'bob' } });
    expect((await world.runs.get(alice, runId)).undo.runId).toBe(undo.id);
  });
});
