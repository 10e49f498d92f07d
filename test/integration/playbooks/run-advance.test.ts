import { beforeEach, describe, expect, it } from 'vitest';
import { FixedClock } from '#shared/clock.ts';
import type { PlaybookRun } from '#shared/playbooks/types.ts';
import { playbookRunSchema } from '#shared/playbooks/run-schema.ts';
import { useDynalite } from '#test/support/dynalite.ts';
import {
  callerOf,
  credentialInputs,
  credentialPlaybook,
  hostInputs,
  hostPlaybook,
  runWorld,
  tolerantHostPlaybook,
  type RunWorld,
} from './run-harness.ts';
import { playbook, step, textInput } from './run-fixtures.ts';

// The step handler's rules, driven through the real ActionService on dynalite (run-harness.ts).
const dynalite = useDynalite();
const alice = callerOf('alice');

let clock: FixedClock;
let world: RunWorld;

beforeEach(async () => {
  clock = new FixedClock('2026-11-20T10:00:00.000Z');
  world = await runWorld(dynalite.endpoint, clock);
});

async function started(name: string, inputs: Record<string, unknown> = hostInputs, reason?: string): Promise<PlaybookRun> {
  const outcome = await world.runs.create(alice, name, { inputs, ...(reason === undefined ? {} : { reason }) });
  if (!('run' in outcome)) throw new Error('the run asked for an approval');
  return outcome.run;
}

const statuses = (run: PlaybookRun): Record<string, string> => Object.fromEntries(run.steps.map((step) => [step.id, step.status]));

describe('a run that goes well', () => {
  it('starts its steps one at a time in order, evidence first, each an ordinary action carrying the run id', async () => {
    // Act
    const created = await started(hostPlaybook.name, hostInputs, 'container escape on node-7');
    const run = await world.runs.get(alice, created.id);

    // Assess
    expect(world.work.started).toEqual(['acquire-file', 'pause-container', 'kill-container']);
    expect(run.status).toBe('Completed');
    expect(statuses(run)).toEqual({ acquire: 'Completed', pause: 'Completed', kill: 'Completed' });
    const actions = await world.allActions();
    expect(actions).toHaveLength(3);
    for (const action of actions) {
      expect(action).toMatchObject({ playbookRunId: run.id, createdBy: 'alice', trigger: null, reason: 'container escape on node-7' });
      expect(run.steps.map((step) => step.actionId)).toContain(action.id);
    }
    expect(playbookRunSchema.parse(run)).toEqual(run);
  });

  it("gives each step's action a reason naming the playbook, run and step when the run has none", async () => {
    // Act
    const run = await started(hostPlaybook.name);

    // Assess
    const reasons = (await world.allActions()).map((action) => action.reason).sort();
    expect(reasons).toEqual(['acquire', 'kill', 'pause'].map((id) => `playbook host-breach run ${run.id}, step ${id}`));
  });

  it('skips a step whose condition does not hold, with the condition as reason, and still runs the destructive step', async () => {
    // Act
    const run = await started(hostPlaybook.name, { 'host.id': 'node-7', 'container.id': 'c0ffee' });

    // Assess
    expect(world.work.started).toEqual(['pause-container', 'kill-container']);
    expect(run.status).toBe('Completed');
    expect(run.steps[0]).toMatchObject({ id: 'acquire', status: 'Skipped', actionId: null });
    expect(run.steps[0]?.skipReason).toMatch(/path\.absolute/);
  });

  it("waits while a step's action is in flight and goes on once it completes", async () => {
    // Prepare
    world.work.script('pause-container', 'hold');
    const run = await started(hostPlaybook.name);
    const pause = (await world.runs.get(alice, run.id)).steps[1]?.actionId ?? '';

    // Act
    const waiting = await world.starter.drive(run.id);
    await world.work.finish(pause, 'complete');
    const finished = await world.starter.drive(run.id);

    // Assess
    expect(waiting).toEqual({ next: 'wait', waitSeconds: 2, status: 'Running' });
    expect(finished).toEqual({ next: 'done', waitSeconds: 0, status: 'Completed' });
    expect(world.work.started).toEqual(['acquire-file', 'pause-container', 'kill-container']);
  });
});

describe('a step that fails', () => {
  it('a failing evidence step stops the run before any containment, let alone the destructive step', async () => {
    // Prepare
    world.work.script('acquire-file', 'fail');

    // Act
    const run = await world.runs.get(alice, (await started(hostPlaybook.name)).id);

    // Assess
    expect(world.work.started).toEqual(['acquire-file']);
    expect(run.status).toBe('Error');
    expect(run.error).toEqual({ code: 'StepFailed', message: 'step acquire (acquire-file) failed: TestExecutorFailed' });
    expect(statuses(run)).toEqual({ acquire: 'Error', pause: 'Skipped', kill: 'Skipped' });
    expect(run.steps[2]?.skipReason).toBe('the run stopped at step acquire');
    expect(await world.allActions()).toHaveLength(1);
  });

  it('an evidence step with continueOnError that fails lets the containment run, but never the destructive step (EvidenceNotSecured)', async () => {
    // Prepare
    world.work.script('acquire-file', 'fail');

    // Act
    const run = await world.runs.get(alice, (await started(tolerantHostPlaybook.name)).id);

    // Assess
    expect(world.work.started).toEqual(['acquire-file', 'pause-container']);
    expect(run.status).toBe('Error');
    expect(run.error?.code).toBe('EvidenceNotSecured');
    expect(run.error?.message).toMatch(/step kill \(kill-container\).*acquire/);
    expect(statuses(run)).toEqual({ acquire: 'Error', pause: 'Completed', kill: 'Skipped' });
    expect(run.steps[2]?.skipReason).toMatch(/evidence not secured.*acquire/);
    expect((await world.allActions()).map((action) => action.type)).not.toContain('kill-container');
  });

  it('a containment step with continueOnError that fails does not stop the run once evidence is secured', async () => {
    // Prepare
    world.work.script('pause-container', 'fail');

    // Act
    const run = await world.runs.get(alice, (await started(tolerantHostPlaybook.name)).id);

    // Assess
    expect(world.work.started).toEqual(['acquire-file', 'pause-container', 'kill-container']);
    expect(run.status).toBe('Completed');
    expect(statuses(run)).toEqual({ acquire: 'Completed', pause: 'Error', kill: 'Completed' });
  });

  it('a step whose resolved inputs the catalogue refuses ends in Error with no action, and stops the run', async () => {
    // Prepare: each input is valid on its own; fetch-cloud-logs refuses a window that ends before it starts
    const inputs = { ...credentialInputs, fromTimestamp: '2026-11-20T09:00:00Z', toTimestamp: '2026-11-19T10:00:00Z' };

    // Act
    const run = await world.runs.get(alice, (await started(credentialPlaybook.name, inputs)).id);

    // Assess
    expect(run.status).toBe('Error');
    expect(run.error).toEqual({ code: 'StepFailed', message: 'step cloudtrail (fetch-cloud-logs) failed: StepInputsRefused' });
    expect(run.steps[0]).toMatchObject({ status: 'Error', actionId: null, error: { code: 'StepInputsRefused' } });
    expect(run.steps[0]?.error?.message).toMatch(/fromTimestamp/);
    expect(statuses(run)).toEqual({ cloudtrail: 'Error', quarantine: 'Skipped', 'access-keys': 'Skipped' });
    expect(await world.allActions()).toEqual([]);
  });

  it("takes an earlier step's result as hostile: a value the catalogue refuses ends the step in Error with no action", async () => {
    // Prepare: the second step quarantines whatever path the first one's result names
    const fromResult = playbook('from-result', [textInput('host.id'), textInput('path.absolute')], [
      step('acquire', 'acquire-file', { 'host.id': { input: 'host.id' }, 'path.absolute': { input: 'path.absolute' } }),
      step('quarantine', 'file-quarantine', { 'host.id': { input: 'host.id' }, 'path.absolute': { step: 'acquire', result: 'path' } }),
    ]);
    world = await runWorld(dynalite.endpoint, clock, { playbooks: [fromResult] });
    world.work.script('acquire-file', 'complete', { path: '../../etc/shadow', sha256: 'x' });

    // Act
    const run = await world.runs.get(alice, (await started('from-result', { 'host.id': 'node-7', 'path.absolute': '/tmp/dropper' })).id);

    // Assess
    expect(run.status).toBe('Error');
    expect(run.steps[1]).toMatchObject({ status: 'Error', actionId: null, error: { code: 'StepInputsRefused' } });
    expect(run.steps[1]?.error?.message).toMatch(/inputs\.path\.absolute/);
    expect((await world.allActions()).map((action) => action.type)).toEqual(['acquire-file']);
  });
});
