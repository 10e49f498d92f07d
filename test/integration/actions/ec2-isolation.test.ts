import {
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  ModifyInstanceAttributeCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isolationTagKeys } from '#shared/actions/ec2/index.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import {
  attachedVolumes,
  createNetwork,
  createSecurityGroup,
  ec2FamilyRefusingSwitch,
  instanceArn,
  instanceSettings,
  interfaceGroups,
  launchInstance,
  securityGroup,
  startEc2Harness,
  type Ec2Harness,
  type Network,
} from '#test/support/moto-ec2.ts';
import { motoAccountId } from '#test/support/moto-iam.ts';

let harness: Ec2Harness;

beforeAll(async () => {
  harness = await startEc2Harness(inject('motoEndpoint'));
});

afterAll(async () => {
  await harness.close();
});

async function isolate(arn: string, on = harness.runtime): Promise<ActionRecord> {
  return harness.run(harness.newRecord('isolate-ec2-instance', { 'aws.resource.arn': arn }), on);
}

async function unisolate(original: ActionRecord): Promise<ActionRecord> {
  return harness.undo(original, 'unisolate-ec2-instance');
}

type Change = { action: string; groupId?: string; purpose?: string; networkInterfaceId?: string; before?: unknown; after?: unknown };

function changesOf(record: ActionRecord): Change[] {
  return (record.applied as { changes?: Change[] } | null)?.changes ?? [];
}

function createdGroup(record: ActionRecord, purpose: 'isolation' | 'allow-all'): string {
  return changesOf(record).find((change) => change.action === 'CreateSecurityGroup' && change.purpose === purpose)?.groupId ?? '';
}

/** A web server: two groups of its own, a volume deleted on termination and one kept, shutting down means terminate. */
async function webServer(network: Network): Promise<{ instanceId: string; arn: string; eni: string; groups: string[]; sdf: string; sdg: string }> {
  const web = await createSecurityGroup(harness.ec2, network.vpcId, 'web');
  const ssh = await createSecurityGroup(harness.ec2, network.vpcId, 'ssh');
  const instanceId = await launchInstance(harness.ec2, {
    network,
    securityGroupIds: [web, ssh],
    volumes: [
      { deviceName: '/dev/sdf', sizeGiB: 8, deleteOnTermination: true },
      { deviceName: '/dev/sdg', sizeGiB: 4, deleteOnTermination: false },
    ],
  });
  await harness.ec2.send(
    new ModifyInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'instanceInitiatedShutdownBehavior', Value: 'terminate' }),
  );
  const [eni = ''] = Object.keys(await interfaceGroups(harness.ec2, instanceId));
  const volumes = await attachedVolumes(harness.ec2, instanceId);
  return {
    instanceId,
    arn: instanceArn(instanceId),
    eni,
    groups: [web, ssh].sort(),
    sdf: volumes['/dev/sdf']?.volumeId ?? '',
    sdg: volumes['/dev/sdg']?.volumeId ?? '',
  };
}

async function attachInterface(network: Network, instanceId: string, deviceIndex: number, groups: string[]): Promise<string> {
  const { NetworkInterface } = await harness.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: network.subnetId, Groups: groups }));
  const eni = NetworkInterface?.NetworkInterfaceId ?? '';
  await harness.ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: eni, InstanceId: instanceId, DeviceIndex: deviceIndex }));
  return eni;
}

describe('isolate-ec2-instance and unisolate-ec2-instance on moto (EC2 + STS over HTTP)', () => {
  it('preserves evidence, isolates through an allow-all group, and undo restores groups and settings exactly', async () => {
    // Prepare
    const network = await createNetwork(harness.ec2);
    const server = await webServer(network);
    const callsBefore = harness.front.requests.length;

    // Act
    const isolated = await isolate(server.arn);
    const calls = harness.front.requests.slice(callsBefore);
    const isolation = createdGroup(isolated, 'isolation');
    const allowAll = createdGroup(isolated, 'allow-all');
    const groupsWhileIsolated = await interfaceGroups(harness.ec2, server.instanceId);
    const settingsWhileIsolated = await instanceSettings(harness.ec2, server.instanceId);
    const volumesWhileIsolated = await attachedVolumes(harness.ec2, server.instanceId);
    const isolationGroup = await securityGroup(harness.ec2, isolation);
    const allowAllGroup = await securityGroup(harness.ec2, allowAll);
    const released = await unisolate(isolated);

    // Assess
    expect(isolated.status, JSON.stringify(isolated.error)).toBe('Completed');
    expect(isolated.prior).toEqual({
      instance: { id: server.instanceId, state: 'running' },
      disableApiTermination: false,
      shutdownBehavior: 'terminate',
      volumes: [
        { deviceName: '/dev/sdf', volumeId: server.sdf, deleteOnTermination: true },
        { deviceName: '/dev/sdg', volumeId: server.sdg, deleteOnTermination: false },
      ],
      networkInterfaces: [{ networkInterfaceId: server.eni, deviceIndex: 0, vpcId: network.vpcId, groupIds: expect.arrayContaining(server.groups) as string[] }],
      isolationGroups: [],
    });
    const [originalGroups] = (isolated.prior as { networkInterfaces: { groupIds: string[] }[] }).networkInterfaces.map((nic) => nic.groupIds);
    expect(isolated.applied).toEqual({
      changes: [
        { action: 'SetDisableApiTermination', before: false, after: true },
        { action: 'SetShutdownBehavior', before: 'terminate', after: 'stop' },
        { action: 'SetDeleteOnTermination', deviceName: '/dev/sdf', volumeId: server.sdf, before: true, after: false },
        { action: 'CreateSecurityGroup', groupId: isolation, vpcId: network.vpcId, purpose: 'isolation' },
        { action: 'CreateSecurityGroup', groupId: allowAll, vpcId: network.vpcId, purpose: 'allow-all' },
        { action: 'SetInterfaceGroups', networkInterfaceId: server.eni, before: originalGroups, after: [allowAll] },
        { action: 'SetInterfaceGroups', networkInterfaceId: server.eni, before: [allowAll], after: [isolation] },
        { action: 'DeleteSecurityGroup', groupId: allowAll, vpcId: network.vpcId, purpose: 'allow-all' },
      ],
    });
    // The interface went through the allow-all group (untracking its connections) before the isolation group.
    expect(
      calls.filter((call) => call.action === 'ModifyNetworkInterfaceAttribute').map((call) => [call.parameters['NetworkInterfaceId'], call.parameters['SecurityGroupId.1']]),
    ).toEqual([
      [server.eni, allowAll],
      [server.eni, isolation],
    ]);
    const evidenceCall = calls.findIndex((call) => call.action === 'ModifyInstanceAttribute');
    const firstSwitch = calls.findIndex((call) => call.action === 'ModifyNetworkInterfaceAttribute');
    expect(evidenceCall).toBeLessThan(firstSwitch);
    expect(groupsWhileIsolated).toEqual({ [server.eni]: [isolation] });
    expect(settingsWhileIsolated).toEqual({ disableApiTermination: true, shutdownBehavior: 'stop' });
    expect(volumesWhileIsolated).toEqual({
      '/dev/sdf': { volumeId: server.sdf, deleteOnTermination: false },
      '/dev/sdg': { volumeId: server.sdg, deleteOnTermination: false },
    });
    expect(isolationGroup).toEqual({ exists: true, tags: { [isolationTagKeys.purpose]: 'isolation', Name: 'response-actions-isolation' }, rules: 0 });
    expect(allowAllGroup.exists).toBe(false);
    expect(isolated.result).toMatchObject({
      instanceId: server.instanceId,
      alreadyIsolated: false,
      evidence: { terminationProtection: 'turned on', shutdownBehavior: 'changed from terminate to stop', deleteOnTerminationTurnedOff: [server.sdf] },
      networkInterfaces: [{ networkInterfaceId: server.eni, groupsBefore: originalGroups, groupsAfter: [isolation] }],
      verified: true,
    });

    expect(released.status, JSON.stringify(released.error)).toBe('Completed');
    expect(released.applied).toEqual({
      changes: [
        { action: 'SetInterfaceGroups', networkInterfaceId: server.eni, before: [isolation], after: originalGroups },
        { action: 'SetDeleteOnTermination', deviceName: '/dev/sdf', volumeId: server.sdf, before: false, after: true },
        { action: 'SetShutdownBehavior', before: 'stop', after: 'terminate' },
        { action: 'SetDisableApiTermination', before: true, after: false },
      ],
    });
    expect(released.result).toMatchObject({
      drift: { interfacesAddedSince: [], interfacesRemovedSince: [], groupsChangedSince: [], settingsChangedSince: [] },
      alreadyRestored: [],
      interfacesGone: [],
      notRestored: [],
      isolationGroupsLeft: { groupIds: [isolation] },
      verified: true,
    });
    expect(await interfaceGroups(harness.ec2, server.instanceId)).toEqual({ [server.eni]: server.groups });
    expect(await instanceSettings(harness.ec2, server.instanceId)).toEqual({ disableApiTermination: false, shutdownBehavior: 'terminate' });
    expect(await attachedVolumes(harness.ec2, server.instanceId)).toEqual({
      '/dev/sdf': { volumeId: server.sdf, deleteOnTermination: true },
      '/dev/sdg': { volumeId: server.sdg, deleteOnTermination: false },
    });
    expect((await securityGroup(harness.ec2, isolation)).exists).toBe(true);
    expect((await harness.repository.get(isolated.id))?.undo).toEqual({ available: false, type: 'unisolate-ec2-instance', actionId: released.id });
  });

  it('isolates every interface, and undo restores each, reports one attached in between as drift and leaves it alone', async () => {
    // Prepare
    const network = await createNetwork(harness.ec2);
    const server = await webServer(network);
    const backend = await createSecurityGroup(harness.ec2, network.vpcId, 'backend');
    const second = await attachInterface(network, server.instanceId, 1, [backend]);
    const isolated = await isolate(server.arn);
    const isolation = createdGroup(isolated, 'isolation');
    const whileIsolated = await interfaceGroups(harness.ec2, server.instanceId);
    // Between isolation and undo: another interface is attached and termination protection is turned off by hand.
    const third = await attachInterface(network, server.instanceId, 2, [backend]);
    await harness.ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: server.instanceId, Attribute: 'disableApiTermination', Value: 'false' }));

    // Act
    const released = await unisolate(isolated);

    // Assess
    expect(isolated.status, JSON.stringify(isolated.error)).toBe('Completed');
    expect(whileIsolated).toEqual({ [server.eni]: [isolation], [second]: [isolation] });
    // One allow-all group for the VPC, used by both interfaces, then deleted.
    expect(changesOf(isolated).filter((change) => change.action === 'CreateSecurityGroup' && change.purpose === 'allow-all')).toHaveLength(1);
    expect(released.status, JSON.stringify(released.error)).toBe('Completed');
    expect(released.result).toMatchObject({
      drift: {
        interfacesAddedSince: [{ networkInterfaceId: third, groupIds: [backend] }],
        interfacesRemovedSince: [],
        groupsChangedSince: [],
        settingsChangedSince: [{ setting: 'disableApiTermination', leftByIsolation: true, now: false }],
      },
      restored: [
        { networkInterfaceId: server.eni, groupIds: expect.arrayContaining(server.groups) as string[] },
        { networkInterfaceId: second, groupIds: [backend] },
      ],
      verified: true,
    });
    // Termination protection was already off again: nothing to restore there.
    expect(changesOf(released).some((change) => change.action === 'SetDisableApiTermination')).toBe(false);
    expect(await interfaceGroups(harness.ec2, server.instanceId)).toEqual({ [server.eni]: server.groups, [second]: [backend], [third]: [backend] });
  });

  it('reuses the isolation group of the VPC, and changes nothing on an instance already isolated (no undo offered)', async () => {
    // Prepare
    const network = await createNetwork(harness.ec2);
    const first = await webServer(network);
    const other = await webServer(network);
    const firstIsolation = await isolate(first.arn);
    const isolation = createdGroup(firstIsolation, 'isolation');

    // Act
    const otherIsolation = await isolate(other.arn);
    const again = await isolate(first.arn);
    const undoAgain = await unisolate(again).then(
      () => null,
      (error: unknown) => error,
    );

    // Assess
    expect(otherIsolation.status, JSON.stringify(otherIsolation.error)).toBe('Completed');
    expect(createdGroup(otherIsolation, 'isolation')).toBe('');
    expect(await interfaceGroups(harness.ec2, other.instanceId)).toEqual({ [other.eni]: [isolation] });
    expect(again.status, JSON.stringify(again.error)).toBe('Completed');
    expect(again.applied).toEqual({ changes: [] });
    expect(again.result).toMatchObject({ alreadyIsolated: true });
    expect(again.undo.available).toBe(false);
    expect(undoAgain).toBeInstanceOf(Error);
    expect((undoAgain as Error).message).toMatch(/changed nothing/);
    expect(await interfaceGroups(harness.ec2, first.instanceId)).toEqual({ [first.eni]: [isolation] });
  });

  it('puts an interface back on its own groups when the switch to isolation fails, and undo cleans up the rest', async () => {
    // Prepare
    const network = await createNetwork(harness.ec2);
    const server = await webServer(network);
    const family = ec2FamilyRefusingSwitch(2);
    const runtime = harness.runtimeWith(family);

    // Act
    const failed = await isolate(server.arn, runtime);
    const allowAll = createdGroup(failed, 'allow-all');
    const groupsAfterFailure = await interfaceGroups(harness.ec2, server.instanceId);
    const released = await unisolate(failed);

    // Assess
    expect(failed.status).toBe('Error');
    expect(failed.error?.code).toBe('AccessDenied');
    expect(failed.error?.message).toContain('the member role needs ec2:ModifyNetworkInterfaceAttribute');
    expect(groupsAfterFailure).toEqual({ [server.eni]: server.groups });
    expect(changesOf(failed).filter((change) => change.action === 'SetInterfaceGroups').map((change) => change.after)).toEqual([
      [allowAll],
      expect.arrayContaining(server.groups),
    ]);
    expect(failed.undo.available).toBe(true);
    expect(released.status, JSON.stringify(released.error)).toBe('Completed');
    expect(released.result).toMatchObject({ alreadyRestored: [server.eni], restored: [] });
    expect(changesOf(released)).toContainEqual({ action: 'DeleteSecurityGroup', groupId: allowAll, vpcId: network.vpcId, purpose: 'allow-all' });
    expect((await securityGroup(harness.ec2, allowAll)).exists).toBe(false);
    expect(await instanceSettings(harness.ec2, server.instanceId)).toEqual({ disableApiTermination: false, shutdownBehavior: 'terminate' });
    expect(await attachedVolumes(harness.ec2, server.instanceId)).toMatchObject({ '/dev/sdf': { deleteOnTermination: true } });
  });

  it('ends in Error TargetNotFound for an instance that does not exist', async () => {
    // Act
    const record = await isolate(instanceArn('i-0fedcba9876543210'));

    // Assess
    expect(record.status).toBe('Error');
    expect(record.error).toEqual({
      code: 'TargetNotFound',
      message: `EC2 instance i-0fedcba9876543210 in us-east-1 does not exist in account ${motoAccountId} (InvalidInstanceID.NotFound)`,
    });
  });
});
