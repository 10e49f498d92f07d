import { beforeEach, describe, expect, it } from 'vitest';
import { prepareAction } from '#shared/actions/action-run.ts';
import { ProtectedTargetError, TargetAccountNotAllowedError } from '#shared/actions/errors.ts';
import { iamFamily } from '#shared/actions/iam/index.ts';
import type { MemberSessionSource } from '#shared/adapters/member-session.ts';
import { FixedClock } from '#shared/clock.ts';
import { NotFoundError } from '#shared/errors.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { PlaybookRun } from '#shared/playbooks/types.ts';
import { useDynalite } from '#test/support/dynalite.ts';
import { callerOf, credentialInputs, credentialPlaybook, runWorld, type RunWorld } from './run-harness.ts';
import { playbook, step, textInput } from './run-fixtures.ts';

// A step fed by an earlier step's result (a responder's, hence hostile) names a target that no
// check at the run's start saw: it must meet every guard a direct action meets.
const dynalite = useDynalite();
const alice = callerOf('alice');

let clock: FixedClock;
let world: RunWorld;

beforeEach(() => {
  clock = new FixedClock('2026-11-20T10:00:00.000Z');
});

async function run(name: string, inputs: Record<string, unknown>): Promise<PlaybookRun> {
  const outcome = await world.runs.create(alice, name, { inputs });
  if (!('run' in outcome)) throw new Error('the run asked for an approval');
  return world.runs.get(alice, outcome.run.id);
}

/** Acquires a file, then quarantines whatever path the acquisition's result names. */
const quarantineFromResult = playbook('quarantine-from-result', [textInput('host.id'), textInput('path.absolute')], [
  step('acquire', 'acquire-file', { 'host.id': { input: 'host.id' }, 'path.absolute': { input: 'path.absolute' } }),
  step('quarantine', 'file-quarantine', { 'host.id': { input: 'host.id' }, 'path.absolute': { step: 'acquire', result: 'path' } }),
]);

/** Acquires a file, then quarantines the IAM principal the acquisition's result names. */
const principalFromResult = playbook('principal-from-result', [textInput('host.id'), textInput('path.absolute')], [
  step('acquire', 'acquire-file', { 'host.id': { input: 'host.id' }, 'path.absolute': { input: 'path.absolute' } }),
  step('quarantine', 'iam-quarantine', { 'aws.resource.arn': { step: 'acquire', result: 'arn' } }),
]);

describe('APPROVAL_REQUIRED on a target an earlier result names', () => {
  it('is not passed by the run: the step asks for its own approval and ends in Error, no action created', async () => {
    // Prepare: the run's inputs name nothing that needs an approval; the result names /etc/passwd, which does
    world = await runWorld(dynalite.endpoint, clock, { approvalRequired: ['host/*/file//etc/passwd'], playbooks: [quarantineFromResult] });
    world.work.script('acquire-file', 'complete', { path: '/etc/passwd' });

    // Act
    const finished = await run(quarantineFromResult.name, { 'host.id': 'node-7', 'path.absolute': '/tmp/dropper' });

    // Assess
    expect(finished.status).toBe('Error');
    expect(finished.steps[1]).toMatchObject({ id: 'quarantine', status: 'Error', error: { code: 'StepRefused' } });
    expect((await world.allActions()).map((action) => action.type)).toEqual(['acquire-file']);
    const pending = await world.approvals.list(alice, { limit: 10 });
    expect(pending.items).toHaveLength(1);
    expect(pending.items[0]).toMatchObject({ status: 'pending', requestedBy: 'alice', request: { type: 'file-quarantine', inputs: { 'path.absolute': '/etc/passwd' } } });
    expect(finished.steps[1]?.error?.message).toContain(pending.items[0]?.id ?? 'no approval');
  });

  it('still lets a step the run inputs decided pass on the run, and a result-fed step on a target that needs none', async () => {
    // Prepare
    world = await runWorld(dynalite.endpoint, clock, { approvalRequired: ['host/*/file//etc/passwd'], playbooks: [quarantineFromResult] });
    world.work.script('acquire-file', 'complete', { path: '/tmp/dropper' });

    // Act
    const finished = await run(quarantineFromResult.name, { 'host.id': 'node-7', 'path.absolute': '/tmp/dropper' });

    // Assess
    expect(finished.status).toBe('Completed');
    expect((await world.allActions()).map((action) => action.type).sort()).toEqual(['acquire-file', 'file-quarantine']);
    expect((await world.approvals.list(alice, { limit: 10 })).items).toEqual([]);
  });
});

describe('TARGET_ACCOUNTS and protected targets on a target an earlier result names', () => {
  const config = {
    targetAccounts: { all: false as const, ids: new Set(['111122223333']) },
    protectedTargets: ['arn:aws:iam::111122223333:role/BreakGlass'],
  };
  const noSessions: MemberSessionSource = {
    sessionFor: () => Promise.reject(new Error('a guarded action must not reach the member account')),
  };

  async function stepAction(arn: string): Promise<ActionRecord> {
    world = await runWorld(dynalite.endpoint, clock, { playbooks: [principalFromResult] });
    world.work.script('acquire-file', 'complete', { arn });
    const finished = await run(principalFromResult.name, { 'host.id': 'node-7', 'path.absolute': '/tmp/dropper' });
    const action = await world.repository.get(finished.steps[1]?.actionId ?? '');
    if (action === null) throw new Error('the step made no action');
    return action;
  }

  it.each([
    ['an account outside TARGET_ACCOUNTS', 'arn:aws:iam::999988887777:role/admin', TargetAccountNotAllowedError],
    ['a protected role (on another path, in another case)', 'arn:aws:iam::111122223333:role/x/breakglass', ProtectedTargetError],
  ])('are refused by the cloud action before any call, as for a direct action: %s', async (_, arn, refusal) => {
    // Prepare: the step's action carries the result's ARN as its target, on the run's authority
    const action = await stepAction(arn);
    expect(action).toMatchObject({ type: 'iam-quarantine', inputs: { 'aws.resource.arn': arn } });
    expect(action.playbookRunId).not.toBeNull();

    // Act
    const preparing = prepareAction({ repository: world.repository, config, sessions: noSessions, family: iamFamily, clock }, action);

    // Assess
    await expect(preparing).rejects.toBeInstanceOf(refusal);
  });
});

describe('evidence-first past what the run-time rule can see', () => {
  it('a destructive step after evidence steps all Skipped by their conditions runs, carrying the NoEvidenceFirst warning', async () => {
    // Prepare: the only evidence step asks for a path, and none is given (contracts: Skipped by a condition counts as secured)
    const conditional = playbook('conditional-evidence', [textInput('host.id'), textInput('container.id'), textInput('path.absolute', false)], [
      step('acquire', 'acquire-file', { 'host.id': { input: 'host.id' }, 'path.absolute': { input: 'path.absolute' } }, { when: [{ present: 'path.absolute' }] }),
      step('kill', 'kill-container', { 'host.id': { input: 'host.id' }, 'container.id': { input: 'container.id' } }),
    ]);
    world = await runWorld(dynalite.endpoint, clock, { playbooks: [conditional] });

    // Act
    const finished = await run(conditional.name, { 'host.id': 'node-7', 'container.id': 'c0ffee' });

    // Assess
    expect(finished.status).toBe('Completed');
    const kill = await world.repository.get(finished.steps[1]?.actionId ?? '');
    expect(kill?.warnings.map((warning) => warning.code)).toEqual(['NoEvidenceFirst']);
  });

  it('evidence gathered on another target than the destructive step\'s does not spare it the NoEvidenceFirst warning', async () => {
    // Prepare: the evidence is about node-7's container, the kill about a container a result names on node-9
    const elsewhere = playbook('evidence-elsewhere', [textInput('host.id'), textInput('container.id')], [
      step('logs', 'get-logs', { 'host.id': { input: 'host.id' }, 'container.id': { input: 'container.id' } }),
      step('kill', 'kill-container', { 'host.id': { step: 'logs', result: 'host' }, 'container.id': { input: 'container.id' } }),
    ]);
    world = await runWorld(dynalite.endpoint, clock, { playbooks: [elsewhere] });
    world.work.script('get-logs', 'complete', { host: 'node-9' });

    // Act
    const finished = await run(elsewhere.name, { 'host.id': 'node-7', 'container.id': 'c0ffee' });

    // Assess
    const kill = await world.repository.get(finished.steps[1]?.actionId ?? '');
    expect(kill).toMatchObject({ type: 'kill-container', inputs: { 'host.id': 'node-9' } });
    expect(kill?.warnings.map((warning) => warning.code)).toEqual(['NoEvidenceFirst']);
  });
});

describe("an undo run's readers", () => {
  it("are the original's: it shows the original's inputs, so a reader of its undo steps' category alone finds it nowhere", async () => {
    // Prepare: a run with a data-gathering step (the CloudTrail read and its time range), undone
    world = await runWorld(dynalite.endpoint, clock);
    const original = await run(credentialPlaybook.name, credentialInputs);
    const undone = await world.runs.undo(alice, original.id, 'false positive');
    if (!('run' in undone)) throw new Error('the undo asked for an approval');
    const containmentReader = callerOf('carol', ['containment-response-actions.read']);

    // Act
    const got = await world.runs.get(containmentReader, undone.run.id).catch((error: unknown) => error);
    const listed = await world.runs.list(containmentReader, { limit: 10 });

    // Assess
    expect(got).toBeInstanceOf(NotFoundError);
    expect(listed.items).toEqual([]);
    expect((await world.runs.get(alice, undone.run.id)).inputs).toEqual(credentialInputs);
  });
});
