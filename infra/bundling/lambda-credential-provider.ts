/*
 * What a deployed function gets in place of `@aws-sdk/credential-provider-node` (the SDK's default
 * credential chain): see `lambdaCredentialAlias` in build-service-function-bundle.ts.
 *
 * Lambda hands every function its execution role's credentials in the environment
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), and a container credentials
 * endpoint where it runs functions as containers. The default chain's other links (SSO, shared ini
 * files, credential processes, web identity token files, instance metadata) never apply in Lambda,
 * yet they bring their nested STS, SSO and sign-in clients into every bundle (`npm run bench --
 * bundles` prints the bytes). So the
 * bundle keeps exactly the two links Lambda uses, in the default chain's order, and fails with a
 * sentence naming what is missing otherwise. Outside a bundle (tests, `npm start`, responders) the
 * SDK's own default chain is used as always.
 */
import { fromEnv, type FromEnvInit } from '@aws-sdk/credential-provider-env';
import { fromHttp, type FromHttpOptions } from '@aws-sdk/credential-provider-http';
import { chain, CredentialsProviderError, memoize } from '@smithy/core/config';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/** The container credentials variables, as the SDK's default chain reads them. */
const containerUriVariables = ['AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'] as const;

/** What the SDK's clients hand the default provider (their logger and the like). */
type ProviderInit = FromEnvInit & FromHttpOptions;

/** Same as the SDK's: credentials with an expiry are refreshed five minutes before it. */
export const credentialsTreatedAsExpired = (credentials: AwsCredentialIdentity): boolean =>
  credentials.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300_000;

export const credentialsWillNeedRefresh = (credentials: AwsCredentialIdentity): boolean => credentials.expiration !== undefined;

/**
 * The credential chain of a deployed function: the environment, then the container credentials
 * endpoint when Lambda names one, memoized like the SDK's default chain.
 */
export function defaultProvider(init: ProviderInit = {}): AwsCredentialIdentityProvider {
  const fromContainer: AwsCredentialIdentityProvider = (properties) => {
    if (!containerUriVariables.some((name) => (process.env[name] ?? '') !== '')) {
      return Promise.reject(new CredentialsProviderError(noCredentialsMessage, { tryNextLink: false }));
    }
    return fromHttp(init)(properties);
  };
  return memoize(chain(fromEnv(init), fromContainer), credentialsTreatedAsExpired, credentialsWillNeedRefresh);
}

const noCredentialsMessage =
  'no AWS credentials: a deployed function reads its role\'s credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (set by Lambda) or from the container credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI), and neither is set';
