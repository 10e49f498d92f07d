import { beforeEach, describe, expect, it } from 'vitest';
import { FixedClock } from '#shared/clock.ts';
import type { PlaybookRun, PlaybookStepEvent } from '#shared/playbooks/types.ts';
import { useDynalite } from '#test/support/dynalite.ts';
import { callerOf, hostInputs, hostPlaybook, runWorld, userArn, type RunWorld } from './run-harness.ts';

// Crashes, races, deadlines and failed executions: the run item and the step actions are the only
// state, so advancing again (or twice at once) must never make a second action for a step.
const dynalite = useDynalite();
const alice = callerOf('alice');
const claimedId = '7a1e5c3b-2d4f-4e6a-8b9c-0d1e2f3a4b5c';

let clock: FixedClock;
let world: RunWorld;

beforeEach(async () => {
  clock = new FixedClock('2026-11-20T10:00:00.000Z');
  world = await runWorld(dynalite.endpoint, clock);
});

async function started(): Promise<PlaybookRun> {
  const outcome = await world.runs.create(alice, hostPlaybook.name, { inputs: hostInputs });
  if (!('run' in outcome)) throw new Error('the run asked for an approval');
  return outcome.run;
}

/** A run that is Running with its first step's action id claimed, as an advance that stopped right after the claim leaves it. */
async function claimedButNotCreated(): Promise<PlaybookRun> {
  world.starter.manual = true;
  const run = await started();
  await world.store.moveStatus(run, 'Created', 'Running', { at: clock.now().toISOString() });
  const claimed = await world.store.claimStepAction(run.id, 0, 'acquire', claimedId, clock.now().toISOString());
  if (claimed === null) throw new Error('the claim did not hold');
  return claimed.run;
}

describe('crash and retry', () => {
  it('two advances of the same run at once make exactly one action per step', async () => {
    // Prepare
    world.starter.manual = true;
    const run = await started();

    // Act
    await Promise.all([world.advance({ step: 'advance', runId: run.id }), world.advance({ step: 'advance', runId: run.id })]);
    // The slower one may have found a step in flight and answered wait: the state machine comes back.
    const last = await world.advance({ step: 'advance', runId: run.id });

    // Assess
    expect(last).toEqual({ next: 'done', waitSeconds: 0, status: 'Completed' });
    const actions = await world.allActions();
    expect(actions.map((action) => action.type).sort()).toEqual(['acquire-file', 'kill-container', 'pause-container']);
    expect(world.work.started.sort()).toEqual(['acquire-file', 'kill-container', 'pause-container']);
    const answered = await world.runs.get(alice, run.id);
    expect(answered.steps.map((step) => step.actionId).sort()).toEqual(actions.map((action) => action.id).sort());
  });

  it('an advance that stopped between claiming and creating: the retry creates the action with the claimed id', async () => {
    // Prepare
    const run = await claimedButNotCreated();

    // Act
    const result = await world.advance({ step: 'advance', runId: run.id });

    // Assess
    expect(result.status).toBe('Completed');
    const actions = await world.allActions();
    expect(actions.filter((action) => action.type === 'acquire-file').map((action) => action.id)).toEqual([claimedId]);
    expect(actions).toHaveLength(3);
  });

  it('an advance that stopped right after creating: the retry finds the action and creates no second one', async () => {
    // Prepare
    const run = await claimedButNotCreated();
    world.work.script('acquire-file', 'hold');
    await world.actions.createOnBehalf(
      'alice',
      { type: 'acquire-file', inputs: { 'host.id': 'node-7', 'path.absolute': '/tmp/dropper' }, reason: null },
      { trigger: null, approved: true, playbookRunId: run.id, actionId: claimedId },
    );

    // Act
    const waiting = await world.advance({ step: 'advance', runId: run.id });
    await world.work.finish(claimedId, 'complete');
    const finished = await world.advance({ step: 'advance', runId: run.id });

    // Assess
    expect(waiting).toEqual({ next: 'wait', waitSeconds: 2, status: 'Running' });
    expect(finished.status).toBe('Completed');
    expect(world.work.started).toEqual(['acquire-file', 'pause-container', 'kill-container']);
    expect(await world.allActions()).toHaveLength(3);
  });

  it('an undo step that stopped after claiming the undo: the retry with its reserved id creates the undo; another id may not', async () => {
    // Prepare: a Completed quarantine, its undo claimed for the id a run reserved, and no undo record stored.
    const inputs = { 'aws.resource.arn': userArn };
    const paused = await world.actions.createOnBehalf('alice', { type: 'iam-quarantine', inputs, reason: null }, { trigger: null, approved: true });
    if (!('record' in paused)) throw new Error('the pause asked for an approval');
    await world.repository.claimUndo(paused.record.id, claimedId);
    const undo = (actionId: string) =>
      world.actions.createOnBehalf(
        'alice',
        { type: 'iam-unquarantine', inputs, reason: null },
        { trigger: null, approved: true, origin: { kind: 'undo', actionId: paused.record.id }, actionId },
      );

    // Act
    const other = undo('0b5e3a9c-1d2f-4a6b-8c7d-9e0f1a2b3c4d');
    await expect(other).rejects.toThrow(/already has an undo/);
    const retried = await undo(claimedId);

    // Assess
    if (!('record' in retried)) throw new Error('the undo asked for an approval');
    expect(retried.record).toMatchObject({ id: claimedId, type: 'iam-unquarantine', undoOf: paused.record.id });
    expect((await world.repository.get(paused.record.id))?.undo.actionId).toBe(claimedId);
  });

  it('advancing a finished run again changes nothing', async () => {
    // Prepare
    const run = await started();
    const before = await world.store.get(run.id);

    // Act
    const again = await world.advance({ step: 'advance', runId: run.id });

    // Assess
    expect(again).toEqual({ next: 'done', waitSeconds: 0, status: 'Completed' });
    expect(await world.store.get(run.id)).toEqual(before);
    expect(await world.allActions()).toHaveLength(3);
  });

  it('refuses an event naming no run id, or a run that does not exist', async () => {
    // Act and assess
    await expect(world.advance({ step: 'advance', runId: 'PR#x" OR 1=1' })).rejects.toThrow(/no run id/);
    await expect(world.advance({ step: 'advance', runId: claimedId })).rejects.toThrow(/no playbook run/);
    const other = { step: 'complete', runId: claimedId } as unknown as PlaybookStepEvent;
    await expect(world.advance(other)).rejects.toThrow(/advance or fail/);
  });
});

describe('deadline', () => {
  it('ends a run past its deadline in Error, the steps not started Skipped, the action in flight left to finish', async () => {
    // Prepare
    world.work.script('pause-container', 'hold');
    const run = await started();
    clock.advance(3600 * 1000);

    // Act
    const result = await world.starter.drive(run.id);

    // Assess
    expect(result).toEqual({ next: 'done', waitSeconds: 0, status: 'Error' });
    const answered = await world.runs.get(alice, run.id);
    expect(answered.error).toEqual({ code: 'RunDeadlineExceeded', message: 'the run did not finish by its deadline 2026-11-20T11:00:00.000Z' });
    expect(answered.steps.map((step) => step.status)).toEqual(['Completed', 'Running', 'Skipped']);
    expect(answered.steps[2]?.skipReason).toMatch(/deadline/);
    expect(world.work.started).toEqual(['acquire-file', 'pause-container']);
  });

  it('a step that finishes after the deadline starts nothing more', async () => {
    // Prepare
    world.work.script('pause-container', 'hold');
    const run = await started();
    const pause = (await world.runs.get(alice, run.id)).steps[1]?.actionId ?? '';
    clock.advance(3600 * 1000 + 1);
    await world.work.finish(pause, 'complete');

    // Act
    await world.starter.drive(run.id);

    // Assess
    expect((await world.runs.get(alice, run.id)).status).toBe('Error');
    expect(world.work.started).not.toContain('kill-container');
  });
});

describe('a failed execution', () => {
  it("ends the run in Error with the Step Functions error and the Lambda error's message only: no trace, no control characters, bounded", async () => {
    // Prepare
    world.work.script('pause-container', 'hold');
    const run = await started();
    const cause = JSON.stringify({
      errorType: 'Error',
      errorMessage: `table unavailable\nFORGED: run ${run.id} Completed ${'x'.repeat(5000)}`,
      trace: ['Error: table unavailable', '    at advance (/var/task/index.mjs:1:2)'],
    });

    // Act
    const result = await world.advance({ step: 'fail', runId: run.id, error: { Error: 'Lambda.Unknown', Cause: cause } });

    // Assess
    expect(result).toEqual({ next: 'done', waitSeconds: 0, status: 'Error' });
    const answered = await world.runs.get(alice, run.id);
    expect(answered.error?.code).toBe('ExecutionFailed');
    expect(answered.error?.message).toMatch(/^the run's execution failed \(Lambda\.Unknown\): table unavailable FORGED/);
    expect(answered.error?.message).not.toMatch(/\/var\/task|trace|\n/);
    expect(answered.error?.message.length).toBeLessThanOrEqual(600);
    expect(answered.steps.map((step) => step.status)).toEqual(['Completed', 'Running', 'Skipped']);
  });

  it('a second failure, or an advance after it, changes nothing', async () => {
    // Prepare
    world.work.script('pause-container', 'hold');
    const run = await started();
    await world.advance({ step: 'fail', runId: run.id, error: { Error: 'States.Timeout' } });
    const after = await world.store.get(run.id);

    // Act
    const second = await world.advance({ step: 'fail', runId: run.id, error: { Error: 'Other' } });
    const advanced = await world.advance({ step: 'advance', runId: run.id });

    // Assess
    expect(second.status).toBe('Error');
    expect(advanced.status).toBe('Error');
    expect(await world.store.get(run.id)).toEqual(after);
    expect(after?.run.error).toEqual({ code: 'ExecutionFailed', message: "the run's execution failed (States.Timeout)" });
  });
});
