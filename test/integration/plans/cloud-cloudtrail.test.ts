/**
 * The plan of fetch-cloud-logs against moto_server through the local in-process planner: the
 * lookup and the evidence write apply would make, with no LookupEvents call and no evidence
 * written (the family's evidence store refuses every use), nothing in the history, and an account
 * outside TARGET_ACCOUNTS refused before any call.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cloudTrailFamily } from '#shared/actions/cloudtrail/index.ts';
import { TargetAccountNotAllowedError } from '#shared/actions/errors.ts';
import type { EvidenceStore } from '#shared/ports.ts';
import type { CloudPlanRequest } from '#shared/plans/types.ts';
import { startCloudActionHarness, type CloudActionHarness } from '#test/support/cloud-action-harness.ts';
import { plannerFor, watchPlan, type PlannerSetup, type WatchedPlan } from '#test/support/cloud-plans.ts';
import { motoAccountId, type MotoRequest } from '#test/support/moto-iam.ts';

const region = 'eu-west-1';
const refused = (): Promise<never> => Promise.reject(new Error('a plan must not use the evidence store'));
/** An evidence store that refuses every use: a plan writes no evidence and lists none. */
const untouchable: EvidenceStore = { put: refused, list: refused, downloadUrl: refused, uploadUrl: refused };
const family = cloudTrailFamily({ evidence: untouchable });

let harness: CloudActionHarness;
let setup: PlannerSetup;

beforeAll(async () => {
  harness = await startCloudActionHarness(inject('motoEndpoint'), { families: [family] });
  setup = plannerFor([family], harness);
});

afterAll(async () => {
  await setup.close();
  await harness.close();
});

const planWatched = (request: CloudPlanRequest): Promise<WatchedPlan<MotoRequest>> =>
  watchPlan(setup.planner, harness.historyTable, harness.front, (call) => call.action, request);

describe('the plan of fetch-cloud-logs', () => {
  it('lists the LookupEvents of the identity over the window and the evidence write, calling neither', async () => {
    // Prepare
    const from = new Date(Date.now() - 2 * 3_600_000).toISOString();
    const to = new Date(Date.now() - 60_000).toISOString();
    const userArn = `arn:aws:iam::${motoAccountId}:user/alice`;

    // Act
    const planned = await planWatched({
      type: 'fetch-cloud-logs',
      inputs: { 'aws.account.id': motoAccountId, 'aws.region': region, 'ct.user.arn': userArn, 'ct.user.identitytype': 'IAMUser', fromTimestamp: from, toTimestamp: to },
      undoOf: null,
    });

    // Assess
    expect(planned.error).toBeNull();
    expect(planned.result).toEqual({
      prior: null,
      changes: [
        {
          call: 'cloudtrail:LookupEvents',
          target: `arn:aws:cloudtrail:${region}:${motoAccountId}:eventhistory`,
          detail: `look up the event history of Username alice in account ${motoAccountId} (${region}) from ${from} to ${to}, keeping events whose userIdentity.arn ${userArn} and userIdentity.type IAMUser`,
        },
        {
          call: 'evidence:put',
          target: 'cloudtrail-events.jsonl',
          detail: "write the events found as JSON Lines with their SHA-256 to the service's evidence store (numbered parts cloudtrail-events-part-0001.jsonl, ... when the lookup spans several steps or parts)",
        },
      ],
    });
    // The CloudTrail family's member role is assumed (so a plan fails as the action would without it); nothing else is called.
    expect(planned.operations).toEqual(['AssumeRole']);
    expect(planned.calls[0]?.parameters['RoleArn']).toBe(`arn:aws:iam::${motoAccountId}:role/ResponseActionsMember-cloudtrail`);
    expect(planned.itemsAfter).toBe(planned.itemsBefore);
  });

  it('refuses an account outside TARGET_ACCOUNTS before any call', async () => {
    // Act
    const planned = await planWatched({
      type: 'fetch-cloud-logs',
      inputs: {
        'aws.account.id': '210987654321',
        'aws.region': region,
        'ct.user': 'alice',
        fromTimestamp: new Date(Date.now() - 3_600_000).toISOString(),
        toTimestamp: new Date(Date.now() - 60_000).toISOString(),
      },
      undoOf: null,
    });

    // Assess
    expect(planned.error).toBeInstanceOf(TargetAccountNotAllowedError);
    expect(planned.operations).toEqual([]);
    expect(planned.itemsAfter).toBe(planned.itemsBefore);
  });
});
