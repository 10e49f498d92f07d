import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectLockRetention, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { ObjectLockMode } from '#infra/config.ts';

/** The prefix every evidence object lives under (`actions/<actionId>/<name>`, see shared/evidence/keys.ts). */
export const evidenceKeyPrefix = 'actions/';

/** Props of {@link EvidenceBucket}. */
export interface EvidenceBucketProps {
  /** Days after which an evidence object, a deleted one's old version and a server access log expire. */
  readonly retentionDays: number;
  /** Default Object Lock retention of every new object; undefined: lock enabled but no default retention. */
  readonly objectLock?: { readonly mode: ObjectLockMode; readonly days: number };
}

/**
 * The evidence store's bucket, with its server access log bucket and its KMS key.
 *
 * - Encrypted with a customer managed key (rotated yearly) rather than S3-managed keys: evidence
 *   is the most sensitive data the service holds (files, logs and snapshots from a breach), and
 *   a customer key makes reading it need a second, separately auditable permission (`kms:Decrypt`,
 *   granted only to the readers, each use in CloudTrail), and lets an operator cut all access or
 *   crypto-shred by disabling the key. S3 Bucket Keys keep the KMS request cost low.
 * - Versioned, TLS 1.2+ only, all public access blocked, ACLs disabled, retained on deletion.
 * - Object Lock is enabled at creation, always: S3 allows it only on a bucket created with it
 *   (or through a support-assisted change), so a later `evidenceObjectLockDays` only has to add
 *   the default retention, never replace the bucket. Without that setting no object is locked.
 * - One lifecycle rule implements evidence retention, on `actions/` only: current versions
 *   expire after `retentionDays`, noncurrent versions (left by a delete) the same number of days
 *   later. The trail (`trail/<seq>.json`, shared/trail/s3-trail.ts) never expires: a chain whose
 *   first entries were gone could no longer be verified. Incomplete multipart uploads go after a week.
 * - Server access logs go to a second bucket, itself TLS-only, private, S3-managed encrypted (the
 *   only encryption S3 server access logging can write with), retained and expired on the same
 *   schedule.
 */
export class EvidenceBucket extends Construct {
  /** The evidence bucket. */
  public readonly bucket: IBucket;
  /** The bucket's KMS key: readers need `kms:Decrypt`, writers `kms:GenerateDataKey` on it. */
  public readonly key: IKey;
  /** Where S3 writes the evidence bucket's server access logs. */
  public readonly accessLogBucket: IBucket;

  public constructor(scope: Construct, id: string, props: EvidenceBucketProps) {
    super(scope, id);

    const accessLogBucket = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      // Object ownership is left to CDK: with cdk.json's serverAccessLogsUseBucketPolicy, S3's
      // default (ACLs disabled) and a bucket policy for the logging service; without it, the ACL
      // that log delivery then needs.
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'expire-access-logs',
          expiration: Duration.days(props.retentionDays),
          noncurrentVersionExpiration: Duration.days(props.retentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });

    const key = new Key(this, 'Key', {
      description: 'Encrypts response-actions evidence objects',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      objectLockEnabled: true,
      ...(props.objectLock === undefined
        ? {}
        : {
            objectLockDefaultRetention:
              props.objectLock.mode === 'COMPLIANCE'
                ? ObjectLockRetention.compliance(Duration.days(props.objectLock.days))
                : ObjectLockRetention.governance(Duration.days(props.objectLock.days)),
          }),
      serverAccessLogsBucket: accessLogBucket,
      serverAccessLogsPrefix: 'evidence/',
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          // Evidence only: the tamper-evident trail (`trail/`) is never expired, or verify-trail
          // would find its first entries gone once the evidence they describe had aged out.
          id: 'evidence-retention',
          prefix: evidenceKeyPrefix,
          expiration: Duration.days(props.retentionDays),
          noncurrentVersionExpiration: Duration.days(props.retentionDays),
        },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
    });

    this.bucket = bucket;
    this.key = key;
    this.accessLogBucket = accessLogBucket;
  }
}
