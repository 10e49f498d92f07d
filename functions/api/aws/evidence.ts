/** The evidence store of an API function in AWS. Environment: EVIDENCE_BUCKET. */
import { createEvidenceS3Client, S3EvidenceStore } from '#shared/adapters/s3-evidence-store.ts';
import { systemClock } from '#shared/clock.ts';
import type { Environment } from '#shared/config/config.ts';
import { ConfigError } from '#shared/errors.ts';
import type { EvidenceStore } from '#shared/ports.ts';

export function evidenceFromEnv(env: Environment): EvidenceStore {
  const bucket = env['EVIDENCE_BUCKET'];
  if (bucket === undefined || bucket === '') throw new ConfigError('EVIDENCE_BUCKET', 'is required but not set');
  return new S3EvidenceStore({ client: createEvidenceS3Client(), bucket, clock: systemClock });
}
