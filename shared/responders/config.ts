import type { Environment } from '#shared/config/config.ts';
import { ConfigError } from '#shared/errors.ts';

/**
 * The responder settings of the functions that dispatch work and serve responders, read from the
 * environment here and validated at start-up (the service-wide ones, deadlines included, are
 * `loadConfig`'s).
 * - `RESPONDER_QUEUE_PREFIX` (default `ResponseActions`): every work queue is `<prefix>-host-...` or
 *   `<prefix>-k8s-...` (and `...-dlq`); the functions' SQS permissions are scoped to `<prefix>-*`.
 * - `RESPONDER_STATE_MACHINE_ARN`: the responder state machine (functions that start work).
 * - `WORK_SIGNING_KEY_SECRET_ARN`: the secret holding the private Ed25519 JWK that signs work
 *   (dispatch-work, and the register route, which hands out its public half).
 * - `RESPONDER_QUEUE_ROLE_ARN`: the ResponderQueueAccess role the queue-credentials route assumes.
 * - `RESPONDER_QUEUE_CREDENTIAL_SECONDS` (default 3600, 900-3600): the queue credentials' lifetime.
 * - `RESPONDER_RETENTION_HOURS` (default 168): a responder silent this long is removed with its
 *   queues by the sweep (scheduled in AWS, a timer locally).
 * - `QUEUE_FOR_UNREGISTERED_RESPONDERS` (`true` or `false`, default false): work for a host or
 *   cluster no responder has registered is queued (and waits up to PICKUP_DEADLINE_SECONDS for one
 *   to register and pick it up) instead of being refused with 409.
 */
export interface ResponderConfig {
  readonly queuePrefix: string;
  readonly stateMachineArn: string | undefined;
  readonly signingKeySecretArn: string | undefined;
  readonly queueRoleArn: string | undefined;
  readonly queueCredentialSeconds: number;
  readonly retentionHours: number;
  readonly queueForUnregistered: boolean;
}

export const defaultRetentionHours = 168;
export const defaultQueueCredentialSeconds = 3600;

export const defaultQueuePrefix = 'ResponseActions';
const prefixPattern = /^[A-Za-z0-9_-]{1,30}$/;
const stateMachineArnPattern = /^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:stateMachine:[\w-]{1,80}$/;
const roleArnPattern = /^arn:[a-z-]+:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const secretArnPattern = /^arn:[a-z-]+:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]{1,512}$/;

export function loadResponderConfig(env: Environment, required: readonly ('RESPONDER_STATE_MACHINE_ARN' | 'WORK_SIGNING_KEY_SECRET_ARN')[] = []): ResponderConfig {
  for (const name of required) {
    if (blank(env[name])) throw new ConfigError(name, 'is required but not set');
  }
  const queuePrefix = blank(env['RESPONDER_QUEUE_PREFIX']) ? defaultQueuePrefix : (env['RESPONDER_QUEUE_PREFIX'] ?? '').trim();
  if (!prefixPattern.test(queuePrefix)) {
    throw new ConfigError('RESPONDER_QUEUE_PREFIX', 'must be 1-30 letters, digits, - and _ (it starts every work queue name)');
  }
  const stateMachineArn = optional(env, 'RESPONDER_STATE_MACHINE_ARN', stateMachineArnPattern, 'a Step Functions state machine ARN');
  const signingKeySecretArn = optional(env, 'WORK_SIGNING_KEY_SECRET_ARN', secretArnPattern, 'a Secrets Manager secret ARN');
  const queueRoleArn = optional(env, 'RESPONDER_QUEUE_ROLE_ARN', roleArnPattern, 'an IAM role ARN');
  const queueCredentialSeconds = integer(env, 'RESPONDER_QUEUE_CREDENTIAL_SECONDS', defaultQueueCredentialSeconds, 900, 3600);
  const retentionHours = integer(env, 'RESPONDER_RETENTION_HOURS', defaultRetentionHours, 1, 24 * 365);
  const queueForUnregistered = flag(env, 'QUEUE_FOR_UNREGISTERED_RESPONDERS');
  return { queuePrefix, stateMachineArn, signingKeySecretArn, queueRoleArn, queueCredentialSeconds, retentionHours, queueForUnregistered };
}

function integer(env: Environment, name: string, fallback: number, min: number, max: number): number {
  const value = env[name];
  if (blank(value)) return fallback;
  const parsed = Number((value ?? '').trim());
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) throw new ConfigError(name, `must be a whole number from ${min} to ${max}, not "${(value ?? '').trim()}"`);
  return parsed;
}

function flag(env: Environment, name: string): boolean {
  const value = env[name];
  if (blank(value)) return false;
  const trimmed = (value ?? '').trim().toLowerCase();
  if (trimmed !== 'true' && trimmed !== 'false') throw new ConfigError(name, `must be true or false, not "${(value ?? '').trim().slice(0, 40)}"`);
  return trimmed === 'true';
}

function optional(env: Environment, name: string, pattern: RegExp, what: string): string | undefined {
  const value = env[name];
  if (blank(value)) return undefined;
  const trimmed = (value ?? '').trim();
  if (!pattern.test(trimmed)) throw new ConfigError(name, `must be ${what}, not "${trimmed}"`);
  return trimmed;
}

function blank(value: string | undefined): boolean {
  return value === undefined || value.trim() === '';
}
