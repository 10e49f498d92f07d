/**
 * The capacity model's arithmetic (bench/capacity/model.ts, costs.ts) held to inputs worked out by
 * hand, so the figures docs/capacity.md quotes cannot drift silently when the model changes.
 */
import { describe, expect, it } from 'vitest';
import { actionCostOf, idleCostOf } from '../../../bench/capacity/costs.ts';
import type { ActionProfile } from '../../../bench/capacity/measure.ts';
import { actionDollars, capacityReport, idleDollarsPerDay, type ActionCost, type Fleet, type IdleCost } from '../../../bench/capacity/model.ts';

const cloud: ActionCost = {
  type: 'cloud-a',
  executor: 'cloud',
  apiRequests: 1,
  s3Puts: 0,
  taskInvocations: 5,
  transitions: 6,
  taskCallbacks: 0,
  readUnits: 10,
  writeUnits: 12,
  indexWriteUnits: 11,
  hotIndexWriteUnits: 2,
  sqsRequests: 0,
  iamWrites: 1,
  iamReads: 6,
  lookupEvents: 0,
  assumeRoles: 1,
  seconds: 1,
};
const host: ActionCost = {
  type: 'host-b',
  executor: 'host',
  apiRequests: 7,
  s3Puts: 4,
  taskInvocations: 2,
  transitions: 2,
  taskCallbacks: 2,
  readUnits: 14,
  writeUnits: 7,
  indexWriteUnits: 9,
  hotIndexWriteUnits: 2,
  sqsRequests: 3,
  iamWrites: 0,
  iamReads: 0,
  lookupEvents: 0,
  assumeRoles: 0,
  seconds: 5,
};
// One heartbeat (one API request, one write unit) every 30 s, one long poll every 20 s.
const idle: IdleCost = { apiRequests: 1 / 30, readUnits: 0, writeUnits: 1 / 30, registrationWriteUnits: 1 / 30, sqsRequests: 1 / 20, assumeRoles: 0 };
const fleet: Fleet = {
  hosts: 990,
  clusters: 10,
  accounts: 100,
  burstPerMinute: 600,
  mix: { 'cloud-a': 0.5, 'host-b': 0.5 },
  oneAccount: false,
  pollEverySeconds: 1,
  lambdaSecondsPerInvocation: 0.1,
};

describe('capacityReport', () => {
  it('adds the idle fleet and the burst on each quota, and finds the burst at which each is reached', () => {
    // Act
    const report = capacityReport([cloud, host], idle, fleet);
    const use = (name: string) => report.uses.find((each) => each.name === name);

    // Assess: 10 actions/s; per action 4 API requests on average plus 3 polls (3 s open, polled each second).
    expect(use('apiGatewayRps')?.base).toBeCloseTo(1000 / 30, 9);
    expect(use('apiGatewayRps')?.load).toBeCloseTo(1000 / 30 + 70, 9);
    expect(use('apiGatewayRps')?.maxBurstPerMinute).toBeCloseTo(85_428.571428, 4);
    expect(use('lambdaConcurrency')?.maxBurstPerMinute).toBeCloseTo(56_952.380952, 4);
    expect(use('sfnStartExecution')?.utilisation).toBeCloseTo(10 / 300, 9);
    expect(use('sfnStartExecution')?.maxBurstPerMinute).toBe(18_000);
    expect(use('sfnStateTransitions')?.maxBurstPerMinute).toBe(22_500);
    expect(use('dynamoStatusIndexPartition')?.maxBurstPerMinute).toBe(30_000);
    // The RESPONDER partition takes heartbeats only: no burst reaches it, 30,000 responders would.
    expect(use('dynamoRegistrationPartition')?.maxBurstPerMinute).toBe(Number.POSITIVE_INFINITY);
    expect(use('dynamoRegistrationPartition')?.maxResponders).toBeCloseTo(30_000, 6);
    expect(use('iamWrites')?.load).toBeCloseTo(0.05, 9);
    expect(use('cloudTrailLookupEvents')?.maxBurstPerMinute).toBe(Number.POSITIVE_INFINITY);
    expect(report.first.name).toBe('sfnStartExecution');
    expect(report.firstWithAssumed.name).toBe('stsAssumeRole');
    expect(report.firstWithAssumed.maxBurstPerMinute).toBe(12_000);
  });

  it('puts every cloud action of the burst on one account when told to', () => {
    // Act
    const report = capacityReport([cloud, host], idle, { ...fleet, oneAccount: true });

    // Assess: 3 IAM reads per action of the mix, against the assumed 20/s.
    expect(report.uses.find((use) => use.name === 'iamWrites')?.maxBurstPerMinute).toBe(1_200);
    expect(report.firstWithAssumed.name).toBe('iamReads');
    expect(report.firstWithAssumed.maxBurstPerMinute).toBe(400);
    expect(report.first.name).toBe('sfnStartExecution');
  });

  it('refuses a mix that does not add up or names an unmeasured type', () => {
    expect(() => capacityReport([cloud, host], idle, { ...fleet, mix: { 'cloud-a': 0.5 } })).toThrow(/sums to 0.5/);
    expect(() => capacityReport([cloud], idle, fleet)).toThrow(/no measured cost for host-b/);
  });

  it('prices an action and an idle host from the list prices', () => {
    expect(actionDollars(cloud, fleet)).toBeCloseTo(0.00017182502, 12);
    expect(idleDollarsPerDay(idle, fleet)).toBeCloseTo(0.0089040096, 10);
  });
});

describe('costs from measured calls', () => {
  it('separates API requests from evidence uploads, reports from other calls, IAM writes from reads', () => {
    // Prepare
    const profile: ActionProfile = {
      type: 'x',
      executor: 'host',
      status: 'Completed',
      seconds: 2,
      statusChanges: 4,
      transitions: { entered: 3, retried: 1, tasks: 2, taskSeconds: [] },
      calls: new Map([
        ['api:POST /v1/actions', { calls: 1, capacityUnits: 0 }],
        ['api:POST /v1/actions/{id}/reports', { calls: 2, capacityUnits: 0 }],
        ['api:PUT /local-evidence/*', { calls: 3, capacityUnits: 0 }],
        ['DynamoDB:GetItem', { calls: 5, capacityUnits: 5 }],
        ['DynamoDB:UpdateItem', { calls: 2, capacityUnits: 3 }],
        ['SQS:SendMessage', { calls: 1, capacityUnits: 0 }],
        ['aws:iam:AttachUserPolicy', { calls: 1, capacityUnits: 0 }],
        ['aws:iam:GetUser', { calls: 2, capacityUnits: 0 }],
        ['aws:sts:AssumeRole', { calls: 1, capacityUnits: 0 }],
      ]),
    };

    // Act
    const cost = actionCostOf(profile);

    // Assess
    expect(cost).toMatchObject({
      apiRequests: 3,
      s3Puts: 3,
      taskCallbacks: 2,
      transitions: 4,
      taskInvocations: 2,
      readUnits: 5,
      writeUnits: 3,
      indexWriteUnits: 5 + 2 * 4,
      sqsRequests: 1,
      iamWrites: 1,
      iamReads: 2,
      assumeRoles: 1,
    });
  });

  it('costs an idle responder by what one heartbeat cost, at the configured cadence', () => {
    // Prepare: two heartbeats in the window, each one request and one write unit.
    const calls = new Map([
      ['api:POST /v1/responders/host/{name}/heartbeat', { calls: 2, capacityUnits: 0 }],
      ['DynamoDB:UpdateItem', { calls: 2, capacityUnits: 2 }],
      ['SQS:ReceiveMessage', { calls: 3, capacityUnits: 0 }],
    ]);

    // Act
    const cost = idleCostOf({ seconds: 65, calls }, { heartbeatSeconds: 30, pollWaitSeconds: 20 });

    // Assess
    expect(cost.writeUnits).toBeCloseTo(1 / 30, 12);
    expect(cost.apiRequests).toBeCloseTo(1 / 30 + 1 / 3300, 12);
    expect(cost.sqsRequests).toBeCloseTo(1 / 20, 12);
    expect(() => idleCostOf({ seconds: 10, calls: new Map() }, { heartbeatSeconds: 30, pollWaitSeconds: 20 })).toThrow(/no heartbeat/);
  });
});
