import { byKind } from './private-api.ts';
import { makeDbPrivate } from './rds-db-instance.ts';
import { makeBucketPrivate } from './s3-bucket.ts';

/** make-cloud-resource-private: all four public access block settings on a bucket, or PubliclyAccessible=false on a DB instance. */
export const makeCloudResourcePrivate = byKind('make-cloud-resource-private', { bucket: makeBucketPrivate, db: makeDbPrivate });
