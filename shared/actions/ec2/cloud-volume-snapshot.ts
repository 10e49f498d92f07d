/**
 * cloud-volume-snapshot takes a crash-consistent EBS snapshot of every volume attached to an EC2
 * instance in one CreateSnapshots call, tagged so each snapshot says which action took it of which
 * instance and volume.
 */
import { CreateSnapshotsCommand, CreateTagsCommand, type Instance } from '@aws-sdk/client-ec2';
import type { CloudAction, StepProgress } from '../cloud-action.ts';
import { AwsRequestFailedError, ChangeNotVisibleError, InvalidTargetError } from '../errors.ts';
import { createdSnapshotSchema } from '../snapshot-records.ts';
import type { Ec2Clients, Ec2Context, Ec2InstanceRef } from './ec2-api.ts';
import {
  describeSnapshots,
  snapshotResult,
  snapshotTagKeys,
  snapshotsOfAction,
  type CreatedSnapshot,
  type SnapshotPrior,
  snapshotPriorSchema,
} from './snapshots.ts';

/** The EBS volumes attached to an instance, by device name. */
function attachedVolumes(instance: Instance): SnapshotPrior['volumes'] {
  return (instance.BlockDeviceMappings ?? []).flatMap((mapping) =>
    mapping.Ebs?.VolumeId === undefined ? [] : [{ deviceName: mapping.DeviceName ?? '', volumeId: mapping.Ebs.VolumeId }],
  );
}

/**
 * Looks at the snapshots: an `error` state or a snapshot gone while being taken ends the action
 * (its `applied` already lists every snapshot, so undo can still delete them); pending until all
 * are `completed`, waiting longer the longer they take (a first snapshot of a large volume takes
 * hours; the state machine's wait bound and the completion deadline cap the whole).
 */
async function snapshotProgress(context: Ec2Context, ref: Ec2InstanceRef, created: readonly CreatedSnapshot[]): Promise<StepProgress> {
  const found = await describeSnapshots(context, ref.region, created.map((snapshot) => snapshot.snapshotId));
  for (const snapshot of created) {
    const now = found.get(snapshot.snapshotId);
    const what = `EBS snapshot ${snapshot.snapshotId} of volume ${snapshot.volumeId} (${ref.label})`;
    if (now === undefined) {
      throw new AwsRequestFailedError(`${what} no longer exists: it was deleted while being taken; undo deletes the others`);
    }
    if (now.State === 'error') {
      throw new AwsRequestFailedError(`${what} failed: ${now.StateMessage ?? 'AWS gave no reason'}; undo deletes the snapshots this action took`);
    }
  }
  await context.recordProgress({ result: snapshotResult(ref, created, found) });
  if (created.every((snapshot) => found.get(snapshot.snapshotId)?.State === 'completed')) return { pending: false };
  const started = Math.min(...created.map((snapshot) => found.get(snapshot.snapshotId)?.StartTime?.getTime() ?? context.clock.now().getTime()));
  const elapsedSeconds = (context.clock.now().getTime() - started) / 1000;
  return { pending: true, waitSeconds: Math.min(60, Math.max(10, Math.round(elapsedSeconds / 4))) };
}

/** cloud-volume-snapshot: one CreateSnapshots call over every attached volume, then waits for completion. */
export const cloudVolumeSnapshot: CloudAction<Ec2Clients> = {
  type: 'cloud-volume-snapshot',

  async capture(context) {
    const ec2 = context.clients.ec2;
    const ref = ec2.instanceOf(context.target);
    const instance = await ec2.describeInstance(ref);
    const prior: SnapshotPrior = {
      instance: {
        id: ref.instanceId,
        state: instance.State?.Name ?? 'unknown',
        availabilityZone: instance.Placement?.AvailabilityZone ?? '',
      },
      volumes: attachedVolumes(instance),
    };
    await context.recordProgress({ prior });
    if (prior.volumes.length === 0) {
      throw new InvalidTargetError(
        `${ref.label} has no EBS volume attached, so there is nothing to snapshot (instance store volumes cannot be snapshotted)`,
      );
    }
  },

  async apply(context) {
    const ec2 = context.clients.ec2;
    const ref = ec2.instanceOf(context.target);
    const prior = context.prior(snapshotPriorSchema);
    const deviceOf = new Map(prior.volumes.map((volume) => [volume.volumeId, volume.deviceName]));
    // Snapshot (DescribeSnapshots) and SnapshotInfo (CreateSnapshots) both carry these two.
    const toCreated = (snapshot: { SnapshotId?: string; VolumeId?: string }): CreatedSnapshot[] =>
      snapshot.SnapshotId === undefined
        ? []
        : [
            {
              action: 'CreateSnapshot',
              snapshotId: snapshot.SnapshotId,
              volumeId: snapshot.VolumeId ?? '',
              deviceName: deviceOf.get(snapshot.VolumeId ?? '') ?? null,
            },
          ];
    // Decided on this action's own record, never by taking snapshots again: a retried apply
    // (throttled, timed out) continues with the snapshots it took.
    let created = context.changes(createdSnapshotSchema, context.record);
    if (created.length === 0) {
      // CreateSnapshots has no client token: snapshots an attempt took without recording them carry the action's tag.
      created = (await snapshotsOfAction(context, ref)).flatMap(toCreated);
    }
    if (created.length === 0) {
      const { Snapshots } = await ec2.call(
        ref.region,
        'ec2:CreateSnapshots',
        (client) =>
          client.send(
            new CreateSnapshotsCommand({
              // Every attached volume at one point in time: crash-consistent across the volumes.
              InstanceSpecification: { InstanceId: ref.instanceId, ExcludeBootVolume: false },
              CopyTagsFromSource: 'volume',
              Description: `Evidence of ${ref.instanceId} taken by response-actions action ${context.record.id}`,
              TagSpecifications: [
                {
                  ResourceType: 'snapshot',
                  Tags: [
                    { Key: snapshotTagKeys.actionId, Value: context.record.id },
                    { Key: snapshotTagKeys.sourceInstance, Value: ref.instanceId },
                  ],
                },
              ],
            }),
          ),
        ref.label,
      );
      created = (Snapshots ?? []).flatMap(toCreated);
      if (created.length === 0) throw new AwsRequestFailedError(`CreateSnapshots took no snapshot of ${ref.label}`);
    }
    // Recorded before anything else can fail, so undo can delete them whatever happens next.
    await context.recordProgress({ applied: { changes: created } });
    for (const snapshot of created) {
      // TagSpecifications apply one tag set to every snapshot of the call; the source volume differs per snapshot.
      await ec2.call(ref.region, 'ec2:CreateTags', (client) =>
        client.send(
          new CreateTagsCommand({
            Resources: [snapshot.snapshotId],
            Tags: [{ Key: snapshotTagKeys.sourceVolume, Value: snapshot.volumeId }],
          }),
        ),
      );
    }
    return snapshotProgress(context, ref, created);
  },

  async check(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    return snapshotProgress(context, ref, context.changes(createdSnapshotSchema, context.record));
  },

  async verify(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    const created = context.changes(createdSnapshotSchema, context.record);
    const found = await describeSnapshots(context, ref.region, created.map((snapshot) => snapshot.snapshotId));
    const unfinished = created.filter((snapshot) => found.get(snapshot.snapshotId)?.State !== 'completed');
    if (unfinished.length > 0) {
      throw new ChangeNotVisibleError(`${unfinished.map((snapshot) => snapshot.snapshotId).join(', ')} not completed yet`);
    }
    return { ...snapshotResult(ref, created, found), verified: true };
  },

  plan(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    // Evidence: every run takes new snapshots, so there is no "already done".
    const { volumes } = context.prior(snapshotPriorSchema);
    return Promise.resolve([
      {
        call: 'ec2:CreateSnapshots',
        target: context.target.arn,
        detail: `snapshot every attached EBS volume of ${ref.label} at one point in time (${volumes.map((volume) => `${volume.volumeId} on ${volume.deviceName}`).join(', ')}), tagged ${snapshotTagKeys.actionId} and ${snapshotTagKeys.sourceInstance}`,
      },
      ...volumes.map((volume) => ({
        call: 'ec2:CreateTags',
        target: `snapshot of ${volume.volumeId}`,
        detail: `tag the snapshot of ${volume.volumeId} with ${snapshotTagKeys.sourceVolume}=${volume.volumeId}`,
      })),
    ]);
  },
};
