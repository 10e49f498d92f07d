/** undo-cloud-volume-snapshot deletes exactly the snapshots its cloud-volume-snapshot took (or the listed ones of them). */
import { DeleteSnapshotCommand } from '@aws-sdk/client-ec2';
// zod/mini: the same schemas, tree-shakable, which keeps the EC2 family's bundle under budget.
import * as z from 'zod/mini';
import type { ActionInputs } from '#shared/catalogue/index.ts';
import type { CloudAction } from '../cloud-action.ts';
import { ChangeNotVisibleError, InvalidTargetError } from '../errors.ts';
import { createdSnapshotSchema } from '../snapshot-records.ts';
import type { Ec2Clients } from './ec2-api.ts';
import { describeSnapshots, snapshotTagKeys } from './snapshots.ts';

/** What the undo records as `applied`: each snapshot it deleted. */
const deletedSnapshotSchema = z.object({ action: z.literal('DeleteSnapshot'), snapshotId: z.string(), volumeId: z.string() });

/** What the undo's capture records as its `prior`: the snapshots it is to delete, as they are before it deletes any. */
const undoPriorSchema = z.object({
  undoing: z.string(),
  snapshots: z.array(z.object({ snapshotId: z.string(), volumeId: z.string(), exists: z.boolean(), state: z.nullable(z.string()) })),
});
type UndoPrior = z.infer<typeof undoPriorSchema>;

function requestedSnapshotIds(inputs: ActionInputs): string[] | null {
  const ids = inputs['aws.ebs.snapshot.ids'];
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : null;
}

/** undo-cloud-volume-snapshot: deletes the snapshots its original took (or the listed ones of them), nothing else. */
export const undoCloudVolumeSnapshot: CloudAction<Ec2Clients> = {
  type: 'undo-cloud-volume-snapshot',
  undoes: 'cloud-volume-snapshot',

  async capture(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    const original = context.undoSource();
    const taken = context.changes(createdSnapshotSchema, original);
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
    const prior = context.prior(undoPriorSchema);
    // A retried apply keeps what an earlier attempt of this undo already deleted.
    const deleted = context.changes(deletedSnapshotSchema);
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
      result: { ...context.result(), deleted: deleted.map((done) => done.snapshotId), alreadyGone },
    });
    return { pending: false };
  },

  async verify(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    const prior = context.prior(undoPriorSchema);
    const found = await describeSnapshots(context, ref.region, prior.snapshots.map((snapshot) => snapshot.snapshotId));
    if (found.size > 0) {
      throw new ChangeNotVisibleError(`${[...found.keys()].join(', ')} still listed after deleting`);
    }
    return { ...context.result(), verified: true };
  },

  plan(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    const prior = context.prior(undoPriorSchema);
    // Snapshots already gone are reported by apply, not deleted.
    return Promise.resolve(
      prior.snapshots
        .filter((snapshot) => snapshot.exists)
        .map((snapshot) => ({
          call: 'ec2:DeleteSnapshot',
          target: `arn:${context.target.partition}:ec2:${ref.region}::snapshot/${snapshot.snapshotId}`,
          detail: `delete EBS snapshot ${snapshot.snapshotId} of volume ${snapshot.volumeId}, taken by action ${prior.undoing}`,
        })),
    );
  },
};
