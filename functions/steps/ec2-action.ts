/**
 * Lambda entry point of the EC2 family's steps (cloud-volume-snapshot, undo-cloud-volume-snapshot,
 * isolate-ec2-instance, unisolate-ec2-instance): capture, apply, check, verify, one invocation each.
 * Environment: HISTORY_TABLE_NAME, TARGET_ACCOUNTS, MEMBER_ROLE_NAME, MEMBER_ROLE_EXTERNAL_ID,
 * PROTECTED_TARGETS. Permissions: dynamodb:GetItem and dynamodb:UpdateItem on the history table,
 * sts:AssumeRole on arn:<partition>:iam::*:role/<MEMBER_ROLE_NAME>; in member accounts the member
 * role grants the EC2 calls (the `ec2` entry of families.ts).
 */
import { STSClient } from '@aws-sdk/client-sts';
import { randomBytes } from 'node:crypto';
import { createHistoryClient } from '#shared/adapters/dynamodb.ts';
import { StsMemberSessions } from '#shared/adapters/member-session.ts';
import { createActionStepHandler, type ActionStepDeps } from '#shared/actions/action-step.ts';
import { ec2Family, type Ec2Clients } from '#shared/actions/ec2.ts';
import { systemClock } from '#shared/clock.ts';
import { loadConfig } from '#shared/config/config.ts';
import { CursorCodec } from '#shared/history/cursor.ts';
import { HistoryRepository } from '#shared/history/repository.ts';

export { createActionStepHandler as createHandler };

/** The deployed wiring, read from the environment (fails fast naming a missing variable). */
export function defaultDeps(): ActionStepDeps<Ec2Clients> {
  const config = loadConfig(process.env, ['HISTORY_TABLE_NAME']);
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
    family: ec2Family,
    clock: systemClock,
  };
}

// Deps are built on the first invocation: importing this module (local runtime, tests) reads no environment.
export const handler = createActionStepHandler(defaultDeps);
