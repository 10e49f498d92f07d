/**
 * The work signing key's reader in AWS, for the register route and dispatch-work (the queues are
 * built in functions/api/aws/responder-queues.ts). The client never follows AWS_ENDPOINT_URL: that
 * points cloud actions at target accounts, not at the service's own secrets.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '#shared/errors.ts';
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

