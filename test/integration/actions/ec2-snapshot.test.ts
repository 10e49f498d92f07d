import { CreateSnapshotCommand, DeleteSnapshotCommand, DetachVolumeCommand, DescribeSnapshotsCommand, EC2ServiceException, CreateSnapshotsCommand, type DescribeSnapshotsCommandInput } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { snapshotTagKeys, undoCloudVolumeSnapshotInputs } from '#shared/actions/ec2/index.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import {
  attachedVolumes,
  createNetwork,
  existingSnapshots,
  instanceArn,
  launchInstance,
  mockedEc2Family,
  startEc2Harness,
  tagsOf,
  type Ec2Harness,
} from '#test/support/moto-ec2.ts';
import { motoAccountId } from '#test/support/moto-iam.ts';

let harness: Ec2Harness;

beforeAll(async () => {
  harness = await startEc2Harness(inject('motoEndpoint'));
});

afterAll(async () => {
  await harness.close();
});

/** An instance with two EBS volumes: /dev/sdf (8 GiB) and /dev/sdg (4 GiB). */
async function instanceWithTwoVolumes(): Promise<{ instanceId: string; arn: string; sdf: string; sdg: string }> {
  const network = await createNetwork(harness.ec2);
  const instanceId = await launchInstance(harness.ec2, {
    network,
    volumes: [
      { deviceName: '/dev/sdf', sizeGiB: 8, deleteOnTermination: true },
      { deviceName: '/dev/sdg', sizeGiB: 4, deleteOnTermination: false },
    ],
  });
  const volumes = await attachedVolumes(harness.ec2, instanceId);
  return { instanceId, arn: instanceArn(instanceId), sdf: volumes['/dev/sdf']?.volumeId ?? '', sdg: volumes['/dev/sdg']?.volumeId ?? '' };
}

async function snapshot(arn: string, on = harness.runtime): Promise<ActionRecord> {
  return harness.run(harness.newRecord('cloud-volume-snapshot', { 'aws.resource.arn': arn }), on);
}

/** The undo as POST /v1/actions/{id}/undo creates it, with the inputs derived from the original. */
async function undo(original: ActionRecord): Promise<ActionRecord> {
  return harness.undo(original, 'undo-cloud-volume-snapshot', undoCloudVolumeSnapshotInputs(original));
}

function snapshotIdsOf(record: ActionRecord): string[] {
  const changes = (record.applied as { changes?: { snapshotId: string }[] } | null)?.changes ?? [];
  return changes.map((change) => change.snapshotId);
}

const throttled = (): EC2ServiceException =>
  new EC2ServiceException({ name: 'RequestLimitExceeded', $fault: 'client', $metadata: { httpStatusCode: 503 }, message: 'Request limit exceeded.' });

/** The check's lookup of the action's snapshots by id (not apply's lookup of earlier attempts by tag). */
const isIdLookup = (input: DescribeSnapshotsCommandInput): boolean => input.Filters?.some((filter) => filter.Name === 'snapshot-id') ?? false;

describe('cloud-volume-snapshot and its undo on moto (EC2 + STS over HTTP)', () => {
  it('snapshots every attached volume in one call, tagged, and undo deletes exactly those while an unrelated snapshot survives', async () => {
    // Prepare
    const { instanceId, arn, sdf, sdg } = await instanceWithTwoVolumes();
    const { SnapshotId: unrelated = '' } = await harness.ec2.send(new CreateSnapshotCommand({ VolumeId: sdf, Description: 'taken by an analyst' }));
    const callsBefore = harness.front.requests.length;

    // Act
    const taken = await snapshot(arn);
    const calls = harness.front.requests.slice(callsBefore);
    const ids = snapshotIdsOf(taken);
    const whileKept = await existingSnapshots(harness.ec2, ids);
    const undoCallsBefore = harness.front.requests.length;
    const undone = await undo(taken);
    const undoCalls = harness.front.requests.slice(undoCallsBefore);

    // Assess
    expect(taken.status, JSON.stringify(taken.error)).toBe('Completed');
    expect(taken.prior).toEqual({
      instance: { id: instanceId, state: 'running', availabilityZone: 'us-east-1a' },
      volumes: [
        { deviceName: '/dev/sdf', volumeId: sdf },
        { deviceName: '/dev/sdg', volumeId: sdg },
      ],
    });
    expect(taken.applied).toEqual({
      changes: [
        { action: 'CreateSnapshot', snapshotId: expect.stringMatching(/^snap-/) as string, volumeId: sdf, deviceName: '/dev/sdf' },
        { action: 'CreateSnapshot', snapshotId: expect.stringMatching(/^snap-/) as string, volumeId: sdg, deviceName: '/dev/sdg' },
      ],
    });
    expect(taken.result).toMatchObject({
      instanceId,
      snapshots: [
        { snapshotId: ids[0], volumeId: sdf, deviceName: '/dev/sdf', volumeSizeGiB: 8, state: 'completed' },
        { snapshotId: ids[1], volumeId: sdg, deviceName: '/dev/sdg', volumeSizeGiB: 4, state: 'completed' },
      ],
      verified: true,
    });
    expect(calls.filter((call) => call.action === 'CreateSnapshots')).toEqual([
      {
        action: 'CreateSnapshots',
        parameters: expect.objectContaining({
          'InstanceSpecification.InstanceId': instanceId,
          CopyTagsFromSource: 'volume',
          'TagSpecification.1.ResourceType': 'snapshot',
        }) as unknown,
      },
    ]);
    expect([...whileKept.keys()].sort()).toEqual([...ids].sort());
    for (const [id, volumeId] of [
      [ids[0], sdf],
      [ids[1], sdg],
    ] as const) {
      expect(tagsOf(whileKept.get(id ?? ''))).toEqual({
        [snapshotTagKeys.actionId]: taken.id,
        [snapshotTagKeys.sourceInstance]: instanceId,
        [snapshotTagKeys.sourceVolume]: volumeId,
      });
    }

    expect(undone.inputs).toEqual({ 'aws.resource.arn': arn, 'aws.ebs.snapshot.ids': ids });
    expect(undone.status, JSON.stringify(undone.error)).toBe('Completed');
    expect(undone.applied).toEqual({
      changes: [
        { action: 'DeleteSnapshot', snapshotId: ids[0], volumeId: sdf },
        { action: 'DeleteSnapshot', snapshotId: ids[1], volumeId: sdg },
      ],
    });
    expect(undone.result).toEqual({ instanceId, toDelete: ids, deleted: ids, alreadyGone: [], verified: true });
    expect(undoCalls.filter((call) => call.action === 'DeleteSnapshot').map((call) => call.parameters['SnapshotId'])).toEqual(ids);
    expect([...(await existingSnapshots(harness.ec2, [...ids, unrelated])).keys()]).toEqual([unrelated]);
  });

  it('reports a snapshot already deleted by hand instead of failing', async () => {
    // Prepare
    const { arn } = await instanceWithTwoVolumes();
    const taken = await snapshot(arn);
    const [first = '', second = ''] = snapshotIdsOf(taken);
    await harness.ec2.send(new DeleteSnapshotCommand({ SnapshotId: first }));

    // Act
    const undone = await undo(taken);

    // Assess
    expect(undone.status, JSON.stringify(undone.error)).toBe('Completed');
    expect(undone.prior).toMatchObject({ snapshots: [{ snapshotId: first, exists: false }, { snapshotId: second, exists: true }] });
    expect(undone.applied).toMatchObject({ changes: [{ action: 'DeleteSnapshot', snapshotId: second }] });
    expect(undone.result).toMatchObject({ deleted: [second], alreadyGone: [first], verified: true });
    expect((await existingSnapshots(harness.ec2, [first, second])).size).toBe(0);
  });

  it('refuses snapshot ids the original did not take, deleting nothing, and deletes only a listed subset', async () => {
    // Prepare
    const { arn, sdf } = await instanceWithTwoVolumes();
    const taken = await snapshot(arn);
    const [first = '', second = ''] = snapshotIdsOf(taken);
    const { SnapshotId: foreign = '' } = await harness.ec2.send(new CreateSnapshotCommand({ VolumeId: sdf }));

    // Act
    const refused = await harness.undo(taken, 'undo-cloud-volume-snapshot', { 'aws.resource.arn': arn, 'aws.ebs.snapshot.ids': [first, foreign] });
    const subset = await harness.undo(taken, 'undo-cloud-volume-snapshot', { 'aws.resource.arn': arn, 'aws.ebs.snapshot.ids': [second] });

    // Assess
    expect(refused.status).toBe('Error');
    expect(refused.error).toEqual({
      code: 'InvalidTarget',
      message: `${foreign} was not taken by action ${taken.id}; undo deletes only snapshots its original took, so nothing was deleted`,
    });
    expect(subset.status, JSON.stringify(subset.error)).toBe('Completed');
    expect(subset.result).toMatchObject({ deleted: [second], alreadyGone: [] });
    expect([...(await existingSnapshots(harness.ec2, [first, second, foreign])).keys()].sort()).toEqual([first, foreign].sort());
  });

  it('ends in Error TargetNotFound for an instance that does not exist', async () => {
    // Act
    const record = await snapshot(instanceArn('i-0123456789abcdef0'));

    // Assess
    expect(record.status).toBe('Error');
    expect(record.error).toEqual({
      code: 'TargetNotFound',
      message: `EC2 instance i-0123456789abcdef0 in us-east-1 does not exist in account ${motoAccountId} (InvalidInstanceID.NotFound)`,
    });
    expect(record.applied).toBeNull();
  });

  it('ends in Error saying so for an instance without EBS volumes, having taken nothing', async () => {
    // Prepare
    const { instanceId, arn, sdf, sdg } = await instanceWithTwoVolumes();
    await harness.ec2.send(new DetachVolumeCommand({ VolumeId: sdf, InstanceId: instanceId }));
    await harness.ec2.send(new DetachVolumeCommand({ VolumeId: sdg, InstanceId: instanceId }));
    const callsBefore = harness.front.requests.length;

    // Act
    const record = await snapshot(arn);

    // Assess
    expect(record.status).toBe('Error');
    expect(record.error?.code).toBe('InvalidTarget');
    expect(record.error?.message).toBe(
      `EC2 instance ${instanceId} in us-east-1 has no EBS volume attached, so there is nothing to snapshot (instance store volumes cannot be snapshotted)`,
    );
    expect(record.prior).toMatchObject({ volumes: [] });
    expect(harness.front.requests.slice(callsBefore).some((call) => call.action === 'CreateSnapshots')).toBe(false);
  });
});

describe('cloud-volume-snapshot on the shipped state machine with scripted EC2 answers (aws-sdk-client-mock over moto)', () => {
  it('waits while the snapshots are pending (twice) and completes once they are completed', async () => {
    // Prepare
    const { arn } = await instanceWithTwoVolumes();
    let lookups = 0;
    const { family } = mockedEc2Family(({ mock, real }) => {
      mock.on(DescribeSnapshotsCommand).callsFake(async (input: DescribeSnapshotsCommandInput) => {
        const answer = await real.send(new DescribeSnapshotsCommand(input));
        if (!isIdLookup(input) || ++lookups > 2) return answer;
        return { ...answer, Snapshots: (answer.Snapshots ?? []).map((found) => ({ ...found, State: 'pending' as const, Progress: '40%' })) };
      });
    });
    const runtime = harness.runtimeWith(family);

    // Act
    const taken = await snapshot(arn, runtime);
    const entered = runtime.history(taken.id).flatMap((event) => (event.type === 'StateEntered' ? [event.state.name] : []));

    // Assess
    expect(taken.status, JSON.stringify(taken.error)).toBe('Completed');
    expect(entered).toEqual([
      'MarkRunning',
      'Capture',
      'Apply',
      'ApplyPending',
      'StartWaitRounds',
      'WithinWaitBound',
      'WaitForChange',
      'Check',
      'CheckPending',
      'CountWaitRound',
      'WithinWaitBound',
      'WaitForChange',
      'Check',
      'CheckPending',
      'Verify',
      'MarkCompleted',
    ]);
    expect(taken.result).toMatchObject({ snapshots: [{ state: 'completed' }, { state: 'completed' }], verified: true });
  });

  it('retries a throttled CreateSnapshots through the state machine and takes the snapshots once', async () => {
    // Prepare
    const { arn } = await instanceWithTwoVolumes();
    const { family, clients } = mockedEc2Family(({ mock }) => {
      mock.on(CreateSnapshotsCommand).rejectsOnce(throttled());
    });
    const runtime = harness.runtimeWith(family);
    const callsBefore = harness.front.requests.length;

    // Act
    const taken = await snapshot(arn, runtime);
    const retries = runtime.history(taken.id).filter((event) => event.type === 'StateRetried' && event.state.name === 'Apply');

    // Assess
    expect(taken.status, JSON.stringify(taken.error)).toBe('Completed');
    expect(retries).toHaveLength(1);
    expect(clients.flatMap(({ mock }) => mock.commandCalls(CreateSnapshotsCommand))).toHaveLength(2);
    // The throttled call never reached EC2; the retry did, once.
    expect(harness.front.requests.slice(callsBefore).filter((call) => call.action === 'CreateSnapshots')).toHaveLength(1);
    expect(snapshotIdsOf(taken)).toHaveLength(2);
  });

  it('ends in Error naming a snapshot that failed, keeps every snapshot in applied, and undo deletes them all', async () => {
    // Prepare
    const { arn, sdg } = await instanceWithTwoVolumes();
    let lookups = 0;
    const { family } = mockedEc2Family(({ mock, real }) => {
      mock.on(DescribeSnapshotsCommand).callsFake(async (input: DescribeSnapshotsCommandInput) => {
        const answer = await real.send(new DescribeSnapshotsCommand(input));
        if (!isIdLookup(input)) return answer;
        // Pending when apply looks; at the check, the second volume's snapshot has failed.
        const failing = ++lookups > 1;
        return {
          ...answer,
          Snapshots: (answer.Snapshots ?? []).map((found) =>
            failing && found.VolumeId === sdg
              ? { ...found, State: 'error' as const, StateMessage: 'internal error while copying blocks' }
              : { ...found, State: 'pending' as const },
          ),
        };
      });
    });
    const runtime = harness.runtimeWith(family);

    // Act
    const taken = await snapshot(arn, runtime);
    const ids = snapshotIdsOf(taken);
    const failed = (taken.applied as { changes: { snapshotId: string; volumeId: string }[] }).changes.find((change) => change.volumeId === sdg);
    const failedIn = runtime.history(taken.id).flatMap((event) => (event.type === 'StateFailed' ? [event.state.name] : []));
    const undone = await undo(taken);

    // Assess
    expect(taken.status).toBe('Error');
    expect(taken.error).toEqual({
      code: 'AwsRequestFailed',
      message: `EBS snapshot ${failed?.snapshotId ?? ''} of volume ${sdg} (EC2 instance ${arn.split('/')[1] ?? ''} in us-east-1) failed: internal error while copying blocks; undo deletes the snapshots this action took`,
    });
    expect(failedIn).toEqual(['Check', 'Failed']);
    expect(ids).toHaveLength(2);
    expect(taken.undo.available).toBe(true);
    expect(undone.status, JSON.stringify(undone.error)).toBe('Completed');
    expect(undone.result).toMatchObject({ deleted: ids, alreadyGone: [] });
    expect((await existingSnapshots(harness.ec2, ids)).size).toBe(0);
  });
});
