import {
  DescribeAutoScalingInstancesCommand,
  DetachInstancesCommand,
  EnterStandbyCommand,
  ExitStandbyCommand,
  type AutoScalingClient,
  type DescribeAutoScalingInstancesCommandInput,
  type EnterStandbyCommandInput,
} from '@aws-sdk/client-auto-scaling';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CloudActionFamily } from '#shared/actions/cloud-action.ts';
import type { Ec2Clients } from '#shared/actions/ec2/index.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { groupHolding, groupOf, lifecycleOf, mockedAutoScalingFamily, motoAutoScalingClient } from '#test/support/moto-auto-scaling.ts';
import {
  createNetwork,
  createSecurityGroup,
  ec2FamilyRefusingSwitch,
  instanceArn,
  instanceSettings,
  interfaceGroups,
  launchInstance,
  startEc2Harness,
  type Ec2Harness,
} from '#test/support/moto-ec2.ts';

let harness: Ec2Harness;
let autoScaling: AutoScalingClient;

beforeAll(async () => {
  harness = await startEc2Harness(inject('motoEndpoint'));
  autoScaling = motoAutoScalingClient(inject('motoEndpoint'));
});

afterAll(async () => {
  autoScaling.destroy();
  await harness.close();
});

async function isolate(arn: string, on = harness.runtime): Promise<ActionRecord> {
  return harness.run(harness.newRecord('isolate-ec2-instance', { 'aws.resource.arn': arn }), on);
}

async function unisolate(original: ActionRecord): Promise<ActionRecord> {
  return harness.undo(original, 'unisolate-ec2-instance');
}

type Change = { action: string; autoScalingGroupName?: string; shouldDecrementDesiredCapacity?: boolean; networkInterfaceId?: string; after?: unknown };

function changesOf(record: ActionRecord): Change[] {
  return (record.applied as { changes?: Change[] } | null)?.changes ?? [];
}

function standbyChanges(record: ActionRecord): Change[] {
  return changesOf(record).filter((change) => change.action === 'EnterStandby' || change.action === 'ExitStandby');
}

/** Actions the front saw from index `from` on. */
function callsSince(from: number): string[] {
  return harness.front.requests.slice(from).map((request) => request.action);
}

/** An instance on two groups of its own, in a VPC of its own, InService in a group of its own. */
async function serverInGroup(): Promise<{ instanceId: string; arn: string; eni: string; groups: string[]; group: string }> {
  const network = await createNetwork(harness.ec2);
  const groups = [await createSecurityGroup(harness.ec2, network.vpcId, 'web'), await createSecurityGroup(harness.ec2, network.vpcId, 'ssh')].sort();
  const instanceId = await launchInstance(harness.ec2, { network, securityGroupIds: groups });
  const [eni = ''] = Object.keys(await interfaceGroups(harness.ec2, instanceId));
  const group = await groupHolding(harness.ec2, autoScaling, network, instanceId);
  return { instanceId, arn: instanceArn(instanceId), eni, groups, group };
}

/**
 * The EC2 family whose Auto Scaling answers `state` as the instance's lifecycle state on the
 * looks `fake` picks (from whether EnterStandby was made yet and how many looks were faked so
 * far); every other call reaches moto. `fakedAt`: where in the front's requests each faked answer came.
 */
function familyAnswering(state: string, fake: (entered: boolean, faked: number) => boolean): { family: CloudActionFamily<Ec2Clients>; fakedAt: number[] } {
  let entered = false;
  const fakedAt: number[] = [];
  const family = mockedAutoScalingFamily(({ mock, real }) => {
    mock.on(EnterStandbyCommand).callsFake(async (input: EnterStandbyCommandInput) => {
      const output = await real.send(new EnterStandbyCommand(input));
      entered = true;
      return output;
    });
    mock.on(DescribeAutoScalingInstancesCommand).callsFake(async (input: DescribeAutoScalingInstancesCommandInput) => {
      const output = await real.send(new DescribeAutoScalingInstancesCommand(input));
      if (!fake(entered, fakedAt.length)) return output;
      fakedAt.push(harness.front.requests.length);
      return { ...output, AutoScalingInstances: (output.AutoScalingInstances ?? []).map((instance) => ({ ...instance, LifecycleState: state })) };
    });
  });
  return { family, fakedAt };
}

describe('isolate-ec2-instance and unisolate-ec2-instance with an Auto Scaling group, on moto', () => {
  it('puts an instance of a group on standby before isolating it, and undo puts it back in service on its own groups', async () => {
    // Prepare
    const server = await serverInGroup();
    const callsBefore = harness.front.requests.length;

    // Act
    const isolated = await isolate(server.arn);
    const isolateCalls = callsSince(callsBefore);
    const lifecycleWhileIsolated = await lifecycleOf(autoScaling, server.instanceId);
    const groupWhileIsolated = await groupOf(autoScaling, server.group);
    const interfacesWhileIsolated = await interfaceGroups(harness.ec2, server.instanceId);
    const callsBeforeUndo = harness.front.requests.length;
    const released = await unisolate(isolated);
    const undoCalls = callsSince(callsBeforeUndo);

    // Assess
    expect(isolated.status, JSON.stringify(isolated.error)).toBe('Completed');
    expect(isolated.prior).toMatchObject({ autoScaling: { autoScalingGroupName: server.group, lifecycleState: 'InService', healthStatus: 'Healthy' } });
    // Standby is the first change: the group stops health-checking the instance before anything else happens to it.
    expect(changesOf(isolated)[0]).toEqual({ action: 'EnterStandby', autoScalingGroupName: server.group, shouldDecrementDesiredCapacity: false });
    expect(isolateCalls.indexOf('EnterStandby')).toBeGreaterThanOrEqual(0);
    expect(isolateCalls.indexOf('EnterStandby')).toBeLessThan(isolateCalls.indexOf('ModifyInstanceAttribute'));
    expect(isolateCalls.indexOf('EnterStandby')).toBeLessThan(isolateCalls.indexOf('ModifyNetworkInterfaceAttribute'));
    expect(lifecycleWhileIsolated).toEqual({ group: server.group, state: 'Standby' });
    expect(Object.values(interfacesWhileIsolated)).toHaveLength(1);
    expect(interfacesWhileIsolated[server.eni]).not.toEqual(server.groups);
    // The desired capacity was not decremented: the group launched a replacement to keep serving.
    expect(groupWhileIsolated.desiredCapacity).toBe(1);
    expect(Object.entries(groupWhileIsolated.instances).filter(([id, state]) => id !== server.instanceId && state === 'InService')).toHaveLength(1);
    expect(isolated.result).toMatchObject({
      autoScaling: { autoScalingGroupName: server.group, lifecycleStateBefore: 'InService', standby: { entered: true, shouldDecrementDesiredCapacity: false } },
      verified: true,
    });

    expect(released.status, JSON.stringify(released.error)).toBe('Completed');
    expect(standbyChanges(released)).toEqual([{ action: 'ExitStandby', autoScalingGroupName: server.group }]);
    // Back in service only after its interfaces are back on their own groups (else its health checks fail).
    expect(undoCalls.indexOf('ExitStandby')).toBeGreaterThan(undoCalls.lastIndexOf('ModifyNetworkInterfaceAttribute'));
    expect(released.result).toMatchObject({
      drift: { standbyChangedSince: null },
      autoScaling: { autoScalingGroupName: server.group, exitedStandby: true },
      verified: true,
    });
    expect(await lifecycleOf(autoScaling, server.instanceId)).toEqual({ group: server.group, state: 'InService' });
    expect(await interfaceGroups(harness.ec2, server.instanceId)).toEqual({ [server.eni]: server.groups });
  });

  it('changes nothing in Auto Scaling for an instance in no group', async () => {
    // Prepare
    const network = await createNetwork(harness.ec2);
    const own = await createSecurityGroup(harness.ec2, network.vpcId, 'own');
    const instanceId = await launchInstance(harness.ec2, { network, securityGroupIds: [own] });
    const [eni = ''] = Object.keys(await interfaceGroups(harness.ec2, instanceId));
    const callsBefore = harness.front.requests.length;

    // Act
    const isolated = await isolate(instanceArn(instanceId));
    const released = await unisolate(isolated);

    // Assess
    expect(isolated.status, JSON.stringify(isolated.error)).toBe('Completed');
    expect(released.status, JSON.stringify(released.error)).toBe('Completed');
    expect(isolated.prior).not.toHaveProperty('autoScaling');
    expect(isolated.result).not.toHaveProperty('autoScaling');
    expect(released.result).not.toHaveProperty('autoScaling');
    expect((released.result as { drift?: object }).drift).not.toHaveProperty('standbyChangedSince');
    expect([...standbyChanges(isolated), ...standbyChanges(released)]).toEqual([]);
    expect(callsSince(callsBefore).filter((action) => action === 'EnterStandby' || action === 'ExitStandby')).toEqual([]);
    expect(await interfaceGroups(harness.ec2, instanceId)).toEqual({ [eni]: [own] });
  });

  it('reports an instance put back in service by hand since isolation as drift, and does not touch its group', async () => {
    // Prepare
    const server = await serverInGroup();
    const isolated = await isolate(server.arn);
    await autoScaling.send(new ExitStandbyCommand({ AutoScalingGroupName: server.group, InstanceIds: [server.instanceId] }));
    const desiredBefore = (await groupOf(autoScaling, server.group)).desiredCapacity;
    const callsBefore = harness.front.requests.length;

    // Act
    const released = await unisolate(isolated);

    // Assess
    expect(isolated.status, JSON.stringify(isolated.error)).toBe('Completed');
    expect(released.status, JSON.stringify(released.error)).toBe('Completed');
    expect(released.result).toMatchObject({
      drift: {
        standbyChangedSince: {
          leftByIsolation: { autoScalingGroupName: server.group, lifecycleState: 'Standby' },
          now: { autoScalingGroupName: server.group, lifecycleState: 'InService' },
        },
      },
      autoScaling: { exitedStandby: false },
    });
    expect(standbyChanges(released)).toEqual([]);
    expect(callsSince(callsBefore)).not.toContain('ExitStandby');
    expect((await groupOf(autoScaling, server.group)).desiredCapacity).toBe(desiredBefore);
    // The rest of the undo still happens.
    expect(await interfaceGroups(harness.ec2, server.instanceId)).toEqual({ [server.eni]: server.groups });
  });

  it('reports an instance detached from its group since isolation as drift, and leaves it out of every group', async () => {
    // Prepare
    const server = await serverInGroup();
    const isolated = await isolate(server.arn);
    await autoScaling.send(new DetachInstancesCommand({ AutoScalingGroupName: server.group, InstanceIds: [server.instanceId], ShouldDecrementDesiredCapacity: true }));
    const callsBefore = harness.front.requests.length;

    // Act
    const released = await unisolate(isolated);

    // Assess
    expect(released.status, JSON.stringify(released.error)).toBe('Completed');
    expect(released.result).toMatchObject({
      drift: { standbyChangedSince: { leftByIsolation: { autoScalingGroupName: server.group, lifecycleState: 'Standby' }, now: null } },
      autoScaling: { exitedStandby: false },
    });
    expect(callsSince(callsBefore)).not.toContain('ExitStandby');
    expect(await lifecycleOf(autoScaling, server.instanceId)).toBeNull();
    expect(await interfaceGroups(harness.ec2, server.instanceId)).toEqual({ [server.eni]: server.groups });
  });

  it('records Standby when the security-group change then fails, and undo puts the instance back in service', async () => {
    // Prepare
    const server = await serverInGroup();
    const family = ec2FamilyRefusingSwitch(2);

    // Act
    const failed = await isolate(server.arn, harness.runtimeWith(family));
    const lifecycleAfterFailure = await lifecycleOf(autoScaling, server.instanceId);
    const released = await unisolate(failed);

    // Assess
    expect(failed.status).toBe('Error');
    expect(failed.error?.code).toBe('AccessDenied');
    expect(standbyChanges(failed)).toEqual([{ action: 'EnterStandby', autoScalingGroupName: server.group, shouldDecrementDesiredCapacity: false }]);
    expect(lifecycleAfterFailure).toEqual({ group: server.group, state: 'Standby' });
    expect(failed.undo.available).toBe(true);
    expect(released.status, JSON.stringify(released.error)).toBe('Completed');
    expect(standbyChanges(released)).toEqual([{ action: 'ExitStandby', autoScalingGroupName: server.group }]);
    expect(await lifecycleOf(autoScaling, server.instanceId)).toEqual({ group: server.group, state: 'InService' });
    expect(await interfaceGroups(harness.ec2, server.instanceId)).toEqual({ [server.eni]: server.groups });
    expect(await instanceSettings(harness.ec2, server.instanceId)).toEqual({ disableApiTermination: false, shutdownBehavior: 'stop' });
  });

  it('waits while the group is still moving the instance to Standby, and moves its interfaces only once it is there', async () => {
    // Prepare
    const server = await serverInGroup();
    // The first look after EnterStandby finds it still draining from its load balancer.
    const { family, fakedAt } = familyAnswering('EnteringStandby', (entered, faked) => entered && faked === 0);
    const callsBefore = harness.front.requests.length;

    // Act
    const isolated = await isolate(server.arn, harness.runtimeWith(family));

    // Assess
    expect(isolated.status, JSON.stringify(isolated.error)).toBe('Completed');
    const [answeredEnteringAt = -1] = fakedAt;
    expect(answeredEnteringAt).toBeGreaterThan(callsBefore);
    const afterWait = callsSince(answeredEnteringAt);
    // Evidence settings went ahead while waiting; the interfaces moved only after a look that found it on standby.
    expect(callsSince(callsBefore).slice(0, answeredEnteringAt - callsBefore)).not.toContain('ModifyNetworkInterfaceAttribute');
    expect(afterWait.indexOf('DescribeAutoScalingInstances')).toBeGreaterThanOrEqual(0);
    expect(afterWait.indexOf('DescribeAutoScalingInstances')).toBeLessThan(afterWait.indexOf('ModifyNetworkInterfaceAttribute'));
    expect(await lifecycleOf(autoScaling, server.instanceId)).toEqual({ group: server.group, state: 'Standby' });
    expect(Object.values(await interfaceGroups(harness.ec2, server.instanceId))[0]).not.toEqual(server.groups);
  });

  it('isolates anyway after two minutes of EnteringStandby: containment does not wait on a long load balancer drain', async () => {
    // Prepare
    const server = await serverInGroup();
    const { family } = familyAnswering('EnteringStandby', (entered) => entered);

    // Act
    const isolated = await isolate(server.arn, harness.runtimeWith(family));

    // Assess
    expect(isolated.status, JSON.stringify(isolated.error)).toBe('Completed');
    expect(isolated.result).toMatchObject({ standbyWaits: 8, isolatedWhileEnteringStandby: expect.stringContaining('after 120 s') as string, verified: true });
    expect(Object.values(await interfaceGroups(harness.ec2, server.instanceId))[0]).not.toEqual(server.groups);
  });

  it('undo waits while isolation\'s Standby is still being entered, then puts the instance back in service', async () => {
    // Prepare
    const server = await serverInGroup();
    const isolated = await isolate(server.arn);
    // Undo's capture and apply find it still EnteringStandby; its check finds it on standby.
    const { family, fakedAt } = familyAnswering('EnteringStandby', (_entered, faked) => faked < 2);

    // Act
    const released = await harness.undo(isolated, 'unisolate-ec2-instance', undefined, harness.runtimeWith(family));

    // Assess
    expect(isolated.status, JSON.stringify(isolated.error)).toBe('Completed');
    expect(fakedAt).toHaveLength(2);
    expect(released.status, JSON.stringify(released.error)).toBe('Completed');
    expect(standbyChanges(released)).toEqual([{ action: 'ExitStandby', autoScalingGroupName: server.group }]);
    expect(released.result).toMatchObject({ drift: { standbyChangedSince: null }, autoScaling: { exitedStandby: true }, verified: true });
    expect(await lifecycleOf(autoScaling, server.instanceId)).toEqual({ group: server.group, state: 'InService' });
  });

  it('refuses an instance the group is still launching, changing nothing', async () => {
    // Prepare
    const server = await serverInGroup();
    const { family } = familyAnswering('Pending:Wait', () => true);
    const callsBefore = harness.front.requests.length;

    // Act
    const refused = await isolate(server.arn, harness.runtimeWith(family));

    // Assess
    expect(refused.status).toBe('Error');
    expect(refused.error?.code).toBe('AutoScalingLifecycle');
    expect(refused.error?.message).toContain(`is Pending:Wait in Auto Scaling group ${server.group}, so it is not isolated`);
    expect(refused.applied).toBeNull();
    expect(refused.undo.available).toBe(false);
    expect(callsSince(callsBefore).filter((action) => /^(Modify|Create|Authorize|Revoke|Delete|EnterStandby)/.test(action))).toEqual([]);
    expect(await interfaceGroups(harness.ec2, server.instanceId)).toEqual({ [server.eni]: server.groups });
    expect(await lifecycleOf(autoScaling, server.instanceId)).toEqual({ group: server.group, state: 'InService' });
  });
});
