/**
 * The deployed wiring every cloud family's step function shares, read from the environment
 * (fails fast naming a missing variable). Environment: HISTORY_TABLE_NAME, TARGET_ACCOUNTS,
 * MEMBER_ROLE_NAME, MEMBER_ROLE_EXTERNAL_ID, PROTECTED_TARGETS. Permissions: dynamodb:GetItem and
 * UpdateItem on the history table, sts:AssumeRole on the family's own member role only,
 * arn:<partition>:iam::<account>:role/<MEMBER_ROLE_NAME>-<family>; in member accounts that role
 * grants exactly the family's calls (its entry in families.ts).
 */
import { STSClient } from '@aws-sdk/client-sts';
import { createHistoryClient } from '#shared/adapters/dynamodb.ts';
import { StsMemberSessions, type SessionClients } from '#shared/adapters/member-session.ts';
import { createActionStepHandler, type ActionStepDeps, type ActionStepOutput } from '#shared/actions/action-step.ts';
import type { CloudActionFamily } from '#shared/actions/cloud-action.ts';
import { systemClock } from '#shared/clock.ts';
import { loadConfig, type ServiceConfig } from '#shared/config/config.ts';
import { HistoryWriter } from '#shared/history/writer.ts';
import { lambdaEntry, type LambdaHandler } from '#shared/observability/entry.ts';
import { traced } from '#shared/observability/tracing.ts';
import type { CloudPlanResult } from '#shared/plans/types.ts';

export function familyStepDeps<Clients extends SessionClients>(
  family: CloudActionFamily<Clients> | ((config: ServiceConfig) => CloudActionFamily<Clients>),
): ActionStepDeps<Clients> {
  const config = loadConfig(process.env, ['HISTORY_TABLE_NAME']);
  return {
    repository: new HistoryWriter({ client: createHistoryClient(), tableName: config.historyTableName ?? '', clock: systemClock }),
    config,
    // No endpoint: STS follows AWS_ENDPOINT_URL by itself, like every target-account call. Four
    // attempts (standard mode: jittered backoff), as every member-account client has.
    sessions: new StsMemberSessions({ sts: traced(new STSClient({ maxAttempts: 4 })), roleName: config.memberRole.name, externalId: config.memberRole.externalId }),
    family: typeof family === 'function' ? family(config) : family,
    clock: systemClock,
  };
}

/**
 * A family's Lambda handler: a step (`{ actionId, step }`) or a plan (`{ plan: CloudPlanRequest }`,
 * answered with a CloudPlanResult, nothing written). Deps are built on the first invocation, so
 * importing it reads no environment.
 */
export function familyStepHandler<Clients extends SessionClients>(
  family: CloudActionFamily<Clients> | ((config: ServiceConfig) => CloudActionFamily<Clients>),
): LambdaHandler<unknown, ActionStepOutput | CloudPlanResult> {
  return lambdaEntry(() => createActionStepHandler(() => familyStepDeps(family)));
}
