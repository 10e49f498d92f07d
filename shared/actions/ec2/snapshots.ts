/**
 * What cloud-volume-snapshot and its undo share: the tags on every snapshot this service takes,
 * the recorded shapes, and reading snapshots back.
 */
import { paginateDescribeSnapshots, type Snapshot } from '@aws-sdk/client-ec2';
// zod/mini: the same schemas, tree-shakable, which keeps the EC2 family's bundle under budget.
import * as z from 'zod/mini';
import type { JsonObject } from '#shared/json.ts';
import type { createdSnapshotSchema } from '../snapshot-records.ts';
import type { Ec2Context, Ec2InstanceRef } from './ec2-api.ts';

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
export const snapshotPriorSchema = z.object({
  instance: z.object({ id: z.string(), state: z.string(), availabilityZone: z.string() }),
  volumes: z.array(z.object({ deviceName: z.string(), volumeId: z.string() })),
});
export type SnapshotPrior = z.infer<typeof snapshotPriorSchema>;

export type CreatedSnapshot = z.infer<typeof createdSnapshotSchema>;

/** Reads the snapshots with these ids that exist (a filter, so ids already gone are simply absent, not an error). */
export async function describeSnapshots(context: Ec2Context, region: string, snapshotIds: readonly string[]): Promise<Map<string, Snapshot>> {
  const found = new Map<string, Snapshot>();
  for (let start = 0; start < snapshotIds.length; start += describeBatch) {
    const Values = snapshotIds.slice(start, start + describeBatch);
    const pages = await context.clients.ec2.pages(region, 'ec2:DescribeSnapshots', (config) =>
      paginateDescribeSnapshots(config, { OwnerIds: ['self'], Filters: [{ Name: 'snapshot-id', Values }] }),
    );
    for (const snapshot of pages.flatMap((page) => page.Snapshots ?? [])) {
      if (snapshot.SnapshotId !== undefined) found.set(snapshot.SnapshotId, snapshot);
    }
  }
  return found;
}

/** Snapshots carrying this action's id: an earlier attempt may have created them without recording it. */
export async function snapshotsOfAction(context: Ec2Context, ref: Ec2InstanceRef): Promise<Snapshot[]> {
  const pages = await context.clients.ec2.pages(ref.region, 'ec2:DescribeSnapshots', (config) =>
    paginateDescribeSnapshots(config, { OwnerIds: ['self'], Filters: [{ Name: `tag:${snapshotTagKeys.actionId}`, Values: [context.record.id] }] }),
  );
  return pages.flatMap((page) => page.Snapshots ?? []);
}

/** The result's view of the snapshots: id ↔ volume, device, size, state. */
export function snapshotResult(ref: Ec2InstanceRef, created: readonly CreatedSnapshot[], found: ReadonlyMap<string, Snapshot>): JsonObject {
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
