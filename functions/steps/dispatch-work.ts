/**
 * Lambda entry point of the responder state machine's Dispatch state (invoked with
 * `lambda:invoke.waitForTaskToken`) and of its ExplainLapse state.
 * Environment: HISTORY_TABLE_NAME, WORK_SIGNING_KEY_SECRET_ARN (the private Ed25519 JWK that signs
 * work), RESPONDER_QUEUE_PREFIX (default ResponseActions).
 * Permissions: dynamodb:GetItem, PutItem and UpdateItem on the history table;
 * secretsmanager:GetSecretValue on the signing key secret; sqs:CreateQueue, GetQueueUrl,
 * GetQueueAttributes and SendMessage on `arn:aws:sqs:<region>:<account>:<prefix>-*`.
 * The task token in its event is stored with the action and never logged.
 */
import { createHistoryClient } from '#shared/adapters/dynamodb.ts';
import { systemClock } from '#shared/clock.ts';
import { loadConfig } from '#shared/config/config.ts';
import { HistoryWriter } from '#shared/history/writer.ts';
import { lambdaEntry } from '#shared/observability/entry.ts';
import { createResponderQueues, readWorkSigningKey } from '#shared/responders/aws.ts';
import { loadResponderConfig } from '#shared/responders/config.ts';
import { createDispatchWorkHandler, type DispatchDeps } from '#shared/responders/dispatch.ts';
import { ResponderStore } from '#shared/responders/store.ts';

export { createDispatchWorkHandler as createHandler };

/** The deployed wiring, read from the environment (fails fast naming a missing variable). */
export async function defaultDeps(): Promise<DispatchDeps> {
  const config = loadConfig(process.env, ['HISTORY_TABLE_NAME']);
  const responderConfig = loadResponderConfig(process.env, ['WORK_SIGNING_KEY_SECRET_ARN']);
  const client = createHistoryClient();
  const tableName = config.historyTableName ?? '';
  return {
    repository: new HistoryWriter({ client, tableName, clock: systemClock }),
    store: new ResponderStore({ client, tableName, clock: systemClock }),
    queues: createResponderQueues(responderConfig),
    signingKey: await readWorkSigningKey(responderConfig.signingKeySecretArn ?? ''),
    clock: systemClock,
  };
}

// Deps are built on the first invocation: importing this module (local runtime, tests) reads no environment.
export const handler = lambdaEntry(() => createDispatchWorkHandler(defaultDeps));
