/**
 * make-cloud-resource-private and its undo on an S3 bucket: all four settings of the bucket's
 * public access block on; the undo restores exactly the block it had, and only if the original changed it.
 */
import {
  DeletePublicAccessBlockCommand,
  GetBucketAclCommand,
  GetBucketPolicyStatusCommand,
  GetPublicAccessBlockCommand,
  PutPublicAccessBlockCommand,
  type Grant,
} from '@aws-sdk/client-s3';
import * as z from 'zod';
import type { ActionRecord } from '#shared/history/record.ts';
import type { PlannedChange } from '#shared/plans/types.ts';
import { ChangeNotVisibleError } from '../errors.ts';
import { readChanges } from '../kit/action-context.ts';
import {
  changeSchema,
  changesOf,
  done,
  privateAttempt,
  privateCall,
  publicAccessBlockSchema,
  type Bucket,
  type DriftEntry,
  type PrivateContext,
  type PublicAccessBlock,
  type ResourceSteps,
} from './private-api.ts';

export const publicAccessBlockSettings = ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const;
type PublicAccessBlockSetting = (typeof publicAccessBlockSettings)[number];

/** What make-private leaves on a bucket. */
const fullBlock: PublicAccessBlock = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };

const aclGrantSchema = z.object({
  grantee: z.object({
    type: z.string(),
    id: z.string().optional(),
    displayName: z.string().optional(),
    emailAddress: z.string().optional(),
    uri: z.string().optional(),
  }),
  permission: z.string(),
});

/** What capture records as `prior` for a bucket. */
export const bucketStateSchema = z.object({
  kind: z.literal('aws.s3.bucket'),
  bucket: z.string(),
  /** The bucket's public access block, or null when it has none (NoSuchPublicAccessBlockConfiguration). */
  publicAccessBlock: publicAccessBlockSchema.nullable(),
  /** GetBucketPolicyStatus; null when the bucket has no policy, isPublic null when S3 did not say. */
  policyStatus: z.object({ isPublic: z.boolean().nullable() }).nullable(),
  acl: z.object({ ownerId: z.string().nullable(), grants: z.array(aclGrantSchema) }),
});
type BucketState = z.infer<typeof bucketStateSchema>;

const publicGroupUris = new Set(['http://acs.amazonaws.com/groups/global/AllUsers', 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers']);

function grantOf(grant: Grant): z.infer<typeof aclGrantSchema> {
  const grantee = grant.Grantee;
  return {
    grantee: {
      type: grantee?.Type ?? 'Unknown',
      ...(grantee?.ID === undefined ? {} : { id: grantee.ID }),
      ...(grantee?.DisplayName === undefined ? {} : { displayName: grantee.DisplayName }),
      ...(grantee?.EmailAddress === undefined ? {} : { emailAddress: grantee.EmailAddress }),
      ...(grantee?.URI === undefined ? {} : { uri: grantee.URI }),
    },
    permission: grant.Permission ?? 'Unknown',
  };
}

/** The bucket's public access block, or null when it has none. */
async function readBlock(context: PrivateContext, bucket: Bucket): Promise<PublicAccessBlock | null> {
  const s3 = context.clients.s3.in(bucket.region);
  const read = await privateAttempt(
    context,
    bucket,
    's3:GetBucketPublicAccessBlock',
    () => s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket.name, ExpectedBucketOwner: context.target.accountId })),
    ['NoSuchPublicAccessBlockConfiguration'],
  );
  if (!read.ok) return null;
  const block = read.value.PublicAccessBlockConfiguration;
  // S3 answers every setting; one it leaves out is off, as S3 treats it.
  return {
    BlockPublicAcls: block?.BlockPublicAcls ?? false,
    IgnorePublicAcls: block?.IgnorePublicAcls ?? false,
    BlockPublicPolicy: block?.BlockPublicPolicy ?? false,
    RestrictPublicBuckets: block?.RestrictPublicBuckets ?? false,
  };
}

/** Reads the bucket's public access block, policy status and ACL; changes nothing. */
async function readBucket(context: PrivateContext, bucket: Bucket): Promise<BucketState> {
  const s3 = context.clients.s3.in(bucket.region);
  const owner = { Bucket: bucket.name, ExpectedBucketOwner: context.target.accountId };
  const publicAccessBlock = await readBlock(context, bucket);
  const status = await privateAttempt(context, bucket, 's3:GetBucketPolicyStatus', () => s3.send(new GetBucketPolicyStatusCommand(owner)), [
    'NoSuchBucketPolicy',
  ]);
  const policyStatus: BucketState['policyStatus'] = status.ok ? { isPublic: status.value.PolicyStatus?.IsPublic ?? null } : null;
  const acl = await privateCall(context, bucket, 's3:GetBucketAcl', () => s3.send(new GetBucketAclCommand(owner)));
  return {
    kind: 'aws.s3.bucket',
    bucket: bucket.name,
    publicAccessBlock,
    policyStatus,
    acl: { ownerId: acl.Owner?.ID ?? null, grants: (acl.Grants ?? []).map(grantOf) },
  };
}

async function putBlock(context: PrivateContext, bucket: Bucket, block: PublicAccessBlock): Promise<void> {
  const s3 = context.clients.s3.in(bucket.region);
  await privateCall(context, bucket, 's3:PutBucketPublicAccessBlock', () =>
    s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: bucket.name,
        ExpectedBucketOwner: context.target.accountId,
        PublicAccessBlockConfiguration: { ...block },
      }),
    ),
  );
}

async function deleteBlock(context: PrivateContext, bucket: Bucket): Promise<void> {
  const s3 = context.clients.s3.in(bucket.region);
  // Already gone (a retry after our own delete) is what the undo wants. DeletePublicAccessBlock
  // is authorized by s3:PutBucketPublicAccessBlock.
  await privateAttempt(
    context,
    bucket,
    's3:PutBucketPublicAccessBlock (DeletePublicAccessBlock)',
    () => s3.send(new DeletePublicAccessBlockCommand({ Bucket: bucket.name, ExpectedBucketOwner: context.target.accountId })),
    ['NoSuchPublicAccessBlockConfiguration'],
  );
}

function isFullBlock(block: PublicAccessBlock | null): boolean {
  return block !== null && publicAccessBlockSettings.every((setting) => block[setting]);
}

function sameBlock(a: PublicAccessBlock | null, b: PublicAccessBlock | null): boolean {
  if (a === null || b === null) return a === b;
  return publicAccessBlockSettings.every((setting) => a[setting] === b[setting]);
}

/** `BlockPublicAcls=true, IgnorePublicAcls=false, ...`, or `none` for a bucket without a public access block. */
function describeBlock(block: PublicAccessBlock | null): string {
  return block === null ? 'none' : publicAccessBlockSettings.map((setting) => `${setting}=${String(block[setting])}`).join(', ');
}

/** The put or delete a plan lists for the bucket's public access block. */
function plannedBlock(context: PrivateContext, bucket: Bucket, now: PublicAccessBlock | null, wanted: PublicAccessBlock | null): PlannedChange {
  return wanted === null
    ? { call: 's3:DeletePublicAccessBlock', target: context.target.arn, detail: `delete the public access block of ${bucket.label} (now: ${describeBlock(now)})` }
    : { call: 's3:PutPublicAccessBlock', target: context.target.arn, detail: `set the public access block of ${bucket.label} to ${describeBlock(wanted)} (now: ${describeBlock(now)})` };
}

function blockDrift(left: PublicAccessBlock, now: PublicAccessBlock | null): DriftEntry[] {
  return publicAccessBlockSettings.flatMap((setting: PublicAccessBlockSetting) =>
    now?.[setting] === left[setting] ? [] : [{ setting, left: left[setting], now: now === null ? null : now[setting] }],
  );
}

/** make-cloud-resource-private on a bucket. */
export const makeBucketPrivate: ResourceSteps<Bucket> = {
  async capture(context, bucket) {
    await context.recordProgress({ prior: await readBucket(context, bucket) });
  },

  async apply(context, bucket) {
    // Decided on `prior` (the first capture), not on the block now: a retried apply after its own
    // put must still record that put, never "nothing changed".
    const prior = context.prior(bucketStateSchema);
    const exposure = {
      resource: bucket.label,
      // null: S3 did not say whether the policy was public.
      policyWasPublic: prior.policyStatus === null ? false : prior.policyStatus.isPublic,
      aclWasPublic: prior.acl.grants.some((grant) => grant.grantee.uri !== undefined && publicGroupUris.has(grant.grantee.uri)),
    };
    if (isFullBlock(prior.publicAccessBlock)) {
      await context.recordProgress({
        applied: { changes: [] },
        result: {
          ...exposure,
          alreadyPrivate: true,
          message: `all four public access block settings were already on for ${bucket.label} before this action; nothing was changed`,
        },
      });
      return done;
    }
    await putBlock(context, bucket, fullBlock);
    await context.recordProgress({
      applied: changesOf([{ action: 'PutPublicAccessBlock', before: prior.publicAccessBlock, after: fullBlock }]),
      result: { ...exposure, alreadyPrivate: false, publicAccessBlock: fullBlock },
    });
    return done;
  },

  check: () => Promise.resolve(done),

  async verify(context, bucket) {
    if (!isFullBlock(await readBlock(context, bucket))) {
      throw new ChangeNotVisibleError(`the public access block of ${bucket.label} does not read back as all four settings on yet`);
    }
    return { ...context.result(), verified: true };
  },

  plan(context, bucket) {
    // Apply's own decision, on `prior`: nothing when all four settings are already on.
    const prior = context.prior(bucketStateSchema).publicAccessBlock;
    return Promise.resolve(isFullBlock(prior) ? [] : [plannedBlock(context, bucket, prior, fullBlock)]);
  },
};

/** The block the undo puts back: the original's `before`, or null to delete the block. */
function bucketRestoreTarget(original: ActionRecord): PublicAccessBlock | null | undefined {
  const change = readChanges(changeSchema, original).find((candidate) => candidate.action === 'PutPublicAccessBlock');
  return change?.before;
}

/** undo-make-cloud-resource-private on a bucket. */
export const restoreBucket: ResourceSteps<Bucket> = {
  async capture(context, bucket) {
    const original = context.undoSource();
    context.prior(bucketStateSchema, original);
    const now = await readBucket(context, bucket);
    // What the original left: all four on, if it changed anything; drift is what differs now.
    const left = bucketRestoreTarget(original) === undefined ? null : fullBlock;
    const drift = { changedSince: left === null ? [] : blockDrift(left, now.publicAccessBlock) };
    // The undo's own prior is the bucket as it is now, before the undo changes anything.
    await context.recordProgress({ prior: now, result: { resource: bucket.label, drift } });
  },

  async apply(context, bucket) {
    const restore = bucketRestoreTarget(context.undoSource());
    const result = context.result();
    if (restore === undefined) {
      await context.recordProgress({ applied: { changes: [] }, result: { ...result, restored: false, message: 'the original action changed nothing' } });
      return done;
    }
    const now = context.prior(bucketStateSchema).publicAccessBlock;
    const restoredTo = { restoredPublicAccessBlock: restore };
    if (sameBlock(now, restore)) {
      // Someone already put the prior settings back by hand: reported, not an error.
      await context.recordProgress({ applied: { changes: [] }, result: { ...result, ...restoredTo, alreadyRestored: true } });
      return done;
    }
    // Put and delete are idempotent, so a retried apply may repeat the call; the record is written whole.
    if (restore === null) {
      await deleteBlock(context, bucket);
      await context.recordProgress({
        applied: changesOf([{ action: 'DeletePublicAccessBlock', before: now, after: null }]),
        result: { ...result, ...restoredTo, alreadyRestored: false },
      });
    } else {
      await putBlock(context, bucket, restore);
      await context.recordProgress({
        applied: changesOf([{ action: 'PutPublicAccessBlock', before: now, after: restore }]),
        result: { ...result, ...restoredTo, alreadyRestored: false },
      });
    }
    return done;
  },

  check: () => Promise.resolve(done),

  async verify(context, bucket) {
    const restore = bucketRestoreTarget(context.undoSource());
    if (restore !== undefined && !sameBlock(await readBlock(context, bucket), restore)) {
      throw new ChangeNotVisibleError(`the public access block of ${bucket.label} does not read back as restored yet`);
    }
    return { ...context.result(), verified: true };
  },

  plan(context, bucket) {
    const restore = bucketRestoreTarget(context.undoSource());
    const now = context.prior(bucketStateSchema).publicAccessBlock;
    // Nothing when the original changed nothing, or the block already reads as it was before.
    if (restore === undefined || sameBlock(now, restore)) return Promise.resolve([]);
    return Promise.resolve([plannedBlock(context, bucket, now, restore)]);
  },
};
