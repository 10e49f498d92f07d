import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { actionTypes, isUndoType, undoTargetOf } from '#shared/catalogue/index.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { planSchema } from '#shared/plans/plan-schema.ts';
import { createUser } from '#test/support/moto-iam.ts';
import { analyst, cloudInputs, readOnlyRequest, startPlanCloudSuite, unique, type CloudTargets, type PlanCloudHarness } from './plan-cloud-harness.ts';

/*
 * Every cloud undo type posted directly as a dry run, on moto_server: the plan is of the undo of
 * the newest Completed, not yet undone original (run for real first through the shipped state
 * machine), as a create would find it; the family plans it from that original; nothing is written,
 * and the original's undo stays available.
 */

let h: PlanCloudHarness;
let targets: CloudTargets;

beforeAll(async () => {
  ({ h, targets } = await startPlanCloudSuite(inject('motoEndpoint')));
});

afterAll(async () => {
  await h.close();
});

const undoTypes = actionTypes.filter((definition) => definition.executors.includes('cloud') && isUndoType(definition.type)).map((definition) => definition.type);

/** The original's inputs, and those a person posting the undo type directly would give (the same resource). */
function requestOf(undoType: string): { original: string; originalInputs: Readonly<Record<string, unknown>>; undoInputs: Readonly<Record<string, unknown>> } {
  const original = undoTargetOf(undoType) ?? '';
  const originalInputs = cloudInputs(targets)[original] ?? {};
  return { original, originalInputs, undoInputs: originalInputs };
}

async function runOriginal(type: string, inputs: Readonly<Record<string, unknown>>): Promise<ActionRecord> {
  const record = await h.harness.run(h.harness.newRecord(type, inputs));
  expect(record.status, JSON.stringify(record.error)).toBe('Completed');
  return record;
}

describe('plans of every cloud undo type posted directly, on moto', () => {
  it.each(undoTypes)('%s: plans the undo of the newest Completed original, writing nothing', async (undoType) => {
    // Prepare
    const { original: originalType, originalInputs, undoInputs } = requestOf(undoType);
    const original = await runOriginal(originalType, originalInputs);
    const before = await h.historyCount();
    const from = h.harness.front.requests.length;
    // Act
    const plan = await h.plans.plan(analyst, { type: undoType, inputs: undoInputs });
    // Assess
    expect(planSchema.safeParse(plan).error?.issues ?? []).toEqual([]);
    expect(plan).toMatchObject({ type: undoType, resource: original.resources[0], allowed: true, refusal: null, undo: null });
    expect(plan.changes.length).toBeGreaterThan(0);
    expect(h.requestsSince(from).filter((request) => !readOnlyRequest.test(request))).toEqual([]);
    expect(await h.historyCount()).toBe(before);
    expect((await h.harness.repository.get(original.id))?.undo).toMatchObject({ available: true, actionId: null });
  });

  it('iam-unquarantine detaches exactly the AWSDenyAll the quarantine attached', async () => {
    // Prepare
    const userArn = await createUser(h.iam, unique('bob'));
    await runOriginal('iam-quarantine', { 'aws.resource.arn': userArn });
    // Act
    const plan = await h.plans.plan(analyst, { type: 'iam-unquarantine', inputs: { 'aws.resource.arn': userArn } });
    // Assess
    expect(plan.changes).toEqual([{ call: 'iam:DetachUserPolicy', target: userArn, detail: expect.stringContaining('AWSDenyAll') as unknown }]);
  });
});
