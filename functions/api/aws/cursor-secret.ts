/** The key that signs history cursors, from a Secrets Manager secret. Environment: CURSOR_SECRET_ARN. */
import { createHash } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Environment } from '#shared/config/config.ts';
import { ConfigError } from '#shared/errors.ts';
import { traced } from '#shared/observability/tracing.ts';

export async function cursorKeyFromSecret(env: Environment): Promise<Buffer> {
  const secretArn = env['CURSOR_SECRET_ARN'];
  if (secretArn === undefined || secretArn === '') throw new ConfigError('CURSOR_SECRET_ARN', 'is required but not set');
  const secrets = traced(new SecretsManagerClient({ ignoreConfiguredEndpointUrls: true }));
  try {
    const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
    if (SecretString === undefined || SecretString.length < 32) {
      throw new ConfigError('CURSOR_SECRET_ARN', 'the secret must hold at least 32 characters');
    }
    return createHash('sha256').update(SecretString).digest();
  } finally {
    secrets.destroy();
  }
}
