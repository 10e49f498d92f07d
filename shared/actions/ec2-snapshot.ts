/**
 * cloud-volume-snapshot takes a crash-consistent EBS snapshot of every volume attached to an EC2
 * instance in one CreateSnapshots call, tagged so each snapshot says which action took it of which
 * instance and volume; undo-cloud-volume-snapshot deletes exactly the snapshots that action took.
 */
import {
  CreateSnapshotsCommand,
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DescribeSnapshotsCommand,
  type Instance,
  type Snapshot,
} from '@aws-sdk/client-ec2';
// zod/mini: the same schemas, tree-shakable, which keeps the EC2 family's bundle under budget.
import * as z from 'zod/mini';
import type { createdSnapshotSchema} from './snapshot-records.ts';
import { snapshotAppliedSchema } from './snapshot-records.ts';
import type { ActionInputs } from '#shared/catalogue/index.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { JsonObject, JsonValue } from '#shared/json.ts';
import type { CloudAction, CloudActionContext, StepProgress } from './cloud-action.ts';
import type { Ec2Clients, Ec2InstanceRef } from './ec2.ts';
import { AwsRequestFailedError, ChangeNotVisibleError, InvalidTargetError, UndoSourceMissingError } from './errors.ts';

type Ec2Context = CloudActionContext<Ec2Clients>;

/**
 * The tags on every snapshot this service takes. The member role may delete a snapshot only when
 * it carries `actionId` (families.ts), so these keys are part of the deployment's contract.
 */
export const snapshotTagKeys = {
  actionId: 'response-actions:action-id',
  sourceInstance: 'response-actions:source-instance',
  sourceVolume: 'response-actions:source-volume',
} as const;

/** Most snapshot ids a DescribeSnapshots filter names at once (its documented limit is 200 values). */
const describeBatch = 200;

/** What capture records as `prior`: the instance and the EBS volumes attached to it. */
const snapshotPriorSchema = z.object({
  instance: z.object({ id: z.string(), state: z.string(), availabilityZone: z.string() }),
  volumes: z.array(z.object({ deviceName: z.string(), volumeId: z.string() })),
});
type SnapshotPrior = z.infer<typeof snapshotPriorSchema>;

type CreatedSnapshot = z.infer<typeof createdSnapshotSchema>;

const deletedSnapshotSchema = z.object({ action: z.literal('DeleteSnapshot'), snapshotId: z.string(), volumeId: z.string() });
type DeletedSnapshot = z.infer<typeof deletedSnapshotSchema>;
/** What the undo records as `applied`: the snapshots it deleted. */
const undoAppliedSchema = z.object({ changes: z.array(deletedSnapshotSchema) });

/** What the undo's capture records as its `prior`: the snapshots it is to delete, as they are before it deletes any. */
const undoPriorSchema = z.object({
  undoing: z.string(),
  snapshots: z.array(z.object({ snapshotId: z.string(), volumeId: z.string(), exists: z.boolean(), state: z.nullable(z.string()) })),
});
type UndoPrior = z.infer<typeof undoPriorSchema>;

/** The EBS volumes attached to an instance, by device name. */
function attachedVolumes(instance: Instance): SnapshotPrior['volumes'] {
  return (instance.BlockDeviceMappings ?? []).flatMap((mapping) =>
    mapping.Ebs?.VolumeId === undefined ? [] : [{ deviceName: mapping.DeviceName ?? '', volumeId: mapping.Ebs.VolumeId }],
  );
}

/** Reads the snapshots with these ids that exist (a filter, so ids already gone are simply absent, not an error). */
async function describeSnapshots(context: Ec2Context, region: string, snapshotIds: readonly string[]): Promise<Map<string, Snapshot>> {
  const found = new Map<string, Snapshot>();
  for (let start = 0; start < snapshotIds.length; start += describeBatch) {
    const Values = snapshotIds.slice(start, start + describeBatch);
    let token: string | undefined;
    do {
      const NextToken: string | undefined = token;
      const page = await context.clients.ec2.call(region, 'ec2:DescribeSnapshots', (client) =>
        client.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'snapshot-id', Values }], NextToken })),
      );
      for (const snapshot of page.Snapshots ?? []) {
        if (snapshot.SnapshotId !== undefined) found.set(snapshot.SnapshotId, snapshot);
      }
      token = page.NextToken;
    } while (token !== undefined);
  }
  return found;
}

/** Snapshots carrying this action's id: an earlier attempt may have created them without recording it. */
async function snapshotsOfAction(context: Ec2Context, ref: Ec2InstanceRef): Promise<Snapshot[]> {
  const snapshots: Snapshot[] = [];
  let token: string | undefined;
  do {
    const NextToken: string | undefined = token;
    const page = await context.clients.ec2.call(ref.region, 'ec2:DescribeSnapshots', (client) =>
      client.send(
        new DescribeSnapshotsCommand({
          OwnerIds: ['self'],
          Filters: [{ Name: `tag:${snapshotTagKeys.actionId}`, Values: [context.record.id] }],
          NextToken,
        }),
      ),
    );
    snapshots.push(...(page.Snapshots ?? []));
    token = page.NextToken;
  } while (token !== undefined);
  return snapshots;
}

function parseSnapshotPrior(record: Pick<ActionRecord, 'id' | 'prior'>): SnapshotPrior {
  const parsed = snapshotPriorSchema.safeParse(record.prior);
  if (!parsed.success) throw new UndoSourceMissingError(`action ${record.id} recorded no EC2 instance volumes`);
  return parsed.data;
}

function createdSnapshots(record: Pick<ActionRecord, 'id' | 'applied'>): CreatedSnapshot[] {
  if (record.applied === null) return [];
  const parsed = snapshotAppliedSchema.safeParse(record.applied);
  if (!parsed.success) throw new UndoSourceMissingError(`action ${record.id} recorded snapshots this service cannot read`);
  return parsed.data.changes;
}

function deletedSnapshots(record: Pick<ActionRecord, 'id' | 'applied'>): DeletedSnapshot[] {
  if (record.applied === null) return [];
  const parsed = undoAppliedSchema.safeParse(record.applied);
  if (!parsed.success) throw new UndoSourceMissingError(`action ${record.id} recorded deletions this service cannot read`);
  return parsed.data.changes;
}

function objectResult(result: JsonValue | null): JsonObject {
  return typeof result === 'object' && result !== null && !Array.isArray(result) ? result : {};
}

/** The result's view of the snapshots: id ↔ volume, device, size, state. */
function snapshotResult(ref: Ec2InstanceRef, created: readonly CreatedSnapshot[], found: ReadonlyMap<string, Snapshot>): JsonObject {
  return {
    instanceId: ref.instanceId,
    snapshots: created.map((snapshot) => {
      const now = found.get(snapshot.snapshotId);
      return {
        snapshotId: snapshot.snapshotId,
        volumeId: snapshot.volumeId,
        deviceName: snapshot.deviceName,
        volumeSizeGiB: now?.VolumeSize ?? null,
        state: now?.State ?? null,
        progress: now?.Progress ?? null,
        startTime: now?.StartTime?.toISOString() ?? null,
      };
    }),
  };
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
    const prior = parseSnapshotPrior(context.record);
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
    let created = createdSnapshots(context.record);
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
    return snapshotProgress(context, ref, createdSnapshots(context.record));
  },

  async verify(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    const created = createdSnapshots(context.record);
    const found = await describeSnapshots(context, ref.region, created.map((snapshot) => snapshot.snapshotId));
    const unfinished = created.filter((snapshot) => found.get(snapshot.snapshotId)?.State !== 'completed');
    if (unfinished.length > 0) {
      throw new ChangeNotVisibleError(`${unfinished.map((snapshot) => snapshot.snapshotId).join(', ')} not completed yet`);
    }
    return { ...snapshotResult(ref, created, found), verified: true };
  },
};

function undoSource(context: Ec2Context): ActionRecord {
  if (context.undoing === null) {
    throw new UndoSourceMissingError(`action ${context.record.id} (${context.record.type}) does not name the action it undoes`);
  }
  return context.undoing;
}

function requestedSnapshotIds(inputs: ActionInputs): string[] | null {
  const ids = inputs['aws.ebs.snapshot.ids'];
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : null;
}

function parseUndoPrior(record: Pick<ActionRecord, 'id' | 'prior'>): UndoPrior {
  const parsed = undoPriorSchema.safeParse(record.prior);
  if (!parsed.success) throw new UndoSourceMissingError(`action ${record.id} recorded no snapshots to delete`);
  return parsed.data;
}

/** undo-cloud-volume-snapshot: deletes the snapshots its original took (or the listed ones of them), nothing else. */
export const undoCloudVolumeSnapshot: CloudAction<Ec2Clients> = {
  type: 'undo-cloud-volume-snapshot',
  undoes: 'cloud-volume-snapshot',

  async capture(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    const original = undoSource(context);
    const taken = createdSnapshots(original);
    const requested = requestedSnapshotIds(context.record.inputs);
    if (requested !== null) {
      const notTaken = requested.filter((id) => !taken.some((snapshot) => snapshot.snapshotId === id));
      if (notTaken.length > 0) {
        throw new InvalidTargetError(
          `${notTaken.join(', ')} ${notTaken.length === 1 ? 'was' : 'were'} not taken by action ${original.id}; undo deletes only snapshots its original took, so nothing was deleted`,
        );
      }
    }
    const targets = requested === null ? taken : taken.filter((snapshot) => requested.includes(snapshot.snapshotId));
    const found = await describeSnapshots(context, ref.region, targets.map((snapshot) => snapshot.snapshotId));
    for (const [snapshotId, snapshot] of found) {
      const tagged = snapshot.Tags?.find((tag) => tag.Key === snapshotTagKeys.actionId)?.Value;
      if (tagged !== undefined && tagged !== original.id) {
        throw new InvalidTargetError(`${snapshotId} is tagged as taken by action ${tagged}, not ${original.id}; nothing was deleted`);
      }
    }
    const prior: UndoPrior = {
      undoing: original.id,
      snapshots: targets.map((snapshot) => ({
        snapshotId: snapshot.snapshotId,
        volumeId: snapshot.volumeId,
        exists: found.has(snapshot.snapshotId),
        state: found.get(snapshot.snapshotId)?.State ?? null,
      })),
    };
    await context.recordProgress({
      prior,
      result: { instanceId: ref.instanceId, toDelete: targets.map((snapshot) => snapshot.snapshotId) },
    });
  },

  async apply(context) {
    const ec2 = context.clients.ec2;
    const ref = ec2.instanceOf(context.target);
    const prior = parseUndoPrior(context.record);
    // A retried apply keeps what an earlier attempt of this undo already deleted.
    const deleted = deletedSnapshots(context.record);
    const alreadyGone: string[] = [];
    for (const snapshot of prior.snapshots) {
      if (deleted.some((done) => done.snapshotId === snapshot.snapshotId)) continue;
      if (!snapshot.exists) {
        alreadyGone.push(snapshot.snapshotId);
        continue;
      }
      const outcome = await ec2.attempt(
        ref.region,
        'ec2:DeleteSnapshot',
        (client) => client.send(new DeleteSnapshotCommand({ SnapshotId: snapshot.snapshotId })),
        ['InvalidSnapshot.NotFound'],
      );
      if (!outcome.ok) {
        // Deleted by someone else since capture: reported, not an error.
        alreadyGone.push(snapshot.snapshotId);
        continue;
      }
      deleted.push({ action: 'DeleteSnapshot', snapshotId: snapshot.snapshotId, volumeId: snapshot.volumeId });
      await context.recordProgress({ applied: { changes: deleted } });
    }
    await context.recordProgress({
      applied: { changes: deleted },
      result: { ...objectResult(context.record.result), deleted: deleted.map((done) => done.snapshotId), alreadyGone },
    });
    return { pending: false };
  },

  async verify(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    const prior = parseUndoPrior(context.record);
    const found = await describeSnapshots(context, ref.region, prior.snapshots.map((snapshot) => snapshot.snapshotId));
    if (found.size > 0) {
      throw new ChangeNotVisibleError(`${[...found.keys()].join(', ')} still listed after deleting`);
    }
    return { ...objectResult(context.record.result), verified: true };
  },
};

