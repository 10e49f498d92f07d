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
 */
export interface ResponderConfig {
  readonly queuePrefix: string;
  readonly stateMachineArn: string | undefined;
  readonly signingKeySecretArn: string | undefined;
}

export const defaultQueuePrefix = 'ResponseActions';
const prefixPattern = /^[A-Za-z0-9_-]{1,30}$/;
const stateMachineArnPattern = /^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:stateMachine:[\w-]{1,80}$/;
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
  return { queuePrefix, stateMachineArn, signingKeySecretArn };
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
