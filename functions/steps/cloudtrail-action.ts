/**
 * Lambda entry point of the CloudTrail family's steps (fetch-cloud-logs): capture, apply, check,
 * verify, one invocation each; a long lookup continues over several Check steps.
 * Environment: HISTORY_TABLE_NAME, EVIDENCE_BUCKET, TARGET_ACCOUNTS, MEMBER_ROLE_NAME,
 * MEMBER_ROLE_EXTERNAL_ID, PROTECTED_TARGETS. Permissions: dynamodb:GetItem and dynamodb:UpdateItem
 * on the history table, s3:PutObject, s3:GetObject and s3:ListBucket on the evidence bucket,
 * sts:AssumeRole on arn:<partition>:iam::*:role/<MEMBER_ROLE_NAME>; in member accounts the member
 * role grants cloudtrail:LookupEvents. Timeout: 5 minutes (a step keeps to about 4, see cloudTrailFamily).
 */
import { STSClient } from '@aws-sdk/client-sts';
import { randomBytes } from 'node:crypto';
import { createHistoryClient } from '#shared/adapters/dynamodb.ts';
import { StsMemberSessions } from '#shared/adapters/member-session.ts';
import { createEvidenceS3Client, S3EvidenceStore } from '#shared/adapters/s3-evidence-store.ts';
import { createActionStepHandler, type ActionStepDeps } from '#shared/actions/action-step.ts';
import { cloudTrailFamily, type CloudTrailClients } from '#shared/actions/cloudtrail.ts';
import { systemClock } from '#shared/clock.ts';
import { loadConfig } from '#shared/config/config.ts';
import { ConfigError } from '#shared/errors.ts';
import { CursorCodec } from '#shared/history/cursor.ts';
import { HistoryRepository } from '#shared/history/repository.ts';

export { createActionStepHandler as createHandler };

/** The deployed wiring, read from the environment (fails fast naming a missing variable). */
export function defaultDeps(env: Readonly<Record<string, string | undefined>> = process.env): ActionStepDeps<CloudTrailClients> {
  const config = loadConfig(env, ['HISTORY_TABLE_NAME']);
  const bucket = env['EVIDENCE_BUCKET'];
  if (bucket === undefined || bucket.trim() === '') throw new ConfigError('EVIDENCE_BUCKET', 'is required but not set');
  return {
    repository: new HistoryRepository({
      client: createHistoryClient(),
      tableName: config.historyTableName ?? '',
      // This function never lists history; the codec is only there because the repository requires one.
      cursors: new CursorCodec(randomBytes(32)),
      clock: systemClock,
    }),
    config,
    // No endpoint: STS follows AWS_ENDPOINT_URL by itself, like every target-account call.
    sessions: new StsMemberSessions({ sts: new STSClient({}), roleName: config.memberRole.name, externalId: config.memberRole.externalId }),
    // The evidence client never follows AWS_ENDPOINT_URL (the factory ignores configured endpoints)
    // and is given none: in AWS it resolves the regional S3 endpoint of the service's own bucket.
    family: cloudTrailFamily({ evidence: new S3EvidenceStore({ client: createEvidenceS3Client(), bucket, clock: systemClock }) }),
    clock: systemClock,
  };
}

// Deps are built on the first invocation: importing this module (local runtime, tests) reads no environment.
export const handler = createActionStepHandler(() => defaultDeps());
