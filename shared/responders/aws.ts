/**
 * The responder parts' wiring in AWS, shared by the responder API functions and dispatch-work
 * (the functions that create actions build their starter in functions/api/aws). Clients never follow AWS_ENDPOINT_URL: that points
 * cloud actions at target accounts, not at the service's own queues, secrets and state machines.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ConfigError } from '#shared/errors.ts';
import type { ResponderConfig } from './config.ts';
import { ResponderQueues } from './queues.ts';
import { workSigningKeyFromJwk, type WorkSigningKey } from './work-signing.ts';
import { traced } from '#shared/observability/tracing.ts';

/** Reads the private work signing key (a JWK as JSON) from its secret. */
export async function readWorkSigningKey(secretArn: string): Promise<WorkSigningKey> {
  const secrets = traced(new SecretsManagerClient({ ignoreConfiguredEndpointUrls: true }));
  try {
    const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
    let parsed: unknown;
    try {
      parsed = JSON.parse(SecretString ?? '');
    } catch (error) {
      throw new ConfigError('WORK_SIGNING_KEY_SECRET_ARN', 'the secret must hold a private Ed25519 JWK as JSON', { cause: error });
    }
    return workSigningKeyFromJwk(parsed);
  } finally {
    secrets.destroy();
  }
}

export function createResponderQueues(config: ResponderConfig): ResponderQueues {
  return new ResponderQueues({ client: traced(new SQSClient({ ignoreConfiguredEndpointUrls: true })), prefix: config.queuePrefix });
}

