/**
 * What cloud-volume-snapshot records as `applied`, as plain schemas with no SDK import, so the API
 * can derive an undo's inputs without bundling the EC2 client.
 */
// zod/mini: the same schemas, tree-shakable, which keeps the EC2 family's bundle under budget.
import * as z from 'zod/mini';
import type { ActionInputs } from '#shared/catalogue/index.ts';
import type { ActionRecord } from '#shared/history/record.ts';

export const createdSnapshotSchema = z.object({
  action: z.literal('CreateSnapshot'),
  snapshotId: z.string(),
  volumeId: z.string(),
  deviceName: z.nullable(z.string()),
});

/** What apply records as `applied`: every snapshot the action created, recorded right after CreateSnapshots. */
export const snapshotAppliedSchema = z.object({ changes: z.array(createdSnapshotSchema) });

/**
 * The inputs of undo-cloud-volume-snapshot derived from the cloud-volume-snapshot it undoes: the
 * instance, and the snapshot ids that action recorded in `applied`, so the undo's record says
 * exactly what it deletes.
 */
export function undoCloudVolumeSnapshotInputs(original: ActionRecord): ActionInputs {
  const parsed = snapshotAppliedSchema.safeParse(original.applied);
  const ids = parsed.success ? [...new Set(parsed.data.changes.map((snapshot) => snapshot.snapshotId))] : [];
  // The input allows 1 to 128 ids; without the list the undo deletes every snapshot the original took, which is the same.
  return {
    'aws.resource.arn': original.inputs['aws.resource.arn'],
    ...(ids.length >= 1 && ids.length <= 128 ? { 'aws.ebs.snapshot.ids': ids } : {}),
  };
}
