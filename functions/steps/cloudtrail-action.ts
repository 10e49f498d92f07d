/**
 * Lambda entry point of the CloudTrail family's steps (fetch-cloud-logs): capture, apply, check,
 * verify, one invocation each, and plans (`{ plan }`, nothing written). Environment and permissions: see family-deps.ts, plus
 * EVIDENCE_BUCKET and s3:PutObject/GetObject/ListBucket on its `actions/*` (the lookup's JSON
 * Lines evidence).
 */
import { createEvidenceS3Client, S3EvidenceStore } from '#shared/adapters/s3-evidence-store.ts';
import { cloudTrailFamily } from '#shared/actions/cloudtrail/index.ts';
import { systemClock } from '#shared/clock.ts';
import { ConfigError } from '#shared/errors.ts';
import { familyStepHandler } from './family-deps.ts';

export const handler = familyStepHandler(() => {
  const bucket = process.env['EVIDENCE_BUCKET'];
  if (bucket === undefined || bucket.trim() === '') throw new ConfigError('EVIDENCE_BUCKET', 'is required but not set');
  // The evidence client never follows AWS_ENDPOINT_URL (the factory ignores configured endpoints)
  // and is given none: in AWS it resolves the regional S3 endpoint of the service's own bucket.
  return cloudTrailFamily({ evidence: new S3EvidenceStore({ client: createEvidenceS3Client(), bucket, clock: systemClock }) });
});
