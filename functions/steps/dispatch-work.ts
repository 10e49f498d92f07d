/**
 * Lambda entry point of the responder state machine's Dispatch state (invoked with
 * `lambda:invoke.waitForTaskToken`) and of its ExplainLapse state.
 * Environment: HISTORY_TABLE_NAME, WORK_SIGNING_KEY_SECRET_ARN (the private Ed25519 JWK that signs
 * work), RESPONDER_QUEUE_PREFIX (default ResponseActions).
 * Permissions: dynamodb:GetItem, PutItem and UpdateItem on the history table;
 * secretsmanager:GetSecretValue on the signing key secret; sqs:CreateQueue, GetQueueUrl,
 * GetQueueAttributes and SendMessage on `arn:aws:sqs:<region>:<account>:<prefix>-*`; states:SendTaskHeartbeat on the
 * responder state machine (restarts the pickup window once the work is sent).
 * The task token in its event is stored with the action and never logged.
 */
import { systemClock } from '#shared/clock.ts';
import { lambdaEntry } from '#shared/observability/entry.ts';
import { readWorkSigningKey } from '#shared/responders/aws.ts';
import { loadResponderConfig } from '#shared/responders/config.ts';
import { createDispatchWorkHandler, type DispatchDeps } from '#shared/responders/dispatch.ts';
import { responderQueuesFromEnv } from '../api/aws/responder-queues.ts';
import { taskCallbacks } from '../api/aws/responder-task-callbacks.ts';
import { responderTableFromEnv } from '../api/aws/responders.ts';

export { createDispatchWorkHandler as createHandler };

/** The deployed wiring, read from the environment (fails fast naming a missing variable). */
export async function defaultDeps(): Promise<DispatchDeps> {
  const table = responderTableFromEnv(process.env);
  const responderConfig = loadResponderConfig(process.env, ['WORK_SIGNING_KEY_SECRET_ARN']);
  return {
    ...table,
    queues: responderQueuesFromEnv(process.env),
    signingKey: await readWorkSigningKey(responderConfig.signingKeySecretArn ?? ''),
    clock: systemClock,
    callbacks: taskCallbacks(),
  };
}

// Deps are built on the first invocation: importing this module (local runtime, tests) reads no environment.
export const handler = lambdaEntry(() => createDispatchWorkHandler(defaultDeps));
