/**
 * The `private` family: make-cloud-resource-private turns on all four settings of an S3 bucket's
 * public access block (s3-bucket.ts), or makes an RDS DB instance not publicly accessible
 * (rds-db-instance.ts); its undo restores exactly the settings the resource had before, and only
 * where the original action changed them.
 */
import type { CloudActionFamily } from '../cloud-action.ts';
import { makeCloudResourcePrivate } from './make-cloud-resource-private.ts';
import { createPrivateClients, type PrivateClients } from './private-api.ts';
import { undoMakeCloudResourcePrivate } from './undo-make-cloud-resource-private.ts';

export { createPrivateClients, type PrivateClients } from './private-api.ts';
export { DbClusterMemberError, DbInstanceNotModifiableError } from '../errors.ts';
export { publicAccessBlockSettings } from './s3-bucket.ts';
export { makeCloudResourcePrivate, undoMakeCloudResourcePrivate };

/**
 * The `private` family; in member accounts its function needs s3:GetBucketPublicAccessBlock,
 * s3:PutBucketPublicAccessBlock, s3:GetBucketPolicyStatus, s3:GetBucketAcl, rds:DescribeDBInstances
 * and rds:ModifyDBInstance.
 */
export const privateFamily: CloudActionFamily<PrivateClients> = {
  name: 'private',
  actions: [makeCloudResourcePrivate, undoMakeCloudResourcePrivate],
  createClients: createPrivateClients,
};
