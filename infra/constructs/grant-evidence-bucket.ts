import { Aws } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { acknowledgeWildcardResource } from './acknowledge-wildcard.ts';
import type { EvidenceBucket } from './evidence-bucket.ts';
import { evidenceKeyPrefix } from './evidence-bucket.ts';
import type { ServiceFunction } from './service-function.ts';

/** Environment variable through which a function learns the evidence bucket's name. */
export const EVIDENCE_BUCKET_ENV = 'EVIDENCE_BUCKET';

/**
 * What a function may do with evidence: `read` (list and download: the evidence route),
 * `write` (new objects: families that collect evidence), or `upload` (sign upload URLs for
 * responders: it checks the name is free first, with HeadObject, which tells a missing key from
 * a forbidden one only with `s3:ListBucket`).
 */
export type EvidenceAccess = 'read' | 'write' | 'upload';

const reasons: Readonly<Record<EvidenceAccess, string>> = {
  read: 'Evidence objects are keyed actions/<actionId>/<name>, known only at run time; reading is limited to that prefix of the one evidence bucket, and the route lists only the evidence of an action the caller may read.',
  write:
    'Evidence objects are keyed actions/<actionId>/<name>, known only at run time; writing is limited to that prefix of the one evidence bucket, and only new objects (no delete, and the store writes with If-None-Match so nothing is overwritten).',
  upload:
    'Upload URLs are signed for actions/<actionId>/<name>, known only at run time; the grant is limited to that prefix of the one evidence bucket, each URL is for one new object (If-None-Match, checksum and size signed in) and expires within 15 minutes.',
};

/**
 * Gives a function the evidence bucket: sets `EVIDENCE_BUCKET` and grants, on the `actions/*`
 * prefix only:
 * - `read`: `s3:ListBucket` (conditioned on `s3:prefix`), `s3:GetObject` (HeadObject and the
 *   presigned download URLs it signs) and `kms:Decrypt`;
 * - `write`: `s3:PutObject` and `kms:GenerateDataKey` (no overwrite or delete: objects are
 *   written once with `If-None-Match: *`);
 * - `upload`: `s3:ListBucket` and `s3:GetObject` (HeadObject), `s3:PutObject` and
 *   `kms:GenerateDataKey`: a presigned PUT is authorized, and encrypted, as its signer.
 *
 * The key permissions hold only through S3 (`kms:ViaService`), so the role cannot decrypt or
 * generate data keys for anything else with them.
 *
 * @param fn the function that reads or writes evidence
 * @param evidence the stateful stack's {@link EvidenceBucket}
 * @param access see {@link EvidenceAccess}
 */
export function grantEvidenceBucket(fn: ServiceFunction, evidence: EvidenceBucket, access: EvidenceAccess): void {
  fn.addEnvironment(EVIDENCE_BUCKET_ENV, evidence.bucket.bucketName);
  const objects = evidence.bucket.arnForObjects(`${evidenceKeyPrefix}*`);
  const viaS3 = { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } };
  if (access === 'read' || access === 'upload') {
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [evidence.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': `${evidenceKeyPrefix}*` } },
      }),
    );
    fn.addToRolePolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [objects] }));
  }
  if (access === 'read') {
    fn.addToRolePolicy(new PolicyStatement({ actions: ['kms:Decrypt'], resources: [evidence.key.keyArn], conditions: viaS3 }));
  }
  if (access === 'write' || access === 'upload') {
    fn.addToRolePolicy(new PolicyStatement({ actions: ['s3:PutObject'], resources: [objects] }));
    fn.addToRolePolicy(new PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [evidence.key.keyArn], conditions: viaS3 }));
  }
  acknowledgeWildcardResource(fn.executionRole, objects, reasons[access]);
}
