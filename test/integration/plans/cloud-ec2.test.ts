/**
 * Plans of the EC2 family (cloud-volume-snapshot, isolate-ec2-instance, detach-instance-profile
 * and their undos) against moto_server (EC2, Auto Scaling, IAM and STS over HTTP through the moto
 * front), through the local in-process planner: the exact calls apply would make, none when
 * already done, nothing written to the history, nothing changed in EC2, and the guards refusing
 * before any call.
 */
import { randomUUID } from 'node:crypto';
import { AssociateIamInstanceProfileCommand, DeleteSnapshotCommand, DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { AddRoleToInstanceProfileCommand, CreateInstanceProfileCommand, CreateRoleCommand, type IAMClient } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TargetAccountNotAllowedError } from '#shared/actions/errors.ts';
import { ec2Family, undoCloudVolumeSnapshotInputs } from '#shared/actions/ec2/index.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { CloudPlanRequest } from '#shared/plans/types.ts';
import { plannerFor, watchPlan, writesAmong, type PlannerSetup, type WatchedPlan } from '#test/support/cloud-plans.ts';
import {
  attachedVolumes,
  createNetwork,
  createSecurityGroup,
  instanceArn,
  instanceSettings,
  interfaceGroups,
  launchInstance,
  region,
  startEc2Harness,
  type Ec2Harness,
} from '#test/support/moto-ec2.ts';
import { groupHolding, lifecycleOf, motoAutoScalingClient } from '#test/support/moto-auto-scaling.ts';
import { motoAccountId, motoIamClient, type MotoRequest } from '#test/support/moto-iam.ts';

let harness: Ec2Harness;
let setup: PlannerSetup;
let iam: IAMClient;

beforeAll(async () => {
  harness = await startEc2Harness(inject('motoEndpoint'));
  setup = plannerFor([ec2Family], harness);
  iam = motoIamClient(inject('motoEndpoint'));
});

afterAll(async () => {
  iam.destroy();
  await setup.close();
  await harness.close();
});

const planWatched = (request: CloudPlanRequest): Promise<WatchedPlan<MotoRequest>> =>
  watchPlan(setup.planner, harness.historyTable, harness.front, (call) => call.action, request);
const onInstance = (type: string, instanceId: string, undoOf: ActionRecord | null = null): CloudPlanRequest => ({
  type,
  inputs: { 'aws.resource.arn': instanceArn(instanceId) },
  undoOf: undoOf?.id ?? null,
});
const ec2Arn = (type: string, id: string): string => `arn:aws:ec2:${region}:${motoAccountId}:${type}/${id}`;

/** Everything EC2 says about the instance that the actions change. */
async function instanceState(instanceId: string): Promise<unknown> {
  return { volumes: await attachedVolumes(harness.ec2, instanceId), groups: await interfaceGroups(harness.ec2, instanceId), settings: await instanceSettings(harness.ec2, instanceId) };
}

async function snapshotsOf(instanceId: string): Promise<string[]> {
  const { Snapshots } = await harness.ec2.send(
    new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'tag:response-actions:source-instance', Values: [instanceId] }] }),
  );
  return (Snapshots ?? []).map((snapshot) => snapshot.SnapshotId ?? '').sort();
}

/** An instance with two EBS volumes: /dev/sdf (8 GiB) and /dev/sdg (4 GiB). */
async function instanceWithTwoVolumes(): Promise<string> {
  const network = await createNetwork(harness.ec2);
  return launchInstance(harness.ec2, {
    network,
    volumes: [
      { deviceName: '/dev/sdf', sizeGiB: 8, deleteOnTermination: true },
      { deviceName: '/dev/sdg', sizeGiB: 4, deleteOnTermination: false },
    ],
  });
}

describe('plans of cloud-volume-snapshot and its undo', () => {
  it('lists one CreateSnapshots over every attached volume and the source-volume tag of each, taking none', async () => {
    // Prepare
    const instanceId = await instanceWithTwoVolumes();
    const volumes = await attachedVolumes(harness.ec2, instanceId);
    const sdf = volumes['/dev/sdf']?.volumeId ?? '';
    const sdg = volumes['/dev/sdg']?.volumeId ?? '';

    // Act
    const planned = await planWatched(onInstance('cloud-volume-snapshot', instanceId));

    // Assess
    expect(planned.error).toBeNull();
    expect(planned.result).toEqual({
      prior: {
        instance: { id: instanceId, state: 'running', availabilityZone: `${region}a` },
        volumes: [
          { deviceName: '/dev/sdf', volumeId: sdf },
          { deviceName: '/dev/sdg', volumeId: sdg },
        ],
      },
      changes: [
        {
          call: 'ec2:CreateSnapshots',
          target: instanceArn(instanceId),
          detail: `snapshot every attached EBS volume of EC2 instance ${instanceId} in ${region} at one point in time (${sdf} on /dev/sdf, ${sdg} on /dev/sdg), tagged response-actions:action-id and response-actions:source-instance`,
        },
        { call: 'ec2:CreateTags', target: `snapshot of ${sdf}`, detail: `tag the snapshot of ${sdf} with response-actions:source-volume=${sdf}` },
        { call: 'ec2:CreateTags', target: `snapshot of ${sdg}`, detail: `tag the snapshot of ${sdg} with response-actions:source-volume=${sdg}` },
      ],
    });
    expect(writesAmong(planned.operations)).toEqual([]);
    expect(planned.itemsAfter).toBe(planned.itemsBefore);
    expect(await snapshotsOf(instanceId)).toEqual([]);
  });

  it('lists deleting exactly the snapshots the original took that still exist', async () => {
    // Prepare
    const instanceId = await instanceWithTwoVolumes();
    const original = await harness.run(harness.newRecord('cloud-volume-snapshot', { 'aws.resource.arn': instanceArn(instanceId) }));
    expect(original.status, JSON.stringify(original.error)).toBe('Completed');
    const [first, second] = await snapshotsOf(instanceId);
    const undo: CloudPlanRequest = { type: 'undo-cloud-volume-snapshot', inputs: undoCloudVolumeSnapshotInputs(original), undoOf: original.id };

    // Act
    const planned = await planWatched(undo);
    const afterPlan = await snapshotsOf(instanceId);
    await harness.ec2.send(new DeleteSnapshotCommand({ SnapshotId: first }));
    const afterDrift = await planWatched(undo);

    // Assess
    const deletion = (snapshotId: string | undefined): unknown => ({
      call: 'ec2:DeleteSnapshot',
      target: `arn:aws:ec2:${region}::snapshot/${snapshotId ?? ''}`,
      detail: expect.stringMatching(new RegExp(`^delete EBS snapshot ${snapshotId ?? ''} of volume vol-[0-9a-f]+, taken by action ${original.id}$`)) as string,
    });
    expect(planned.result?.changes).toEqual(expect.arrayContaining([deletion(first), deletion(second)]));
    expect(planned.result?.changes).toHaveLength(2);
    expect(writesAmong(planned.operations)).toEqual([]);
    expect(planned.itemsAfter).toBe(planned.itemsBefore);
    expect(afterPlan).toEqual([first, second].sort());
    expect(afterDrift.result?.changes).toEqual([deletion(second)]);
  });
});

describe('plans of isolate-ec2-instance and unisolate-ec2-instance', () => {
  it('lists the evidence settings, the groups and the two switches per interface, and nothing once isolated; then the undo, and nothing once undone', async () => {
    // Prepare
    const network = await createNetwork(harness.ec2);
    const web = await createSecurityGroup(harness.ec2, network.vpcId, 'web');
    const instanceId = await launchInstance(harness.ec2, { network, securityGroupIds: [web], volumes: [{ deviceName: '/dev/sdf', sizeGiB: 8, deleteOnTermination: true }] });
    const [eni = ''] = Object.keys(await interfaceGroups(harness.ec2, instanceId));
    const volumeId = (await attachedVolumes(harness.ec2, instanceId))['/dev/sdf']?.volumeId ?? '';
    const before = await instanceState(instanceId);
    const label = `EC2 instance ${instanceId} in ${region}`;
    const arn = instanceArn(instanceId);
    const allowAll = expect.stringMatching(/^response-actions-allow-all-plan-[0-9a-f-]{36} \(new\)$/) as string;

    // Act
    const planned = await planWatched(onInstance('isolate-ec2-instance', instanceId));
    const afterPlan = await instanceState(instanceId);
    const isolation = await harness.run(harness.newRecord('isolate-ec2-instance', { 'aws.resource.arn': arn }));
    const again = await planWatched(onInstance('isolate-ec2-instance', instanceId));
    const undo = await planWatched(onInstance('unisolate-ec2-instance', instanceId, isolation));
    const undone = await harness.undo(isolation, 'unisolate-ec2-instance');
    const undoAgain = await planWatched(onInstance('unisolate-ec2-instance', instanceId, isolation));

    // Assess
    expect(planned.error).toBeNull();
    expect(planned.result?.changes).toEqual([
      { call: 'ec2:ModifyInstanceAttribute', target: arn, detail: `turn termination protection (disableApiTermination) of ${label} on` },
      { call: 'ec2:ModifyInstanceAttribute', target: arn, detail: `turn DeleteOnTermination off for ${volumeId} (/dev/sdf)` },
      {
        call: 'ec2:CreateSecurityGroup',
        target: ec2Arn('vpc', network.vpcId),
        detail: `create the isolation group response-actions-isolation of ${network.vpcId}, tagged response-actions:purpose=isolation`,
      },
      { call: 'ec2:RevokeSecurityGroupEgress', target: 'response-actions-isolation (new)', detail: "revoke the new group's default outbound rule to 0.0.0.0/0, leaving it no rules at all" },
      { call: 'ec2:RevokeSecurityGroupEgress', target: 'response-actions-isolation (new)', detail: "revoke the new group's default outbound rule to ::/0, leaving it no rules at all" },
      { call: 'ec2:CreateSecurityGroup', target: ec2Arn('vpc', network.vpcId), detail: `create this action's allow-all group in ${network.vpcId}, tagged response-actions:purpose=allow-all` },
      { call: 'ec2:AuthorizeSecurityGroupIngress', target: allowAll, detail: 'allow all traffic from 0.0.0.0/0' },
      { call: 'ec2:AuthorizeSecurityGroupIngress', target: allowAll, detail: 'allow all traffic from ::/0' },
      { call: 'ec2:AuthorizeSecurityGroupEgress', target: allowAll, detail: 'allow all traffic to 0.0.0.0/0' },
      { call: 'ec2:AuthorizeSecurityGroupEgress', target: allowAll, detail: 'allow all traffic to ::/0' },
      {
        call: 'ec2:ModifyNetworkInterfaceAttribute',
        target: ec2Arn('network-interface', eni),
        detail: expect.stringMatching(new RegExp(`^move ${eni} from ${web} onto response-actions-allow-all-plan-.* \\(new\\), so its tracked connections become untracked$`)) as string,
      },
      {
        call: 'ec2:ModifyNetworkInterfaceAttribute',
        target: ec2Arn('network-interface', eni),
        detail: `move ${eni} onto isolation group response-actions-isolation (new), cutting every connection`,
      },
      { call: 'ec2:DeleteSecurityGroup', target: allowAll, detail: `delete this action's allow-all group in ${network.vpcId} once no interface uses it` },
    ]);
    expect(writesAmong(planned.operations)).toEqual([]);
    expect(planned.itemsAfter).toBe(planned.itemsBefore);
    expect(afterPlan).toEqual(before);

    expect(isolation.status, JSON.stringify(isolation.error)).toBe('Completed');
    expect(again.result?.changes).toEqual([]);
    expect(undo.result?.changes).toEqual([
      { call: 'ec2:ModifyNetworkInterfaceAttribute', target: ec2Arn('network-interface', eni), detail: expect.stringMatching(new RegExp(`^move ${eni} from sg-[0-9a-f]+ back onto ${web}$`)) as string },
      { call: 'ec2:ModifyInstanceAttribute', target: arn, detail: `set DeleteOnTermination back for ${volumeId} (/dev/sdf) to true` },
      { call: 'ec2:ModifyInstanceAttribute', target: arn, detail: `turn termination protection of ${label} off again` },
    ]);
    expect(writesAmong(undo.operations)).toEqual([]);
    expect(undo.itemsAfter).toBe(undo.itemsBefore);
    expect(undone.status, JSON.stringify(undone.error)).toBe('Completed');
    expect(undoAgain.result?.changes).toEqual([]);
  });

  it('lists the EnterStandby of an instance InService in an Auto Scaling group first, and the undo its ExitStandby, moving it in neither plan', async () => {
    // Prepare
    const autoScaling = motoAutoScalingClient(inject('motoEndpoint'));
    const network = await createNetwork(harness.ec2);
    const web = await createSecurityGroup(harness.ec2, network.vpcId, 'web');
    const instanceId = await launchInstance(harness.ec2, { network, securityGroupIds: [web] });
    const group = await groupHolding(harness.ec2, autoScaling, network, instanceId);
    const label = `EC2 instance ${instanceId} in ${region}`;

    // Act
    const planned = await planWatched(onInstance('isolate-ec2-instance', instanceId));
    const afterPlan = await lifecycleOf(autoScaling, instanceId);
    const isolation = await harness.run(harness.newRecord('isolate-ec2-instance', { 'aws.resource.arn': instanceArn(instanceId) }));
    const undo = await planWatched(onInstance('unisolate-ec2-instance', instanceId, isolation));
    const afterUndoPlan = await lifecycleOf(autoScaling, instanceId);
    autoScaling.destroy();

    // Assess
    expect(planned.result?.prior).toMatchObject({ autoScaling: { autoScalingGroupName: group, lifecycleState: 'InService' } });
    expect(planned.result?.changes[0]).toEqual({
      call: 'autoscaling:EnterStandby',
      target: instanceArn(instanceId),
      detail: `put ${label} on standby in Auto Scaling group ${group} (ShouldDecrementDesiredCapacity false), so the group does not terminate it once it fails its health checks`,
    });
    expect(writesAmong(planned.operations)).toEqual([]);
    expect(afterPlan).toEqual({ group, state: 'InService' });
    expect(isolation.status, JSON.stringify(isolation.error)).toBe('Completed');
    expect(undo.result?.changes.at(-1)).toEqual({
      call: 'autoscaling:ExitStandby',
      target: instanceArn(instanceId),
      detail: `put ${label} back in service in Auto Scaling group ${group} (adds one to the group's desired capacity)`,
    });
    expect(writesAmong(undo.operations)).toEqual([]);
    expect(afterUndoPlan).toEqual({ group, state: 'Standby' });
  });

  it('refuses an instance of an account outside TARGET_ACCOUNTS before any call', async () => {
    // Act
    const planned = await planWatched({ type: 'isolate-ec2-instance', inputs: { 'aws.resource.arn': `arn:aws:ec2:${region}:210987654321:instance/i-0123456789abcdef0` }, undoOf: null });

    // Assess
    expect(planned.error).toBeInstanceOf(TargetAccountNotAllowedError);
    expect(planned.operations).toEqual([]);
    expect(planned.itemsAfter).toBe(planned.itemsBefore);
  });
});

describe('plans of detach-instance-profile and restore-instance-profile', () => {
  /** An instance profile with one role of its own. */
  async function instanceProfile(): Promise<string> {
    const name = `app-${randomUUID().slice(0, 8)}`;
    await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[]}' }));
    const { InstanceProfile } = await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name }));
    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: name }));
    return InstanceProfile?.Arn ?? '';
  }

  it('lists the DisassociateIamInstanceProfile of the profile there, nothing for an instance without one, then the undo and nothing once re-associated by hand', async () => {
    // Prepare
    const network = await createNetwork(harness.ec2);
    const instanceId = await launchInstance(harness.ec2, { network });
    const bare = await launchInstance(harness.ec2, { network });
    const profile = await instanceProfile();
    const { IamInstanceProfileAssociation } = await harness.ec2.send(new AssociateIamInstanceProfileCommand({ InstanceId: instanceId, IamInstanceProfile: { Arn: profile } }));
    const associationId = IamInstanceProfileAssociation?.AssociationId ?? '';
    const label = `EC2 instance ${instanceId} in ${region}`;

    // Act
    const planned = await planWatched(onInstance('detach-instance-profile', instanceId));
    const none = await planWatched(onInstance('detach-instance-profile', bare));
    const detach = await harness.run(harness.newRecord('detach-instance-profile', { 'aws.resource.arn': instanceArn(instanceId) }));
    const restore = await planWatched(onInstance('restore-instance-profile', instanceId, detach));
    await harness.ec2.send(new AssociateIamInstanceProfileCommand({ InstanceId: instanceId, IamInstanceProfile: { Arn: profile } }));
    const restoredByHand = await planWatched(onInstance('restore-instance-profile', instanceId, detach));

    // Assess
    expect(planned.result).toEqual({
      prior: { instanceId, association: { associationId, instanceProfileArn: profile, state: 'associated' } },
      changes: [{ call: 'ec2:DisassociateIamInstanceProfile', target: instanceArn(instanceId), detail: `remove instance profile ${profile} (association ${associationId}) from ${label}` }],
    });
    expect(writesAmong(planned.operations)).toEqual([]);
    expect(planned.itemsAfter).toBe(planned.itemsBefore);
    expect(none.result).toEqual({ prior: { instanceId: bare, association: null }, changes: [] });
    expect(detach.status, JSON.stringify(detach.error)).toBe('Completed');
    expect(restore.result?.changes).toEqual([
      { call: 'ec2:AssociateIamInstanceProfile', target: instanceArn(instanceId), detail: `associate instance profile ${profile} with ${label} again` },
    ]);
    expect(writesAmong(restore.operations)).toEqual([]);
    expect(restoredByHand.result?.changes).toEqual([]);
  });
});
