/**
 * The public half of the work signing key, which the register route returns (Secrets Manager).
 * Environment: WORK_SIGNING_KEY_SECRET_ARN.
 */
import type { Environment } from '#shared/config/config.ts';
import { ConfigError } from '#shared/errors.ts';
import { readWorkSigningKey } from '#shared/responders/aws.ts';
import { loadResponderConfig } from '#shared/responders/config.ts';
import type { WorkSigningPublicKey } from '#shared/responders/protocol.ts';

/** Reads the key on first use and keeps it for the container's life. */
export function workSigningPublicKeyFromEnv(env: Environment): () => Promise<WorkSigningPublicKey> {
  const arn = loadResponderConfig(env).signingKeySecretArn;
  let publicKey: Promise<WorkSigningPublicKey> | undefined;
  return () => {
    if (arn === undefined) return Promise.reject(new ConfigError('WORK_SIGNING_KEY_SECRET_ARN', 'is required by the register route'));
    if (publicKey === undefined) {
      const reading = readWorkSigningKey(arn).then((key) => key.publicJwk);
      // A failed read (the secret not set yet) is tried again on the next registration.
      reading.catch(() => {
        if (publicKey === reading) publicKey = undefined;
      });
      publicKey = reading;
    }
    return publicKey;
  };
}
