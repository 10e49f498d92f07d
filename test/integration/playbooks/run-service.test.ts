import { beforeEach, describe, expect, it } from 'vitest';
import { FixedClock } from '#shared/clock.ts';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '#shared/errors.ts';
import { playbookPlanSchema, playbookRunPageSchema, playbookRunSchema } from '#shared/playbooks/run-schema.ts';
import type { PlaybookRun, RunOutcome } from '#shared/playbooks/types.ts';
import { useDynalite } from '#test/support/dynalite.ts';
import { callerOf, credentialInputs, credentialPlaybook, hostInputs, hostPlaybook, runWorld, type RunWorld } from './run-harness.ts';

// The run use cases: scope before inputs, validation, readers, Idempotency-Key, dry runs, a start that fails.
const dynalite = useDynalite();
const alice = callerOf('alice');
const dataOnly = callerOf('dave', ['data-gathering-response-actions.exec']);
const containmentReader = callerOf('carol', ['containment-response-actions.read']);
const bothReader = callerOf('rita', ['containment-response-actions.read', 'data-gathering-response-actions.read']);

let clock: FixedClock;
let world: RunWorld;

beforeEach(async () => {
  clock = new FixedClock('2026-11-20T10:00:00.000Z');
  world = await runWorld(dynalite.endpoint, clock);
});

function runOf(outcome: RunOutcome): PlaybookRun {
  if (!('run' in outcome)) throw new Error('the run asked for an approval');
  return outcome.run;
}

/** The error a promise rejects with, caught at once (no rejection is left unhandled while others are awaited). */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('expected a refusal'),
    (error: unknown) => error,
  );
}

/** Nothing was written: no run, no action. */
async function expectNothingWritten(): Promise<void> {
  expect((await world.store.list({ readable: ['containment', 'data-gathering'], limit: 100, now: clock.now() })).items).toEqual([]);
  expect(await world.allActions()).toEqual([]);
}

describe('creating a run', () => {
  it('answers an unknown playbook with 404, writing nothing', async () => {
    // Act
    const outcome = await failure(world.runs.create(alice, 'no-such-playbook', { inputs: hostInputs }));

    // Assess
    expect(outcome).toBeInstanceOf(NotFoundError);
    await expectNothingWritten();
  });

  it('refuses a caller without the exec scope of every category its steps use (403) before looking at its inputs', async () => {
    // Act: the inputs are wrong too, and the body has an unknown field
    const outcome = await failure(
      world.runs.create(dataOnly, hostPlaybook.name, { inputs: { 'host.id': 42 } }, undefined, [{ path: 'extra', message: 'is not a field' }]),
    );

    // Assess
    expect(outcome).toBeInstanceOf(ForbiddenError);
    expect((outcome as Error).message).toMatch(/containment-response-actions\.exec/);
    await expectNothingWritten();
  });

  it("lists every problem of the inputs, reason and body in one 400, each naming its field, writing nothing", async () => {
    // Act
    const outcome = world.runs.create(alice, hostPlaybook.name, { inputs: { 'host.id': 'node-7', bogus: 1 }, reason: 'x'.repeat(1001) }, undefined, [
      { path: 'extra', message: 'is not a field of a playbook run request (inputs, reason)' },
    ]);

    // Assess
    const error = await failure(outcome);
    expect(error).toBeInstanceOf(InvalidInputError);
    const paths = (error as InvalidInputError).errors.map((each) => each.path).sort();
    expect(paths).toEqual(['extra', 'inputs.bogus', 'inputs.container.id', 'reason']);
    await expectNothingWritten();
  });

  it('records the run (Created, then driven to the end) with its deadline, creator and reason', async () => {
    // Act
    const run = runOf(await world.runs.create(alice, hostPlaybook.name, { inputs: hostInputs, reason: 'incident 42' }));

    // Assess
    expect(run).toMatchObject({
      playbook: 'host-breach',
      inputs: hostInputs,
      reason: 'incident 42',
      status: 'Completed',
      createdBy: 'alice',
      createdAt: '2026-11-20T10:00:00.000Z',
      deadline: '2026-11-20T11:00:00.000Z',
      error: null,
      undoOf: null,
      trigger: null,
    });
    expect(world.starter.started).toEqual([run.id]);
    expect(playbookRunSchema.parse(run)).toEqual(run);
  });

  it('ends the run in Error (StartFailed) when its execution cannot be started, and starts no step', async () => {
    // Prepare
    world.starter.failNext = true;

    // Act
    const run = runOf(await world.runs.create(alice, hostPlaybook.name, { inputs: hostInputs }));

    // Assess
    expect(run.status).toBe('Error');
    expect(run.error).toEqual({ code: 'StartFailed', message: "the run's execution could not be started: the state machine is not deployed" });
    expect(await world.allActions()).toEqual([]);
  });
});

describe('a run on behalf of a rule', () => {
  it("runs for the rule's principal without a scope, each step's action carrying the rule's trigger", async () => {
    // Prepare
    const trigger = { source: 'guardduty', eventId: 'e-1', findingId: 'f-1', findingType: 'UnauthorizedAccess:IAMUser/x', ruleId: 'r-1', approvedBy: null } as const;

    // Act
    const run = runOf(await world.runs.createOnBehalf('automation:r-1', credentialPlaybook.name, { inputs: credentialInputs, reason: null }, { trigger, approved: false }));

    // Assess
    expect(run).toMatchObject({ createdBy: 'automation:r-1', trigger, status: 'Completed' });
    const actions = await world.allActions();
    expect(actions).toHaveLength(3);
    for (const action of actions) expect(action).toMatchObject({ createdBy: 'automation:r-1', trigger, playbookRunId: run.id });
  });

  it('refuses inputs the rule could not fill (400 naming them), writing nothing', async () => {
    // Act
    const trigger = { source: 'falco', eventId: null, findingId: null, findingType: null, ruleId: 'r-2', approvedBy: null } as const;
    const refused = await failure(world.runs.createOnBehalf('automation:r-2', hostPlaybook.name, { inputs: { 'host.id': 'node-7' }, reason: null }, { trigger, approved: false }));

    // Assess
    expect((refused as InvalidInputError).errors.map((error) => error.path)).toEqual(['inputs.container.id']);
    await expectNothingWritten();
  });
});

describe('Idempotency-Key', () => {
  it('answers a repeated request with the run the first one created, starting nothing again', async () => {
    // Prepare
    const first = runOf(await world.runs.create(alice, hostPlaybook.name, { inputs: hostInputs }, 'key-1'));

    // Act
    const again = runOf(await world.runs.create(alice, hostPlaybook.name, { inputs: hostInputs }, 'key-1'));

    // Assess
    expect(again).toEqual(first);
    expect(world.starter.started).toEqual([first.id]);
    expect(await world.allActions()).toHaveLength(3);
  });

  it('refuses the same key with another body (409) and keeps keys per caller and apart from action keys', async () => {
    // Prepare
    const first = runOf(await world.runs.create(alice, hostPlaybook.name, { inputs: hostInputs }, 'key-1'));
    // An action created under the same caller and key is another namespace.
    await world.actions.create(alice, { type: 'acquire-file', inputs: { 'host.id': 'node-7', 'path.absolute': '/etc/passwd' } }, 'key-1');

    // Act
    const otherBody = await failure(world.runs.create(alice, hostPlaybook.name, { inputs: hostInputs, reason: 'different' }, 'key-1'));
    const bobs = runOf(await world.runs.create(callerOf('bob'), hostPlaybook.name, { inputs: hostInputs }, 'key-1'));

    // Assess
    expect(otherBody).toBeInstanceOf(ConflictError);
    expect(bobs.id).not.toBe(first.id);
    expect(world.starter.started).toEqual([first.id, bobs.id]);
  });
});

describe('reading runs', () => {
  it("answers each step's status as its action stands now", async () => {
    // Prepare
    world.work.script('kill-container', 'hold');
    const run = runOf(await world.runs.create(alice, hostPlaybook.name, { inputs: hostInputs }));
    const kill = run.steps[2]?.actionId ?? '';

    // Act
    const before = await world.runs.get(alice, run.id);
    await world.work.finish(kill, 'complete');
    const after = await world.runs.get(alice, run.id);

    // Assess: the run itself moves on only when advanced; the step shows its action now
    expect(before.steps[2]?.status).toBe('Running');
    expect(after.steps[2]?.status).toBe('Completed');
    expect(after.status).toBe('Running');
  });

  it('hides a run from a caller who may not read every category of its steps (404), and from their listings', async () => {
    // Prepare
    const run = runOf(await world.runs.create(alice, hostPlaybook.name, { inputs: hostInputs }));

    // Act
    const hidden = await failure(world.runs.get(containmentReader, run.id));
    const listedToThem = await world.runs.list(containmentReader, { limit: 50 });
    const seen = await world.runs.get(bothReader, run.id);

    // Assess
    expect(hidden).toBeInstanceOf(NotFoundError);
    expect(listedToThem.items).toEqual([]);
    expect(seen.id).toBe(run.id);
    expect(await failure(world.runs.get(bothReader, 'not-a-uuid'))).toBeInstanceOf(NotFoundError);
    expect(await failure(world.runs.get(bothReader, '00000000-0000-4000-8000-000000000000'))).toBeInstanceOf(NotFoundError);
  });

  it('lists newest first with filters, and answers a tampered cursor with 400 naming it', async () => {
    // Prepare
    const host = runOf(await world.runs.create(alice, hostPlaybook.name, { inputs: hostInputs }));
    clock.advance(60_000);
    const credential = runOf(await world.runs.create(callerOf('bob'), credentialPlaybook.name, { inputs: credentialInputs }));

    // Act
    const all = await world.runs.list(bothReader, { limit: 50 });
    const bobs = await world.runs.list(bothReader, { createdBy: 'bob', limit: 50 });
    const hostOnes = await world.runs.list(bothReader, { playbook: hostPlaybook.name, status: 'Completed', limit: 50 });
    const firstPage = await world.runs.list(bothReader, { limit: 1 });
    const tampered = await failure(world.runs.list(bothReader, { limit: 1, cursor: `${firstPage.cursor ?? ''}A` }));

    // Assess
    expect(all.items.map((run) => run.id)).toEqual([credential.id, host.id]);
    expect(bobs.items.map((run) => run.id)).toEqual([credential.id]);
    expect(hostOnes.items.map((run) => run.id)).toEqual([host.id]);
    expect(firstPage.cursor).not.toBeNull();
    expect((tampered as InvalidInputError).errors).toEqual([expect.objectContaining({ path: 'cursor' })]);
    expect(playbookRunPageSchema.parse({ items: all.items, nextCursor: all.cursor })).toEqual({ items: all.items, nextCursor: null });
  });
});

describe('dry run', () => {
  it("answers every step's plan, a skipped step's reason instead of a plan, and writes nothing", async () => {
    // Act
    const plan = await world.runs.plan(alice, hostPlaybook.name, { inputs: { 'host.id': 'node-7', 'container.id': 'c0ffee' } });

    // Assess
    expect(plan.steps.map((step) => [step.id, step.plan?.type ?? null])).toEqual([
      ['acquire', null],
      ['pause', 'pause-container'],
      ['kill', 'kill-container'],
    ]);
    expect(plan.steps[0]?.note).toMatch(/^skipped: .*path\.absolute/);
    expect(playbookPlanSchema.parse(plan)).toEqual(plan);
    await expectNothingWritten();
  });

  it('checks the scope before the inputs, as a create does, unless the service itself asks', async () => {
    // Act
    const refused = await failure(world.runs.plan(dataOnly, hostPlaybook.name, { inputs: {} }));
    const invalid = await failure(world.runs.plan(null, hostPlaybook.name, { inputs: {} }));

    // Assess
    expect(refused).toBeInstanceOf(ForbiddenError);
    expect(invalid).toBeInstanceOf(InvalidInputError);
    await expectNothingWritten();
  });
});
